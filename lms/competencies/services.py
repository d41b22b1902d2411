"""Competencies: the dictionary, position standards, evidence and each employee's level.

The one rule for an employee's current level of a competency is :func:`current_level`.
Whenever evidence changes, :func:`recompute` applies it and stores the result in
``LevelPegawai`` (with a line in ``RiwayatLevel`` when it moves), so the supervisor's
and admin's reports aggregate stored levels instead of re-deriving them per person.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, select

from lms import signals
from lms.catalog.importer import (
    COMPETENCY_RE,
    Errors,
    ImportFailed,
    TomlSource,
    check_text,
    check_unknown_keys,
)
from lms.catalog.models import Kursus, KursusKompetensi
from lms.core import audit
from lms.core.errors import DomainError, NotFoundError
from lms.core.ids import is_valid_id
from lms.core.time import local_to_utc, local_today, utcnow
from lms.extensions import db
from lms.org.models import Jabatan, Pegawai
from lms.progress.models import CourseCompletion, Pengembangan

from .models import JENIS_KOMPETENSI, Bukti, Kompetensi, LevelPegawai, RiwayatLevel, StandarKompetensi

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
NATIONAL_DICTIONARY = DATA_DIR / "kamus-nasional.toml"


# --- the rule -------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    jenis: str  # "kursus" | "pengembangan" | "asesmen"
    level: int
    achieved_at: datetime


def _deciding(items: list[Evidence]) -> list[Evidence]:
    """The evidence the level rests on: the latest assessment and what came after it, or,
    without an assessment, everything."""
    assessments = [e for e in items if e.jenis == "asesmen"]
    if not assessments:
        return items
    latest = max(assessments, key=lambda e: (e.achieved_at, e.level))
    return [latest, *(e for e in items if e.jenis != "asesmen" and e.achieved_at > latest.achieved_at)]


def current_level(evidence: Iterable[Evidence]) -> int:
    """The highest level evidenced, unless a formal assessment says otherwise.

    The latest assessment sets the level as of its date; only evidence achieved after
    it can raise the level above what it found. Without an assessment, the highest
    evidenced level counts. No evidence: level 0. Assessments held the same day share a
    time; of those the higher counts, so the result never depends on the row order.
    """
    return max((e.level for e in _deciding(list(evidence))), default=0)


def reached_at(evidence: Iterable[Evidence]) -> datetime | None:
    """When the current level was first shown: the earliest deciding evidence at that level
    (so a gap closes in the period of the course or assessment that closed it)."""
    deciding = _deciding(list(evidence))
    level = max((e.level for e in deciding), default=0)
    return min((e.achieved_at for e in deciding if e.level == level), default=None)


def _lock_person(pegawai_id: int) -> None:
    """Evidence of one person changes one at a time (PostgreSQL: a row lock held until the
    commit), so two changes at once cannot both compute the level from stale evidence.
    NO KEY UPDATE leaves the key-share locks that inserting evidence takes alone."""
    db.session.execute(select(Pegawai.id).where(Pegawai.id == pegawai_id).with_for_update(key_share=True))


def recompute(pegawai_id: int, code: str) -> int:
    """Apply the rule to the stored evidence and keep the result (and its history)."""
    _lock_person(pegawai_id)
    rows = db.session.execute(
        select(Bukti.jenis, Bukti.level, Bukti.achieved_at).where(
            Bukti.pegawai_id == pegawai_id, Bukti.code == code
        )
    ).all()
    evidence = [Evidence(*row) for row in rows]
    level = current_level(evidence)
    stored = db.session.get(LevelPegawai, (pegawai_id, code), populate_existing=True)
    old = stored.level if stored else 0
    if stored is None:
        if level:
            db.session.add(LevelPegawai(pegawai_id=pegawai_id, code=code, level=level, updated_at=utcnow()))
    elif stored.level != level:
        stored.level = level
        stored.updated_at = utcnow()
    if level != old:
        now = utcnow()
        shown = reached_at(evidence) if level > old else None
        db.session.add(
            RiwayatLevel(
                pegawai_id=pegawai_id,
                code=code,
                old_level=old,
                new_level=level,
                at=now,
                achieved_at=shown or now,
            )
        )
    db.session.flush()
    return level


def levels_of(pegawai_id: int) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(LevelPegawai.code, LevelPegawai.level).where(LevelPegawai.pegawai_id == pegawai_id)
        ).all()
    )


# --- evidence -------------------------------------------------------------------------


def known_codes() -> set[str]:
    return set(db.session.scalars(select(Kompetensi.code)))


def dictionary_choices() -> list[tuple[str, str]]:
    """(code, name) of every competency, in code order, for the editor's choices."""
    return [
        tuple(row)
        for row in db.session.execute(select(Kompetensi.code, Kompetensi.nama).order_by(Kompetensi.code))
    ]


def _add_evidence(pegawai_id: int, codes_levels: Mapping[str, int], **fields) -> list[Bukti]:
    _lock_person(pegawai_id)
    known = known_codes()
    added = []
    for code, level in codes_levels.items():
        if code not in known:
            # The importer refuses unknown codes; this only happens when a code was
            # removed from the dictionary after the course was imported.
            log.warning("evidence for unknown competency %s skipped", code)
            continue
        bukti = Bukti(pegawai_id=pegawai_id, code=code, level=level, **fields)
        db.session.add(bukti)
        added.append(bukti)
    db.session.flush()
    for bukti in added:
        recompute(pegawai_id, bukti.code)
    return added


def record_course_evidence(completion: CourseCompletion) -> list[Bukti]:
    built = dict(
        db.session.execute(
            select(KursusKompetensi.code, KursusKompetensi.level).where(
                KursusKompetensi.kursus_id == completion.kursus_id
            )
        ).all()
    )
    already = set(db.session.scalars(select(Bukti.code).where(Bukti.completion_id == completion.id)))
    return _add_evidence(
        completion.pegawai_id,
        {code: level for code, level in built.items() if code not in already},
        jenis="kursus",
        kursus_id=completion.kursus_id,
        completion_id=completion.id,
        score=completion.score,
        achieved_at=completion.completed_at,
    )


def _end_of_day_utc(day: date) -> datetime:
    return local_to_utc(datetime.combine(day, time(23, 59, 59)))


def record_development_evidence(record: Pengembangan, verified_by_id: int | None) -> list[Bukti]:
    if not record.kompetensi_code or not record.kompetensi_level:
        return []
    exists = db.session.scalar(select(Bukti.id).where(Bukti.pengembangan_id == record.id))
    if exists:
        return []
    return _add_evidence(
        record.pegawai_id,
        {record.kompetensi_code: record.kompetensi_level},
        jenis="pengembangan",
        pengembangan_id=record.id,
        achieved_at=_end_of_day_utc(record.tanggal_selesai),
        recorded_by_id=verified_by_id,
    )


def record_assessment(
    pegawai_id: int, code: str, level: int, held_on: date, recorded_by_id: int, catatan: str = ""
) -> Bukti:
    """A formal assessment (assessment centre, uji kompetensi) recorded by an admin; never
    by the person assessed (the same rule as verifying one's own development record)."""
    if recorded_by_id == pegawai_id:
        raise DomainError(
            _("You cannot record an assessment of yourself; another admin must record it."), field="code"
        )
    if not code or db.session.get(Kompetensi, code) is None:
        raise DomainError(_("Choose a competency from the dictionary."), field="code")
    if level not in (1, 2, 3, 4, 5):
        raise DomainError(_("The level must be between 1 and 5."), field="level")
    if held_on > local_today():
        raise DomainError(_("The assessment date cannot be in the future."), field="held_on")
    (bukti,) = _add_evidence(
        pegawai_id,
        {code: level},
        jenis="asesmen",
        achieved_at=_end_of_day_utc(held_on),
        recorded_by_id=recorded_by_id,
        catatan=catatan.strip()[:500] or None,
    )
    audit.record(
        "kompetensi.assessment.create",
        "pegawai",
        pegawai_id,
        _person_label(pegawai_id),
        after={"code": code, "level": level, "held_on": held_on, "bukti": bukti.id},
    )
    return bukti


def _person_label(pegawai_id: int) -> str:
    pegawai = db.session.get(Pegawai, pegawai_id)
    return f"{pegawai.nama} ({pegawai.nip})" if pegawai else str(pegawai_id)


def assessments_of(pegawai_id: int) -> list[Bukti]:
    return list(
        db.session.scalars(
            select(Bukti)
            .where(Bukti.pegawai_id == pegawai_id, Bukti.jenis == "asesmen")
            .order_by(Bukti.achieved_at.desc(), Bukti.code)
        )
    )


def delete_assessment(pegawai_id: int, bukti_id: str, by_pegawai_id: int) -> None:
    """Remove an assessment recorded in error; the level it supported is worked out again
    from the evidence that is left."""
    if by_pegawai_id == pegawai_id:
        raise DomainError(_("You cannot change the assessments of yourself; another admin must."))
    _lock_person(pegawai_id)
    bukti = db.session.get(Bukti, bukti_id) if is_valid_id(bukti_id) else None
    if bukti is None or bukti.pegawai_id != pegawai_id or bukti.jenis != "asesmen":
        raise NotFoundError()
    before = {"code": bukti.code, "level": bukti.level, "achieved_at": bukti.achieved_at, "bukti": bukti.id}
    delete_evidence(bukti)
    audit.record(
        "kompetensi.assessment.delete", "pegawai", pegawai_id, _person_label(pegawai_id), before=before
    )


def delete_evidence(bukti: Bukti) -> int:
    """Every removal of evidence goes through here, so the stored level never outlives the
    evidence it rested on. Returns the level now."""
    pegawai_id, code = bukti.pegawai_id, bukti.code
    _lock_person(pegawai_id)
    db.session.delete(bukti)
    db.session.flush()
    return recompute(pegawai_id, code)


def evidence_of(pegawai_id: int) -> list[Bukti]:
    return list(
        db.session.scalars(
            select(Bukti).where(Bukti.pegawai_id == pegawai_id).order_by(Bukti.achieved_at.desc(), Bukti.code)
        )
    )


@signals.course_completed.connect
def _on_course_completed(sender, completion: CourseCompletion, **extra):
    record_course_evidence(completion)


@signals.development_verified.connect
def _on_development_verified(sender, record: Pengembangan, verified_by_id: int | None = None, **extra):
    record_development_evidence(record, verified_by_id)


# --- profile: standard, levels, gaps ----------------------------------------------------


@dataclass(frozen=True)
class ProfileRow:
    kompetensi: Kompetensi
    current: int
    required: int | None

    @property
    def gap(self) -> int:
        return max(0, (self.required or 0) - self.current)


JENIS_ORDER = {jenis: index for index, jenis in enumerate(JENIS_KOMPETENSI)}


def profile_rows(pegawai: Pegawai) -> list[ProfileRow]:
    """Every competency the position requires or the employee has shown, in two queries."""
    required = standards_for(pegawai.jabatan_id) if pegawai.jabatan_id else {}
    current = levels_of(pegawai.id)
    codes = set(required) | {code for code, level in current.items() if level > 0}
    if not codes:
        return []
    dictionary = db.session.scalars(select(Kompetensi).where(Kompetensi.code.in_(codes)))
    rows = [ProfileRow(k, current.get(k.code, 0), required.get(k.code)) for k in dictionary]
    return sorted(rows, key=lambda r: (JENIS_ORDER.get(r.kompetensi.jenis, 9), r.kompetensi.code))


def gaps(rows: Iterable[ProfileRow]) -> list[ProfileRow]:
    return sorted((r for r in rows if r.gap > 0), key=lambda r: (-r.gap, r.kompetensi.code))


@dataclass(frozen=True)
class Suggestion:
    kursus: Kursus
    closes: list[tuple[str, int]]  # (code, level the course builds)


def courses_closing(pegawai_id: int, open_gaps: list[ProfileRow]) -> list[Suggestion]:
    """Published courses that build a competency with a gap above the current level,
    leaving out courses already completed; one query."""
    if not open_gaps:
        return []
    conditions = [
        and_(KursusKompetensi.code == row.kompetensi.code, KursusKompetensi.level > row.current)
        for row in open_gaps
    ]
    done = select(CourseCompletion.kursus_id).where(CourseCompletion.pegawai_id == pegawai_id)
    rows = db.session.execute(
        select(Kursus, KursusKompetensi.code, KursusKompetensi.level)
        .join(KursusKompetensi, KursusKompetensi.kursus_id == Kursus.id)
        .where(Kursus.status == "published", Kursus.id.not_in(done), db.or_(*conditions))
        .order_by(Kursus.title, KursusKompetensi.code)
    ).all()
    found: dict[int, Suggestion] = {}
    for kursus, code, level in rows:
        found.setdefault(kursus.id, Suggestion(kursus, [])).closes.append((code, level))
    return list(found.values())


# --- position standards ------------------------------------------------------------------


def standards_for(jabatan_id: int) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(StandarKompetensi.code, StandarKompetensi.level).where(
                StandarKompetensi.jabatan_id == jabatan_id
            )
        ).all()
    )


def set_standards(jabatan: Jabatan, levels: Mapping[str, int | None]) -> None:
    """Replace a position's standard: ``levels`` maps code → required level (None or 0
    for not required). Unknown codes and levels outside 1–5 are refused as a whole."""
    known = known_codes()
    for code, level in levels.items():
        if code not in known:
            raise DomainError(_("Unknown competency %(code)s.", code=code), field=code)
        if level not in (None, 0, 1, 2, 3, 4, 5):
            raise DomainError(_("The level must be between 1 and 5."), field=code)
    wanted = {code: level for code, level in levels.items() if level}
    before = {c: lv for c, lv in standards_for(jabatan.id).items() if c in levels}
    db.session.execute(
        delete(StandarKompetensi).where(
            StandarKompetensi.jabatan_id == jabatan.id, StandarKompetensi.code.in_(list(levels))
        )
    )
    db.session.add_all(StandarKompetensi(jabatan_id=jabatan.id, code=c, level=lv) for c, lv in wanted.items())
    db.session.flush()
    audit.record("jabatan.standards", "jabatan", jabatan.id, jabatan.nama, before=before, after=wanted)


def dictionary(jenis: str | None = None) -> list[Kompetensi]:
    query = select(Kompetensi)
    if jenis:
        query = query.where(Kompetensi.jenis == jenis)
    return sorted(db.session.scalars(query), key=lambda k: (JENIS_ORDER.get(k.jenis, 9), k.code))


def standards_matrix() -> dict[int, dict[str, int]]:
    matrix: dict[int, dict[str, int]] = {}
    for jabatan_id, code, level in db.session.execute(
        select(StandarKompetensi.jabatan_id, StandarKompetensi.code, StandarKompetensi.level)
    ):
        matrix.setdefault(jabatan_id, {})[code] = level
    return matrix


def standard_counts() -> dict[int, int]:
    return dict(
        db.session.execute(
            select(StandarKompetensi.jabatan_id, func.count()).group_by(StandarKompetensi.jabatan_id)
        ).all()
    )


# --- the dictionary file ---------------------------------------------------------------


def _check_entry(source: TomlSource, item, line: int) -> dict | None:
    if not isinstance(item, dict):
        source.error(line, "each [[kompetensi]] must be a table")
        return None
    check_unknown_keys(
        source, item, {"code", "nama", "jenis", "definisi", "level"}, line=line, where="[[kompetensi]]"
    )
    code = item.get("code")
    if not isinstance(code, str) or not COMPETENCY_RE.match(code):
        source.error(source.line_of("code", line), "'code' must look like M.01, SK.01 or T.NAME")
        return None
    nama = check_text(source, item, "nama", line=line, max_len=200)
    definisi = check_text(source, item, "definisi", line=line, max_len=4000, required=False) or ""
    jenis = item.get("jenis")
    if jenis not in JENIS_KOMPETENSI:
        source.error(source.line_of("jenis", line), f"'jenis' must be one of: {', '.join(JENIS_KOMPETENSI)}")
    levels = item.get("level")
    if not isinstance(levels, list) or [lv.get("level") for lv in levels if isinstance(lv, dict)] != [
        1,
        2,
        3,
        4,
        5,
    ]:
        source.error(line, f"{code}: give the five levels 1 to 5 in order as [[kompetensi.level]] tables")
        return None
    parsed = []
    for lv in levels:
        check_unknown_keys(
            source, lv, {"level", "deskripsi", "indikator"}, line=line, where="[[kompetensi.level]]"
        )
        text = check_text(source, lv, "deskripsi", line=line, max_len=500)
        indicators = lv.get("indikator", [])
        if not isinstance(indicators, list) or not all(isinstance(i, str) and i.strip() for i in indicators):
            source.error(line, f"{code} level {lv['level']}: 'indikator' must be a list of texts")
            indicators = []
        parsed.append({"level": lv["level"], "deskripsi": text, "indikator": [i.strip() for i in indicators]})
    return {"code": code, "nama": nama, "jenis": jenis, "definisi": definisi, "levels": parsed}


def import_dictionary(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """Load dictionary files, all or nothing; entries are matched by code and updated.
    Returns (code, "created" | "updated" | "unchanged"). The caller commits."""
    entries, errors = [], []
    for path in paths:
        path = Path(path).resolve()
        # Errors names a file relative to the folder above its root: rooted at the file
        # itself, every error reads "name.toml:LINE: …", like the duplicate-code error below.
        file_errors = Errors(path)
        source = TomlSource(path, file_errors) if path.is_file() else None
        if source is None:
            errors.append(f"{path}:1: file not found")
            continue
        if source.data is not None:
            check_unknown_keys(source, source.data, {"kompetensi"}, line=1, where=path.name)
            starts = source.table_starts("kompetensi")
            items = source.data.get("kompetensi", [])
            if not isinstance(items, list) or not items:
                source.error(1, "the file must hold [[kompetensi]] tables")
                items = []
            for index, item in enumerate(items):
                entry = _check_entry(source, item, starts[index] if index < len(starts) else 1)
                if entry:
                    entries.append((entry, source, starts[index] if index < len(starts) else 1))
        errors.extend(file_errors.items)
    seen: set[str] = set()
    for entry, source, line in entries:
        if entry["code"] in seen:
            errors.append(f"{source.path.name}:{line}: competency {entry['code']} is defined twice")
        seen.add(entry["code"])
    if errors:
        raise ImportFailed(errors)
    existing = {k.code: k for k in db.session.scalars(select(Kompetensi))}
    outcome = []
    for entry, _source, _line in entries:
        kompetensi = existing.get(entry["code"])
        if kompetensi is None:
            db.session.add(Kompetensi(**entry))
            outcome.append((entry["code"], "created"))
            continue
        changed = any(getattr(kompetensi, key) != value for key, value in entry.items())
        if changed:
            for key, value in entry.items():
                setattr(kompetensi, key, value)
        outcome.append((entry["code"], "updated" if changed else "unchanged"))
    db.session.flush()
    return outcome
