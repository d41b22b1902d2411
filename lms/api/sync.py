"""Results made offline, received exactly once: from a device, or from a sync file.

A device sends what it did without a network as items, each with an id it made and the
token it was made under. Every item is checked on its own and answered with what
happened to it, so a device can keep what was refused (and say why) and drop what was
recorded. An item that arrives again gets the answer of its first arrival.

Who may send an item: the employee the token names; in a sync file, also anyone the
employee reports to (their atasan, directly or higher up).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from lms.catalog.models import Kursus, Modul
from lms.core import audit
from lms.core.errors import DomainError
from lms.core.ids import is_valid_id
from lms.core.time import from_epoch_ms, utcnow
from lms.extensions import db
from lms.org.models import Pegawai
from lms.org.services import in_team
from lms.progress import services as progress
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, KuisVersion

from . import tokens

FILE_FORMAT = "lms-sinkron"
KINDS = ("module", "attempt")
MAX_ANSWERS = 500


@dataclass(frozen=True)
class ItemResult:
    id: str
    kind: str
    status: str  # accepted, duplicate, refused, retry (kept on the device, sent again)
    message: str
    code: str = ""
    course: str = ""
    course_title: str = ""
    pegawai_id: int | None = None
    pegawai_name: str = ""
    url: str = ""
    percent: float | None = None
    passed: bool | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "url": self.url,
            "percent": self.percent,
            "passed": self.passed,
        }


def refusal_message(code: str) -> str:
    """What a refusal means, in words the learner can act on."""
    messages = {
        "invalid": _("This result is damaged and could not be read."),
        "bad_token": _(
            "This result was not made from a download of this LMS, or it was changed after it was made. "
            "It was not recorded."
        ),
        "other_user": _(
            "This result belongs to another employee. They can send it when signed in, or their "
            "supervisor can upload it."
        ),
        "withdrawn": _(
            "The course was withdrawn after it was downloaded, so the result could not be recorded."
        ),
        "not_enrolled": _("You are no longer enrolled in this course."),
        "unknown_module": _("This module was removed from the course after it was downloaded."),
        "no_quiz": _("This download did not include a quiz attempt."),
        "expired": _(
            "The downloaded quiz had expired (a download is valid for %(days)d days). Download the course "
            "again to take the quiz.",
            days=current_app.config["OFFLINE_TOKEN_DAYS"],
        ),
        "used": _("Another attempt was already taken with this download; only the first one counts."),
        "passed": _("You had already passed this quiz, so this attempt was not needed and was not counted."),
        "no_attempts": _("You had already used all attempts at this quiz, so this attempt was not counted."),
        "not_yours": _("This attempt belongs to someone else."),
    }
    return messages[code]


def _refused(item_id: str, kind: str, code: str, **extra) -> ItemResult:
    return ItemResult(item_id, kind, "refused", refusal_message(code), code=code, **extra)


def accept(items: list[Any], *, sender, via_file: bool = False) -> list[ItemResult]:
    """Record each item that may be recorded and has not been; say what became of each."""
    limit = current_app.config["SYNC_MAX_ITEMS"]
    if not isinstance(items, list) or len(items) > limit:
        raise DomainError(_("At most %(n)d results can be sent at once.", n=limit))
    return [_accept_one(item, sender, via_file) for item in items]


def _accept_one(item: Any, sender, via_file: bool) -> ItemResult:
    if not isinstance(item, dict):
        return _refused("", "", "invalid")
    raw_id, kind = item.get("id"), item.get("kind")
    if not isinstance(raw_id, str) or not is_valid_id(raw_id) or kind not in KINDS:
        return _refused(
            raw_id if isinstance(raw_id, str) else "", kind if isinstance(kind, str) else "", "invalid"
        )
    item_id = raw_id.lower()
    try:
        token = tokens.read(item.get("token"))
    except tokens.TokenError:
        return _refused(item_id, kind, "bad_token")
    if token.pegawai_id != sender.pegawai_id and not (
        via_file and in_team(sender.pegawai_id, token.pegawai_id)
    ):
        return _refused(item_id, kind, "other_user")
    kursus = db.session.get(Kursus, token.kursus_id)
    if kursus is None or not kursus.is_published:
        return _refused(item_id, kind, "withdrawn")
    owner = db.session.get(Pegawai, token.pegawai_id)
    facts = {
        "course": kursus.slug,
        "course_title": kursus.title,
        "pegawai_id": token.pegawai_id,
        "pegawai_name": owner.nama if owner else "",
    }
    if progress.enrolment_for(token.pegawai_id, kursus.id) is None:
        return _refused(item_id, kind, "not_enrolled", **facts)
    if kind == "module":
        return _module(item, item_id, token, kursus, facts)
    return _attempt(item, item_id, token, kursus, facts)


def _module(item: dict, item_id: str, token, kursus: Kursus, facts: dict) -> ItemResult:
    slug = item.get("module")
    modul = (
        db.session.scalar(select(Modul).where(Modul.kursus_id == kursus.id, Modul.slug == slug))
        if isinstance(slug, str)
        else None
    )
    if modul is None:
        return _refused(item_id, "module", "unknown_module", **facts)
    recorded = progress.complete_module(token.pegawai_id, modul)
    if not recorded:
        return ItemResult(
            item_id, "module", "duplicate", _("This module was already marked as done."), **facts
        )
    return ItemResult(
        item_id, "module", "accepted", _("Module marked as done: %(title)s", title=modul.title), **facts
    )


def _attempt(item: dict, item_id: str, token, kursus: Kursus, facts: dict) -> ItemResult:
    if token.version_id is None:
        return _refused(item_id, "attempt", "no_quiz", **facts)
    version = db.session.get(KuisVersion, token.version_id)
    kuis = quizzes.quiz_for_course(kursus.id)
    if version is None or kuis is None or version.kuis_id != kuis.id or token.kuis_id != kuis.id:
        return _refused(item_id, "attempt", "withdrawn", **facts)
    started, finished, entries = (
        from_epoch_ms(item.get("started_at")),
        from_epoch_ms(item.get("finished_at")),
        item.get("answers"),
    )
    if started is None or finished is None or not isinstance(entries, dict) or len(entries) > MAX_ANSWERS:
        return _refused(item_id, "attempt", "invalid", **facts)
    now = utcnow()
    # An attempt that arrived before is answered as it was, even once the token expires.
    if token.is_expired(now) and db.session.get(Attempt, item_id) is None:
        return _refused(item_id, "attempt", "expired", **facts)
    # A device's clock may be wrong. Its attempt began, to the server, within the token's
    # lifetime; the moments of its answers and its end move by as much as its start did,
    # so that a clock set back gives no extra time under a time limit.
    started_at = token.within(started, now)
    shift = started_at - started
    try:
        outcome = quizzes.record_offline_attempt(
            token.pegawai_id,
            version,
            attempt_id=item_id,
            token_id=token.id,
            started_at=started_at,
            finished_at=token.within(finished + shift, now),
            entries=_shifted(entries, shift),
        )
    except DomainError as exc:
        return ItemResult(item_id, "attempt", "retry", exc.message, **facts)
    if outcome.refused:
        return _refused(item_id, "attempt", outcome.refused, **facts)
    return _graded(item_id, outcome, facts)


def _graded(item_id: str, outcome: quizzes.OfflineOutcome, facts: dict) -> ItemResult:
    attempt = outcome.attempt
    graded = dict(
        url=url_for("progress.result", attempt_id=attempt.id), percent=attempt.percent, passed=attempt.passed
    )
    if outcome.duplicate:
        message = _("This attempt had already arrived; it counts once.")
        return ItemResult(item_id, "attempt", "duplicate", message, **graded, **facts)
    percent = _percent(attempt.percent)
    if attempt.passed:
        message = _("Graded: %(percent)s%%, passed.", percent=percent)
    else:
        message = _("Graded: %(percent)s%%, not passed.", percent=percent)
    return ItemResult(item_id, "attempt", "accepted", message, **graded, **facts)


def _shifted(entries: dict, shift: timedelta) -> dict:
    """The device's answers with the moments they were chosen moved by ``shift``."""
    if not shift:
        return entries
    by = shift.total_seconds() * 1000
    moved = {}
    for key, entry in entries.items():
        at = entry.get("at") if isinstance(entry, dict) else None
        if isinstance(at, int | float) and not isinstance(at, bool):
            entry = {**entry, "at": at + by}
        moved[key] = entry
    return moved


def _percent(value: float | None) -> str:
    return format_decimal(round(value or 0, 1))


def read_sync_file(data: bytes) -> list[Any]:
    """The items of a sync file saved by a device's sync page."""
    if len(data) > current_app.config["SYNC_FILE_MAX_BYTES"]:
        raise DomainError(_("The file is too large to be a sync file."), field="file")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DomainError(
            _("This is not a sync file, or it was damaged on the way. Save it again from the sync page."),
            field="file",
        ) from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise DomainError(_("This is not a sync file of this LMS."), field="file")
    items = document.get("items")
    if not isinstance(items, list) or not items:
        raise DomainError(_("The sync file holds no results."), field="file")
    limit = current_app.config["SYNC_MAX_ITEMS"]
    if len(items) > limit:
        raise DomainError(_("At most %(n)d results can be sent at once.", n=limit), field="file")
    return items


def record_upload(results: list[ItemResult]) -> None:
    """A sync file's upload goes into the audit log, per employee whose results it held:
    a supervisor may upload for the team."""
    per_person: dict[tuple[int, str], dict[str, int]] = {}
    for result in results:
        if result.pegawai_id is not None:
            counts = per_person.setdefault((result.pegawai_id, result.pegawai_name), {})
            counts[result.status] = counts.get(result.status, 0) + 1
    for (pegawai_id, name), counts in per_person.items():
        audit.record("luring.unggah", "pegawai", pegawai_id, name, after=counts)
