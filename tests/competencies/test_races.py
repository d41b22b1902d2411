"""Two or three people acting on the same thing at the same moment, truly in parallel.

Every actor is a signed-in test client of its own, sending its request from a thread of
its own in an app context of its own (so with its own database session and connection),
and a Barrier lets the requests go together. The transaction that wrote first is held
open a moment after its write (:func:`widened`), with its locks, so the other request
is sure to run into it instead of arriving after it has committed.

On PostgreSQL the transactions overlap and the conditional updates and row locks decide;
on SQLite the database lets one writer in at a time, and the same answers must hold.
Whoever wins may differ between runs; what is asserted holds for either winner:

- verify against reject: one decision, its evidence exactly when it is a verification,
  and the loser told "already decided" (never a 500, never a second decision);
- verify against the employee's withdrawal: the record is gone with no evidence, or it
  is verified with its evidence, once;
- evidence of one person changing three ways at once (an assessment deleted, one
  recorded, a course completed): the stored level is what the rule makes of the evidence
  left, and the level history is one unbroken chain ending at it;
- a quiz attempt submitted twice at once: graded once, one completion, one evidence.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from lms import signals
from lms.competencies import services
from lms.competencies.models import Bukti, LevelPegawai, RiwayatLevel
from lms.competencies.services import Evidence, current_level
from lms.core.time import local_today, utcnow
from lms.extensions import db
from lms.progress.models import CourseCompletion, Pengembangan
from lms.quizzes.models import Attempt
from lms.storage import storage
from tests import concurrency
from tests.competencies.conftest import ui_text
from tests.concurrency import together
from tests.conftest import (
    CORRECT_ANSWERS,
    NIPS,
    PASSWORD,
    Client,
    answer_form,
    csrf_from,
    enter_development,
)

KEPALA_NIP, KABID_NIP, STAF_NIP = "199001012015031001", "198502022010012002", "199303032018031003"
ADMIN2_NIP = "198104042006041004"
ROUNDS = 20
HOLD = 0.03  # seconds a transaction stays open after its contested write


# --- running requests together ------------------------------------------------------------


def widened(*statements: str, seconds: float = HOLD):
    """Keep a transaction open after it ran a statement starting with one of ``statements``."""
    prefixes = tuple(s.upper() for s in statements)
    return concurrency.widened(lambda text: text.startswith(prefixes), seconds)


class Actor:
    """A person signed in on a client of their own, with a CSRF token fetched beforehand,
    so that after the barrier the raced request is the only one sent."""

    def __init__(self, app, user, *, client: Client | None = None):
        self.user = user
        self.pegawai_id = user.pegawai_id
        self.client = client or Client(app, app.response_class)
        if client is None:
            token = csrf_from(self.client.get("/masuk").get_data(as_text=True))
            response = self.client.post(
                "/masuk", data={"csrf_token": token, "nip": user.pegawai.nip, "password": PASSWORD}
            )
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
        self.token = csrf_from(self.client.get("/").get_data(as_text=True))

    def twin(self, app) -> Actor:
        """A second client of the same signed-in session (the same cookies), as a second
        tab or a resend from the device."""
        other = Client(app, app.response_class)
        cookie = self.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        return Actor(app, self.user, client=other)

    def post(self, path: str, data: dict | None = None):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})})

    def flashes(self) -> list[tuple[str, str]]:
        """The messages waiting for this person's next page (and takes them)."""
        with self.client.session_transaction() as session:
            return [tuple(item) for item in session.pop("_flashes", [])]


# --- what must hold afterwards -------------------------------------------------------------


def stored_level(pegawai_id: int, code: str) -> int:
    return (
        db.session.scalar(
            select(LevelPegawai.level).where(LevelPegawai.pegawai_id == pegawai_id, LevelPegawai.code == code)
        )
        or 0
    )


def assert_level_follows_evidence(pegawai_id: int, code: str) -> int:
    """The stored level is the rule applied to the evidence that is left, and the history
    is one chain of changes from 0 that ends at it (no change computed from stale
    evidence, none lost). Returns the level."""
    rows = db.session.execute(
        select(Bukti.jenis, Bukti.level, Bukti.achieved_at).where(
            Bukti.pegawai_id == pegawai_id, Bukti.code == code
        )
    ).all()
    level = stored_level(pegawai_id, code)
    assert level == current_level(Evidence(*row) for row in rows), (rows, level)
    history = db.session.execute(
        select(RiwayatLevel.old_level, RiwayatLevel.new_level)
        .where(RiwayatLevel.pegawai_id == pegawai_id, RiwayatLevel.code == code)
        .order_by(RiwayatLevel.at)
    ).all()
    starts = [old for old, _new in history]
    # Each change starts where the one before ended, the first at 0 (no history: level 0).
    assert starts == [0, *(new for _old, new in history)][: len(history)], history
    assert (history[-1].new_level if history else 0) == level, history
    return level


def evidence_of_record(record_id: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Bukti).where(Bukti.pengembangan_id == record_id)
    )


def orphan_evidence() -> int:
    """Evidence naming a development record that does not exist."""
    return db.session.scalar(
        select(func.count())
        .select_from(Bukti)
        .where(Bukti.pengembangan_id.is_not(None), Bukti.pengembangan_id.not_in(select(Pengembangan.id)))
    )


# --- development records -----------------------------------------------------------------


@pytest.fixture
def chain(make_user):
    """kepala ← kabid ← staf, and an admin outside the chain."""
    kepala = make_user(KEPALA_NIP, "Kepala Dinas")
    kabid = make_user(KABID_NIP, "Kepala Bidang", atasan=kepala)
    staf = make_user(STAF_NIP, "Staf Pelaksana", atasan=kabid)
    admin = make_user(NIPS["admin"], "Admin Uji", is_admin=True)
    return {"kepala": kepala, "kabid": kabid, "staf": staf, "admin": admin}


def pending_record(owner, level: int) -> Pengembangan:
    """A record naming M.02 at ``level``, with a PDF, entered as the form does."""
    return enter_development(owner.pegawai_id, kompetensi=("M.02", level))


# Who verifies and who rejects, round by round: two supervisors up the chain, or one of
# them and an admin, each in both roles.
PAIRS = [
    ("kabid", "kepala"),
    ("kepala", "kabid"),
    ("admin", "kabid"),
    ("kabid", "admin"),
    ("admin", "kepala"),
    ("kepala", "admin"),
]


def test_verify_and_reject_at_once_decide_a_record_once(app, ctx, chain):
    actors = {name: Actor(app, chain[name]) for name in ("kepala", "kabid", "admin")}
    staf = chain["staf"].pegawai_id
    records = [pending_record(chain["staf"], 1 + i % 5) for i in range(ROUNDS)]
    record_ids = [record.id for record in records]
    already = ("error", ui_text("This record has already been decided or was withdrawn."))
    won = {
        "verify": ("success", ui_text("Verified: the JP now count.")),
        "reject": ("success", ui_text("Rejected, with your note.")),
    }

    with widened("UPDATE pengembangan"):
        for i, record_id in enumerate(record_ids):
            verifier, rejecter = (actors[name] for name in PAIRS[i % len(PAIRS)])
            path = f"/pengembangan/{record_id}/verifikasi"
            answers = together(
                app,
                partial(verifier.post, path, {"action": "verify", "catatan": ""}),
                partial(rejecter.post, path, {"action": "reject", "catatan": "Sertifikat tidak sah"}),
            )
            assert [r.status_code for r in answers] == [302, 302], [r.status_code for r in answers]
            told = {"verify": verifier.flashes(), "reject": rejecter.flashes()}
            winners = [action for action, messages in told.items() if messages == [won[action]]]
            assert len(winners) == 1, told
            (winner,) = winners
            loser = "reject" if winner == "verify" else "verify"
            assert told[loser] == [already], told

            record = db.session.get(Pengembangan, record_id)
            by = verifier if winner == "verify" else rejecter
            assert (record.status, record.verified_by_id) == (
                "verified" if winner == "verify" else "rejected",
                by.pegawai_id,
            )
            assert record.catatan_verifikasi == (None if winner == "verify" else "Sertifikat tidak sah")
            assert evidence_of_record(record_id) == (1 if winner == "verify" else 0)

    assert_level_follows_evidence(staf, "M.02")


def test_verify_and_withdraw_at_once_leave_a_record_whole_or_nothing(app, ctx, chain):
    owner = Actor(app, chain["staf"])
    verifiers = [Actor(app, chain[name]) for name in ("kabid", "admin", "kepala")]
    records = [(r.id, r.file_key) for r in (pending_record(chain["staf"], 3) for _ in range(ROUNDS))]
    verified_msg = ("success", ui_text("Verified: the JP now count."))
    too_late_to_verify = ("error", ui_text("This record has already been decided or was withdrawn."))
    deleted_msg = ("success", ui_text("The record is deleted."))
    too_late_to_delete = ("error", ui_text("A verified record cannot be deleted."))

    with widened("UPDATE pengembangan", "DELETE FROM pengembangan"):
        for i, (record_id, file_key) in enumerate(records):
            verifier = verifiers[i % len(verifiers)]
            verify, withdraw = together(
                app,
                partial(verifier.post, f"/pengembangan/{record_id}/verifikasi", {"action": "verify"}),
                partial(owner.post, f"/pengembangan/{record_id}/hapus"),
            )
            assert withdraw.status_code == 302
            told_verifier, told_owner = verifier.flashes(), owner.flashes()
            record = db.session.get(Pengembangan, record_id)
            if record is None:
                # Withdrawn first: the verifier found it gone (404) or no longer pending.
                assert (verify.status_code, told_verifier) in ((302, [too_late_to_verify]), (404, []))
                assert told_owner == [deleted_msg]
                assert evidence_of_record(record_id) == 0
                assert not storage().exists(file_key)
            else:
                assert (verify.status_code, told_verifier) == (302, [verified_msg])
                assert told_owner == [too_late_to_delete]
                assert (record.status, record.verified_by_id) == ("verified", verifier.pegawai_id)
                assert evidence_of_record(record_id) == 1
                assert storage().exists(file_key)

    assert orphan_evidence() == 0
    assert_level_follows_evidence(chain["staf"].pegawai_id, "M.02")


# --- evidence of one person changing in several ways at once --------------------------------


def assessment_form(level: int, days_ago: int, token: str) -> dict:
    return {
        "csrf_token": token,
        "code": "M.02",
        "level": str(level),
        "held_on": (local_today() - timedelta(days=days_ago)).isoformat(),
        "catatan": "Uji kompetensi",
    }


EVIDENCE_ROUNDS = 6


def test_evidence_changing_three_ways_at_once_leaves_the_level_the_rule_gives(
    app, ctx, users, make_user, course_building
):
    """Per learner: admin 1 deletes an assessment (level 1, two days ago) while admin 2
    records another (five days ago) and the learner completes the course that builds the
    same competency (level 3). However the three interleave, the stored level is the
    rule applied to what is left: the deleted assessment gone, the new one and the course
    evidence there once each."""
    course_building("k-balapan", {"M.02": 3}, quiz=False)
    deleting = Actor(app, users["admin"])
    recording = Actor(app, make_user(ADMIN2_NIP, "Admin Kedua", is_admin=True))

    # Held after the evidence row is written, before the level is worked out from it.
    with widened("INSERT INTO bukti_kompetensi", "DELETE FROM bukti_kompetensi"):
        for i in range(EVIDENCE_ROUNDS):
            nip = f"19950505201901{1 + i % 2}{i:03d}"
            learner = make_user(nip, f"Peserta {i}")
            pegawai_id = learner.pegawai_id
            old = services.record_assessment(
                pegawai_id, "M.02", 1, local_today() - timedelta(days=2), users["admin"].pegawai_id
            )
            db.session.commit()
            old_id = old.id
            student = Actor(app, learner)
            assert student.post("/kursus/k-balapan/daftar").status_code == 302
            assert student.post("/kursus/k-balapan/modul/pembuka/selesai").status_code == 302
            new_level = 1 + i % 5

            answers = together(
                app,
                partial(deleting.post, f"/admin/asesmen/{nip}/{old_id}/hapus"),
                partial(
                    recording.client.post,
                    f"/admin/asesmen/{nip}",
                    data=assessment_form(new_level, 5, recording.token),
                ),
                partial(student.post, "/kursus/k-balapan/modul/penutup/selesai"),
            )
            assert [r.status_code for r in answers] == [302, 302, 302]
            assert answers[1].headers["Location"] == f"/profil/{nip}"

            kinds = db.session.execute(
                select(Bukti.id, Bukti.jenis, Bukti.level).where(Bukti.pegawai_id == pegawai_id)
            ).all()
            assert old_id not in {row.id for row in kinds}
            assert sorted((row.jenis, row.level) for row in kinds) == [("asesmen", new_level), ("kursus", 3)]
            # The course came after the new assessment, so it raises the level above it.
            assert assert_level_follows_evidence(pegawai_id, "M.02") == max(new_level, 3)
            for actor in (deleting, recording, student):
                actor.flashes()


# --- deleting evidence recomputes the level it supported (no race) ------------------------


def test_deleting_the_only_evidence_takes_the_level_back_to_zero(users, course_building, complete_course):
    learner = users["learner"]
    kursus = course_building("k-satu", {"M.02": 3}, quiz=False)
    complete_course(learner, kursus)
    assert stored_level(learner.pegawai_id, "M.02") == 3
    (bukti,) = db.session.scalars(select(Bukti).where(Bukti.pegawai_id == learner.pegawai_id))

    assert services.delete_evidence(bukti) == 0
    db.session.commit()

    assert stored_level(learner.pegawai_id, "M.02") == 0
    assert assert_level_follows_evidence(learner.pegawai_id, "M.02") == 0
    last = db.session.scalars(select(RiwayatLevel).order_by(RiwayatLevel.at.desc())).first()
    assert (last.old_level, last.new_level) == (3, 0)


def test_deleting_the_only_assessment_on_the_admin_page_takes_the_level_to_zero(
    client, auth, login_as, users
):
    learner = users["learner"]
    bukti = services.record_assessment(
        learner.pegawai_id, "M.02", 2, local_today() - timedelta(days=1), users["admin"].pegawai_id
    )
    db.session.commit()
    login_as("admin")

    response = auth.post(f"/admin/asesmen/{NIPS['learner']}/{bukti.id}/hapus")

    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Bukti)) == 0
    assert assert_level_follows_evidence(learner.pegawai_id, "M.02") == 0


def test_deleting_an_assessment_that_capped_the_level_gives_the_course_level_back(
    client, auth, login_as, users, course_building, complete_course
):
    """A course at level 3 a month ago, then an assessment two days ago that found level
    1: the assessment caps the level. Deleting it, the course's level 3 counts again."""
    learner = users["learner"]
    kursus = course_building("k-dua", {"M.02": 3}, quiz=False)
    complete_course(learner, kursus, when=utcnow() - timedelta(days=30))
    capping = services.record_assessment(
        learner.pegawai_id, "M.02", 1, local_today() - timedelta(days=2), users["admin"].pegawai_id
    )
    db.session.commit()
    assert stored_level(learner.pegawai_id, "M.02") == 1
    login_as("admin")

    response = auth.post(f"/admin/asesmen/{NIPS['learner']}/{capping.id}/hapus")

    assert response.status_code == 302
    assert assert_level_follows_evidence(learner.pegawai_id, "M.02") == 3
    history = db.session.execute(
        select(RiwayatLevel.old_level, RiwayatLevel.new_level).order_by(RiwayatLevel.at)
    ).all()
    assert [tuple(row) for row in history] == [(0, 3), (3, 1), (1, 3)]


# --- one quiz attempt submitted twice at once ----------------------------------------------

QUIZ_ROUNDS = 5


@pytest.fixture
def heard():
    """Every quiz_submitted and course_completed signal sent while the test runs."""
    sent: dict[str, list] = {"quiz_submitted": [], "course_completed": []}

    def on_quiz(sender, attempt, **extra):
        sent["quiz_submitted"].append(attempt.id)

    def on_completion(sender, completion, **extra):
        sent["course_completed"].append((completion.pegawai_id, completion.kursus_id))

    signals.quiz_submitted.connect(on_quiz)
    signals.course_completed.connect(on_completion)
    yield sent
    signals.quiz_submitted.disconnect(on_quiz)
    signals.course_completed.disconnect(on_completion)


def test_one_attempt_submitted_twice_at_once_is_graded_once(app, ctx, make_user, course, heard):
    already = ("info", ui_text("This attempt was already submitted; it counts once."))
    with widened("UPDATE attempt"):
        for i in range(QUIZ_ROUNDS):
            learner = make_user(f"19960606202001{1 + i % 2}{i:03d}", f"Peserta Kuis {i}")
            first = Actor(app, learner)
            for path in ("daftar", "modul/pembuka/selesai", "modul/penutup/selesai"):
                assert first.post(f"/kursus/kursus-uji/{path}").status_code == 302
            started = first.post("/kursus/kursus-uji/kuis/mulai")
            attempt_id = started.headers["Location"].rsplit("/", 1)[-1]
            first.flashes()  # what the steps so far said; the twin starts from the same cookie
            second = first.twin(app)
            form = answer_form(attempt_id, CORRECT_ANSWERS, action="submit", confirmed="1")

            answers = together(
                app,
                partial(
                    first.client.post, f"/percobaan/{attempt_id}", data={"csrf_token": first.token, **form}
                ),
                partial(
                    second.client.post, f"/percobaan/{attempt_id}", data={"csrf_token": second.token, **form}
                ),
            )

            assert [r.status_code for r in answers] == [302, 302]
            assert {r.headers["Location"] for r in answers} == {f"/percobaan/{attempt_id}/hasil"}
            told = sorted([first.flashes(), second.flashes()])
            assert told == [[], [already]], told
            attempt = db.session.get(Attempt, attempt_id)
            assert (attempt.status, attempt.passed, attempt.percent) == ("submitted", True, 100)
            assert heard["quiz_submitted"].count(attempt_id) == 1
            assert heard["course_completed"].count((learner.pegawai_id, course.id)) == 1
            completions = db.session.scalars(
                select(CourseCompletion).where(CourseCompletion.pegawai_id == learner.pegawai_id)
            ).all()
            assert len(completions) == 1
            assert (
                db.session.scalar(
                    select(func.count()).select_from(Bukti).where(Bukti.completion_id == completions[0].id)
                )
                == 1
            )
            assert assert_level_follows_evidence(learner.pegawai_id, "M.01") == 2
