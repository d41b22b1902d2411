"""Course content rules shared by every page that shows a course."""

from __future__ import annotations

import re

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from lms.catalog.models import Kursus, KursusPemilik, Modul
from lms.core.errors import ForbiddenError, NotFoundError
from lms.extensions import db

_MEDIA_SRC = re.compile(r'src="media/([^"/]+)"')
_TABLE = re.compile(r"<table>(.*?)</table>", re.S)


def module_html(kursus: Kursus, modul: Modul) -> Markup:
    """The module's sanitised HTML with its images pointed at the media route, whatever the
    storage backend: the page stays the same bytes, and the route checks who may see them."""
    media = kursus.media or {}

    def resolve(match: re.Match) -> str:
        key = media.get(match.group(1))
        return f'src="{url_for("catalog.media", key=key)}"' if key else match.group(0)

    # body_html was sanitised when the course was imported; only src values change here,
    # and wide tables get a scrolling box a keyboard can reach.
    html = _MEDIA_SRC.sub(resolve, modul.body_html)
    label = escape(_("Table"))
    html = _TABLE.sub(
        lambda m: (
            f'<div class="scroll" role="region" tabindex="0" aria-label="{label}"><table>{m.group(1)}</table></div>'
        ),
        html,
    )
    return Markup(html)  # noqa: S704


def media_of(key: str) -> Kursus | None:
    """The course a media key belongs to (keys are ``kursus/<slug>/<hash>-<name>``)."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "kursus":
        return None
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == parts[1]))
    if kursus is None or key not in (kursus.media or {}).values():
        return None
    return kursus


def is_owner(pegawai_id: int, kursus_id: int) -> bool:
    return (
        db.session.scalar(
            select(KursusPemilik.pegawai_id).where(
                KursusPemilik.kursus_id == kursus_id, KursusPemilik.pegawai_id == pegawai_id
            )
        )
        is not None
    )


def can_edit(user, kursus: Kursus) -> bool:
    """Admins edit every course; a trainer only the courses he owns."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    return bool(user.is_pengajar) and is_owner(user.pegawai_id, kursus.id)


def editable_course(user, slug: str) -> Kursus:
    """The course a trainer may edit, or 404 when it does not exist and 403 when it is not his."""
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == slug))
    if kursus is None:
        raise NotFoundError()
    if not can_edit(user, kursus):
        raise ForbiddenError()
    return kursus


def owned_course_ids(user):
    """A select of the ids of the courses ``user`` works on: all for an admin."""
    if user.is_admin:
        return select(Kursus.id)
    return select(KursusPemilik.kursus_id).where(KursusPemilik.pegawai_id == user.pegawai_id)
