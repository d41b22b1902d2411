"""Course content rules shared by every page that shows a course."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    return media_html(modul.body_html, kursus.media or {}, kursus.media_info or {})


def media_html(html: str, media: dict[str, str], info: dict[str, dict]) -> Markup:
    """Sanitised HTML whose ``media/<name>`` pictures point at the media route, at the light
    variant of a picture where there is one; wide tables get a box that scrolls."""

    def resolve(match: re.Match) -> str:
        name = match.group(1)
        key = (info.get(name) or {}).get("light") or media.get(name)
        return f'src="{url_for("catalog.media", key=key)}"' if key else match.group(0)

    # The HTML was sanitised when it was stored; only src values change here, and wide
    # tables get a scrolling box a keyboard can reach.
    html = _MEDIA_SRC.sub(resolve, html)
    label = escape(_("Table"))
    html = _TABLE.sub(
        lambda m: (
            f'<div class="scroll" role="region" tabindex="0" aria-label="{label}"><table>{m.group(1)}</table></div>'
        ),
        html,
    )
    return Markup(html)  # noqa: S704


_IMG = re.compile(r"<img\b([^>]*)>")
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def pictures_on_tap(html: Markup) -> Markup:
    """Data saver: each picture becomes a link to it (its light variant, as the page had
    it), which offline.js turns back into the picture when tapped. Attribute values are
    taken as the sanitised HTML has them, already escaped."""

    def link(match: re.Match) -> str:
        attrs = dict(_ATTR.findall(match.group(1)))
        if "src" not in attrs:
            return match.group(0)
        size = "".join(f' data-{k}="{attrs[k]}"' for k in ("width", "height") if k in attrs)
        alt = attrs.get("alt", "")
        label = escape(_("Show the picture"))
        return f'<a class="tap-img" href="{attrs["src"]}" data-alt="{alt}"{size}>{label}{": " + alt if alt else ""}</a>'

    return Markup(_IMG.sub(link, str(html)))  # noqa: S704


@dataclass(frozen=True)
class Picture:
    src: str
    width: int | None
    height: int | None


def cover_of(kursus: Kursus) -> Picture | None:
    """The course's cover as pages show it: the light variant, with its size."""
    if not kursus.cover or kursus.cover not in (kursus.media or {}):
        return None
    info = (kursus.media_info or {}).get(kursus.cover) or {}
    key = info.get("light") or kursus.media[kursus.cover]
    return Picture(url_for("catalog.media", key=key), info.get("width"), info.get("height"))


def _keys(media: dict[str, str], info: dict[str, dict]) -> set[str]:
    return set(media.values()) | {i["light"] for i in info.values() if i.get("light")}


def media_of(key: str) -> tuple[Kursus, bool] | None:
    """The course a media key belongs to (keys are ``kursus/<slug>/<hash>-<name>``), and
    whether it is published media; a file only the working copy uses is not."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "kursus":
        return None
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == parts[1]))
    if kursus is None:
        return None
    if kursus.is_published and key in _keys(kursus.media or {}, kursus.media_info or {}):
        return kursus, True
    draf = kursus.draf
    if key in _keys(kursus.media or {}, kursus.media_info or {}) or (
        draf is not None and key in _keys(draf.media or {}, draf.media_info or {})
    ):
        return kursus, False
    return None


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
