"""The trainer's pages: the courses he teaches (/ampu), each course's results per learner
and their XLSX. Who may open them, what they count, and that they cost a fixed number
of queries however many learners a course has.

Attempts are written two ways: through the quiz services (as a learner's submission
does, graded items included), or as rows with chosen figures and graded items
(``add_attempt``) where a test needs many of them or exact scores.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.catalog.models import KursusPemilik, Modul
from lms.core.ids import new_id
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai
from lms.progress.models import ModuleCompletion
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, AttemptChoice, AttemptItem, KuisVersion
from lms.reports.trainer import PAGE_SIZE
from tests.conftest import CORRECT_ANSWERS, NIPS, WRONG_ANSWERS, real_answers

from .conftest import count_queries, sheet_rows, table, workbook

# --- writing attempts ---------------------------------------------------------------------


def own(user, kursus) -> None:
    db.session.add(KursusPemilik(kursus_id=kursus.id, pegawai_id=user.pegawai_id))
    db.session.commit()


def version_of(kursus) -> KuisVersion:
    return quizzes.quiz_for_course(kursus.id).current


def option_ids(version: KuisVersion, qid: str) -> list[str]:
    """The question's option ids in the order kuis.toml writes them ("a", "b", … there)."""
    question = next(q for q in version.questions if q["id"] == qid)
    return [o["id"] for o in question.get("options", [])]


def submit(who, kursus, answers: dict) -> Attempt:
    """An attempt started and submitted through the quiz services, answers written with
    letters as in tests.conftest.CORRECT_ANSWERS."""
    pid = who.pegawai_id if hasattr(who, "pegawai_id") else who
    attempt = quizzes.start_attempt(pid, quizzes.quiz_for_course(kursus.id))
    db.session.flush()
    quizzes.submit_attempt(attempt, real_answers(attempt.id, answers))
    db.session.commit()
    # Submission grades each question into the rows item analysis reads.
    assert db.session.scalar(select(func.count()).where(AttemptItem.attempt_id == attempt.id)) == 4
    return attempt


def add_attempt(
    pid: int,
    version: KuisVersion,
    *,
    percent: float | None,
    number: int = 1,
    items: dict | None = None,
    when: datetime | None = None,
    status: str = "submitted",
    pass_mark: float = 75,
) -> str:
    """An attempt as a row, with its graded items: ``items`` maps a question id to
    (fraction, chosen), chosen being option ids (a list), a text answer, or None when the
    question was left unanswered."""
    started = when or utcnow() - timedelta(hours=2)
    attempt_id = new_id()
    submitted = status == "submitted"
    db.session.add(
        Attempt(
            id=attempt_id,
            pegawai_id=pid,
            kuis_id=version.kuis_id,
            kuis_version_id=version.id,
            number=number,
            status=status,
            started_at=started,
            submitted_at=started + timedelta(minutes=15) if submitted else None,
            layout=[
                {"id": q["id"], "options": [o["id"] for o in q.get("options", [])]} for q in version.questions
            ],
            answers={},
            score=percent / 10 if submitted else None,
            max_score=10.0 if submitted else None,
            percent=percent if submitted else None,
            passed=percent >= pass_mark if submitted else None,
        )
    )
    db.session.flush()
    for qid, (fraction, chosen) in (items or {}).items():
        db.session.add(
            AttemptItem(
                attempt_id=attempt_id,
                question_id=qid,
                kuis_version_id=version.id,
                answered=chosen is not None,
                fraction=fraction,
                points=fraction,
                max_points=1.0,
            )
        )
        for option_id in chosen if isinstance(chosen, list) else []:
            db.session.add(
                AttemptChoice(
                    attempt_id=attempt_id, question_id=qid, option_id=option_id, kuis_version_id=version.id
                )
            )
    db.session.commit()
    return attempt_id


def bulk_learners(add_people, enrol, kursus, count: int, *, scores=None) -> list[int]:
    """``count`` enrolled learners, each with one submitted attempt (score from ``scores``)."""
    ids = add_people(count)
    version = version_of(kursus)
    for i, pid in enumerate(ids):
        enrol(pid, kursus, source="self")
        percent = scores[i] if scores else (i * 7) % 101
        add_attempt(pid, version, percent=percent, items={"q1": (1.0 if percent >= 50 else 0.0, [])})
    return ids


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def owned(course, users):
    """The test course, owned by the trainer."""
    own(users["trainer"], course)
    return course


@pytest.fixture
def other_trainer(make_user):
    return make_user("198901012015031001", "Pengajar Lain", is_pengajar=True)


def results(response) -> dict[str, dict]:
    """The learners on a results page by name: their figures as the page shows them."""
    assert response.status_code == 200, response.status_code
    rows = table(response.get_data(as_text=True), "results")
    found = {}
    for cells in rows[1:]:
        who, enrolled, modules, attempts, best, last, passed, completed = cells
        nama, nip, unit = re.match(r"^(.*?) (\d{18}) · (.*)$", who).groups()
        found[nama] = {
            "nip": nip,
            "unit": unit,
            "enrolled": enrolled,
            "modules": modules,
            "attempts": int(attempts),
            "best": best,
            "last": last,
            "passed": passed,
            "completed": completed,
        }
    return found


def summary(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    block = re.search(r'<dl class="facts-list card summary">(.*?)</dl>', html, re.S).group(1)
    return {
        " ".join(dt.split()): " ".join(dd.split())
        for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block, re.S)
    }


# --- who may open them -------------------------------------------------------------------

PAGES = ("/ampu/{slug}/hasil", "/ampu/{slug}/hasil.xlsx", "/ampu/{slug}/analisis")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [("trainer", 200), ("admin", 200), ("other_trainer", 403), ("learner", 403), ("supervisor", 403)],
)
def test_a_course_s_pages_open_for_its_owners_and_admins_only(
    client, auth, owned, other_trainer, login_as, who, status, path
):
    if who == "other_trainer":
        assert auth.login(other_trainer.pegawai.nip).status_code == 302
    else:
        login_as(who)
    assert client.get(path.format(slug=owned.slug)).status_code == status


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("who", "status"), [("trainer", 404), ("admin", 404), ("learner", 403)])
def test_an_unknown_course_is_404_for_trainers_and_still_403_for_learners(
    client, login_as, users, who, status, path
):
    login_as(who)
    assert client.get(path.format(slug="tidak-ada")).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("trainer", 200), ("admin", 200), ("learner", 403), ("supervisor", 403)]
)
def test_the_list_of_courses_taught_is_for_trainers_and_admins(client, login_as, users, who, status):
    login_as(who)
    assert client.get("/ampu").status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(client, owned):
    for path in ("/ampu", *(p.format(slug=owned.slug) for p in PAGES)):
        response = client.get(path)
        assert response.status_code == 302 and "/masuk" in response.headers["Location"]


# --- the courses a trainer teaches -----------------------------------------------------------


def test_the_list_shows_own_courses_of_any_status_with_their_figures(
    client, login_as, english, users, make_course, other_trainer, add_people, enrol, complete_course
):
    mine = make_course("kursus-saya")
    draft = make_course("kursus-draf", status="draft")
    theirs = make_course("kursus-lain")
    own(users["trainer"], mine)
    own(users["trainer"], draft)
    own(other_trainer, theirs)
    ids = add_people(4)
    version = version_of(mine)
    for pid in ids:
        enrol(pid, mine, source="self")
    complete_course(db.session.get(Pegawai, ids[0]), mine, score=90)
    # Best scores 90 and 60 (average 75); the attempt of 40 days ago is not recent.
    add_attempt(ids[0], version, percent=50, number=1, when=utcnow() - timedelta(days=40))
    add_attempt(ids[0], version, percent=90, number=2)
    add_attempt(ids[1], version, percent=60)
    login_as("trainer")
    rows = table(client.get("/ampu").get_data(as_text=True), "taught")
    by_title = {r[0]: r[1:5] for r in rows[1:]}
    assert set(by_title) == {"Kursus Uji kursus-saya Published", "Kursus Uji kursus-draf Draft"}
    assert by_title["Kursus Uji kursus-saya Published"] == ["4", "1 (25%)", "75%", "2"]
    assert by_title["Kursus Uji kursus-draf Draft"] == ["0", "0", "–", "0"]


def test_admins_see_every_course(client, login_as, make_course, other_trainer):
    make_course("kursus-a")
    own(other_trainer, make_course("kursus-b"))
    login_as("admin")
    rows = table(client.get("/ampu").get_data(as_text=True), "taught")
    assert len(rows) == 3


def test_the_list_links_each_course_to_its_results_and_item_analysis(client, login_as, owned):
    login_as("trainer")
    html = client.get("/ampu").get_data(as_text=True)
    assert f'href="/ampu/{owned.slug}/hasil"' in html
    assert f'href="/ampu/{owned.slug}/analisis"' in html
    # Edit and "New course" appear once the editor's pages exist.
    views = client.application.view_functions
    assert (f'href="/ampu/{owned.slug}"' in html) == ("authoring.course" in views)
    assert ('href="/ampu/baru"' in html) == ("authoring.new_course" in views)


# --- a course's results ------------------------------------------------------------------------


def test_each_learner_shows_enrolment_modules_attempts_best_score_and_completion(
    client, login_as, english, owned, users, enrol
):
    learner, other = users["learner"], users["other"]
    enrol(learner, owned, source="self")
    for modul in db.session.scalars(select(Modul).where(Modul.kursus_id == owned.id)):
        db.session.add(ModuleCompletion(pegawai_id=learner.pegawai_id, modul_id=modul.id))
    db.session.commit()
    submit(learner, owned, WRONG_ANSWERS)
    submit(learner, owned, CORRECT_ANSWERS)  # passes: every module done, so the course is completed
    submit(other, owned, {"q1": "a", "q2": ["a"], "q3": "true", "q4": "x"})  # not enrolled, 50%
    login_as("trainer")
    found = results(client.get(f"/ampu/{owned.slug}/hasil"))
    assert set(found) == {"Peserta Uji", "Peserta Lain"}
    mine, theirs = found["Peserta Uji"], found["Peserta Lain"]
    assert (mine["nip"], mine["unit"]) == (NIPS["learner"], "UPT Uji")
    assert (mine["modules"], mine["attempts"], mine["best"], mine["passed"]) == ("2 / 2", 2, "100%", "✓ Yes")
    assert mine["enrolled"] != "–" and mine["last"] != "–" and mine["completed"] != "–"
    assert (theirs["enrolled"], theirs["modules"], theirs["attempts"], theirs["best"]) == (
        "–",
        "0 / 2",
        1,
        "50%",
    )
    assert (theirs["passed"], theirs["completed"]) == ("No", "–")


def test_the_summary_counts_and_gives_the_mean_and_median_best_score(
    client, login_as, english, owned, add_people, enrol
):
    ids = add_people(5)
    version = version_of(owned)
    for pid in ids[:4]:
        enrol(pid, owned, source="self")
    # Best scores 10, 20, 35 and 80 (the 5 before it does not count), one learner without any.
    for pid, percent in zip(ids, (10, 20, 35), strict=False):
        add_attempt(pid, version, percent=percent)
    add_attempt(ids[3], version, percent=5, number=1)
    add_attempt(ids[3], version, percent=80, number=2)
    add_attempt(ids[4], version, percent=100)  # not enrolled, has an attempt: a learner too
    login_as("trainer")
    response = client.get(f"/ampu/{owned.slug}/hasil")
    figures = summary(response)
    assert figures["Learners"] == "5"
    assert figures["Enrolled"] == "4"
    assert figures["Passed the quiz"] == "2"
    assert figures["Average best score"] == "49%"  # (10 + 20 + 35 + 80 + 100) / 5
    assert figures["Median best score"] == "35%"
    assert "<svg" in response.get_data(as_text=True)


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(
    client, login_as, english, owned, add_people, enrol
):
    bulk_learners(add_people, enrol, owned, 4, scores=[10, 20, 35, 80])
    login_as("trainer")
    assert summary(client.get(f"/ampu/{owned.slug}/hasil"))["Median best score"] == "27.5%"


def test_the_histogram_counts_learners_per_band_of_ten_points(ctx, owned, add_people, enrol):
    from lms.reports.trainer import ResultFilters, course_results

    bulk_learners(add_people, enrol, owned, 6, scores=[0, 9.9, 10, 55, 99.5, 100])
    view = course_results(owned, version_of(owned).kuis_id, ResultFilters())
    assert view.summary.histogram == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_learners_sort_by_name_score_or_latest_attempt(client, login_as, owned, add_people, enrol):
    ids = add_people(["Cici", "Ani", "Budi", "Dedi"])
    version = version_of(owned)
    for pid in ids:
        enrol(pid, owned, source="self")
    now = utcnow()
    add_attempt(ids[0], version, percent=90, when=now - timedelta(days=5))  # Cici
    add_attempt(ids[1], version, percent=40, when=now - timedelta(days=3))  # Ani
    add_attempt(ids[2], version, percent=70, when=now - timedelta(days=1))  # Budi; Dedi has none
    login_as("trainer")

    def order(query: str) -> list[str]:
        return list(results(client.get(f"/ampu/{owned.slug}/hasil{query}")))

    assert order("") == ["Ani", "Budi", "Cici", "Dedi"]
    assert order("?urut=score") == ["Cici", "Budi", "Ani", "Dedi"]
    assert order("?urut=last") == ["Budi", "Ani", "Cici", "Dedi"]
    assert order("?urut=nonsense") == ["Ani", "Budi", "Cici", "Dedi"]


def test_learners_filter_by_name_or_nip(client, login_as, owned, add_people, enrol):
    ids = add_people(["Maria Ndolu", "Yosef Manafe", "Maria Lay"])
    for pid in ids:
        enrol(pid, owned, source="self")
    nip = db.session.get(Pegawai, ids[1]).nip
    login_as("trainer")
    assert set(results(client.get(f"/ampu/{owned.slug}/hasil?q=maria"))) == {"Maria Ndolu", "Maria Lay"}
    assert set(results(client.get(f"/ampu/{owned.slug}/hasil?q={nip}"))) == {"Yosef Manafe"}


def test_learners_come_fifty_a_page(client, login_as, owned, add_people, enrol):
    bulk_learners(add_people, enrol, owned, PAGE_SIZE + 5)
    login_as("trainer")
    first = client.get(f"/ampu/{owned.slug}/hasil?urut=score")
    assert len(results(first)) == PAGE_SIZE
    assert "halaman=2" in first.get_data(as_text=True) and "urut=score" in first.get_data(as_text=True)
    assert len(results(client.get(f"/ampu/{owned.slug}/hasil?urut=score&halaman=2"))) == 5
    # Past the end: the last page.
    assert len(results(client.get(f"/ampu/{owned.slug}/hasil?halaman=99"))) == 5


def test_the_course_pages_show_the_editor_sections(client, login_as, english, owned):
    login_as("trainer")
    for path in (f"/ampu/{owned.slug}/hasil", f"/ampu/{owned.slug}/analisis"):
        html = client.get(path).get_data(as_text=True)
        nav = re.search(r'<nav class="subnav".*?</nav>', html, re.S).group(0)
        assert f'href="/ampu/{owned.slug}/hasil"' in nav and f'href="/ampu/{owned.slug}/analisis"' in nav
        assert 'aria-current="page"' in nav


# --- the XLSX of every attempt -----------------------------------------------------------------


def test_the_xlsx_has_one_row_per_attempt_with_the_nip_as_text(
    client, login_as, english, owned, users, enrol
):
    enrol(users["learner"], owned, source="self")
    submit(users["learner"], owned, WRONG_ANSWERS)
    submit(users["learner"], owned, CORRECT_ANSWERS)
    submit(users["other"], owned, {"q1": "a", "q2": ["a"], "q3": "true", "q4": "x"})
    login_as("trainer")
    response = client.get(f"/ampu/{owned.slug}/hasil.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = workbook(response).active
    rows = sheet_rows(sheet)
    assert rows[0] == [
        "Learner", "NIP", "Unit", "Attempt", "Quiz version", "Started", "Submitted",
        "Score", "Maximum", "Score (%)", "Passed", "Late",
    ]  # fmt: skip
    body = [(r[0], r[1], r[2], r[3], r[4], r[7], r[8], r[9], r[10], r[11]) for r in rows[1:]]
    assert body == [
        ("Peserta Lain", NIPS["other"], "UPT Uji", 1, 1, 2, 4, 50, "No", "No"),
        ("Peserta Uji", NIPS["learner"], "UPT Uji", 1, 1, 0, 4, 0, "No", "No"),
        ("Peserta Uji", NIPS["learner"], "UPT Uji", 2, 1, 4, 4, 100, "Yes", "No"),
    ]
    nips = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert {(c.data_type, c.number_format) for c in nips} == {("s", "@")}
    assert all(isinstance(r[5], datetime) and isinstance(r[6], datetime) for r in rows[1:])


def test_an_open_attempt_is_in_the_xlsx_without_a_score(client, login_as, owned, users):
    add_attempt(users["learner"].pegawai_id, version_of(owned), percent=None, status="open")
    login_as("trainer")
    rows = sheet_rows(workbook(client.get(f"/ampu/{owned.slug}/hasil.xlsx")).active)
    assert len(rows) == 2 and rows[1][6:10] == [None, None, None, None]


# --- cost ------------------------------------------------------------------------------------

BUDGET = 10


def _queries(client, path: str) -> int:
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


@pytest.mark.parametrize(
    "path", ["/ampu/{slug}/hasil", "/ampu/{slug}/hasil?urut=score&q=anggota", "/ampu/{slug}/hasil.xlsx"]
)
@pytest.mark.parametrize("who", ["trainer", "admin"])
def test_results_cost_the_same_queries_for_twice_the_learners(
    client, login_as, owned, add_people, enrol, path, who
):
    login_as(who)
    bulk_learners(add_people, enrol, owned, 6)
    few = _queries(client, path.format(slug=owned.slug))
    bulk_learners(add_people, enrol, owned, 6)
    assert _queries(client, path.format(slug=owned.slug)) == few <= BUDGET


def test_the_list_costs_the_same_queries_for_twice_the_courses_and_learners(
    client, login_as, users, make_course, add_people, enrol
):
    login_as("trainer")

    def more(tag: str) -> None:
        for n in range(2):
            kursus = make_course(f"kursus-{tag}-{n}")
            own(users["trainer"], kursus)
            bulk_learners(add_people, enrol, kursus, 3)

    more("a")
    few = _queries(client, "/ampu")
    more("b")
    assert _queries(client, "/ampu") == few <= BUDGET
