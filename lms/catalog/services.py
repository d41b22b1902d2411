"""Course content rules shared by every page that shows a course."""

from __future__ import annotations

import re

from markupsafe import Markup

from lms.catalog.models import Kursus, Modul
from lms.storage import storage

_MEDIA_SRC = re.compile(r'src="media/([^"/]+)"')


def module_html(kursus: Kursus, modul: Modul) -> Markup:
    """The module's sanitised HTML with its images pointed at the storage backend."""
    media = kursus.media or {}

    def resolve(match: re.Match) -> str:
        key = media.get(match.group(1))
        return f'src="{storage().url(key)}"' if key else match.group(0)

    # body_html was sanitised when the course was imported; only src values change here.
    return Markup(_MEDIA_SRC.sub(resolve, modul.body_html))  # noqa: S704
