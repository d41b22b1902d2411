"""Item analysis of a quiz version, checked against figures worked out by hand.

The crafted class: ten learners whose first attempts score 95, 90, 85, 70, 60, 55, 50,
40, 30 and 20. 27% of ten, rounded, is three: the upper group is the first three, the
lower group the last three. The test course's quiz (tests.conftest.QUIZ_TOML) has
q1 single (a right, b wrong), q2 multiple (a and b right, c wrong), q3 true/false (true)
and q4 short.

    q1: upper and the 4th and 5th right (a), the rest b: 5 right, share 50%, D = 1 − 0 = +1
    q2: upper chose a only (wrong), 4th–7th a+b+c (wrong), lower a+b (right):
        3 right, share 30%, D = 0 − 1 = −1; a chosen 10 times, b 7, c 4
    q3: everyone true: share 100%, D = 0, "everyone correct"
    q4: six answered, none right: share 0%, "nobody answered correctly"

The last learner also has a second attempt with everything right, later: it must not
count (first attempts only), nor must an attempt still open.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.core.time import utcnow
from lms.extensions import db
from lms.quizzes.models import KuisVersion
from lms.reports.trainer import ItemAnalysis, group_size, item_analysis, versions_of

from .conftest import count_queries, table, tables
from .test_trainer_results import add_attempt, bulk_learners, option_ids, own, version_of

PERCENTS = (95, 90, 85, 70, 60, 55, 50, 40, 30, 20)


@pytest.fixture
def owned(course, users):
    own(users["trainer"], course)
    return course


def crafted(version: KuisVersion, pids: list[int]) -> None:
    a1, b1 = option_ids(version, "q1")
    a2, b2, c2 = option_ids(version, "q2")
    start = utcnow() - timedelta(days=2)
    for rank, (pid, percent) in enumerate(zip(pids, PERCENTS, strict=True)):
        upper, lower = rank < 3, rank >= 7
        q1 = (1.0, [a1]) if rank < 5 else (0.0, [b1])
        if upper:
            q2 = (0.0, [a2])
        elif lower:
            q2 = (1.0, [a2, b2])
        else:
            q2 = (0.0, [a2, b2, c2])
        q4 = (0.0, "jam") if rank < 6 else (0.0, None)
        items = {"q1": q1, "q2": q2, "q3": (1.0, ["true"]), "q4": q4}
        add_attempt(pid, version, percent=percent, items=items, when=start + timedelta(minutes=rank))
    everything = {"q1": (1.0, [a1]), "q2": (1.0, [a2, b2]), "q3": (1.0, ["true"]), "q4": (1.0, "jp")}
    add_attempt(pids[-1], version, percent=100, number=2, items=everything)
    add_attempt(pids[0], version, percent=None, number=2, status="open")


@pytest.fixture
def analysis(owned, add_people) -> ItemAnalysis:
    version = version_of(owned)
    crafted(version, add_people(10))
    return item_analysis(versions_of(version.kuis_id)[0])


def test_the_groups_are_27_percent_rounded():
    assert [group_size(n) for n in (0, 1, 2, 3, 10, 20, 100, 101)] == [0, 0, 1, 1, 3, 5, 27, 27]


def test_each_learner_counts_once_with_the_first_attempt(analysis):
    assert (analysis.learners, analysis.group_size, analysis.reliable) == (10, 3, False)
    assert [item.asked for item in analysis.items] == [10, 10, 10, 10]


def test_share_correct_and_discrimination_are_as_worked_out_by_hand(analysis):
    q1, q2, q3, q4 = analysis.items
    assert (q1.correct, q1.share_correct, q1.upper, q1.lower, q1.discrimination) == (5, 0.5, 1.0, 0.0, 1.0)
    assert (q2.correct, q2.share_correct, q2.discrimination) == (3, pytest.approx(0.3), -1.0)
    assert (q3.share_correct, q3.discrimination) == (1.0, 0.0)
    assert (q4.answered, q4.share_correct, q4.discrimination) == (6, 0.0, 0.0)


def test_options_are_counted_with_the_right_ones_marked(analysis):
    q1, q2, q3, q4 = analysis.items
    assert [(o.text, o.correct, o.chosen) for o in q1.options] == [("Kupang", True, 5), ("Ende", False, 5)]
    assert [(o.text, o.correct, o.chosen, o.share) for o in q2.options] == [
        ("Akuntabel", True, 10, 1.0),
        ("Adaptif", True, 7, 0.7),
        ("Birokratis", False, 4, 0.4),
    ]
    assert [(o.text, o.correct, o.chosen) for o in q3.options] == [("true", True, 10), ("false", False, 0)]
    assert q4.options == []


def test_each_flag_is_raised_where_it_belongs(analysis):
    # Ten attempts: too few for "an option nobody picks" on q3.
    assert [item.flags for item in analysis.items] == [
        [],
        ["negative_discrimination"],
        ["all_correct"],
        ["none_correct"],
    ]


@pytest.mark.parametrize(("learners", "flagged"), [(19, False), (20, True)])
def test_an_option_nobody_picks_is_flagged_from_20_attempts(owned, add_people, learners, flagged):
    version = version_of(owned)
    a1, _b1 = option_ids(version, "q1")
    for i, pid in enumerate(add_people(learners)):
        add_attempt(pid, version, percent=50 + i, items={"q1": (1.0, [a1])})
    q1 = item_analysis(versions_of(version.kuis_id)[0]).items[0]
    assert ("unused_option" in q1.flags) is flagged
    assert "all_correct" in q1.flags


def test_the_page_shows_the_figures_as_text(client, login_as, english, analysis, owned):
    login_as("trainer")
    response = client.get(f"/ampu/{owned.slug}/analisis")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = table(html, "items")
    assert [r[1:] for r in rows[1:]] == [
        ["10 / 10", "50%", "+1", "–"],
        ["10 / 10", "30%", "−1", "⚠ Negative discrimination"],
        ["10 / 10", "100%", "0", "⚠ Everyone answered correctly"],
        ["6 / 10", "0%", "0", "⚠ Nobody answered correctly"],
    ]
    assert "first submitted attempt" in html
    assert "Fewer than 20 learners" in html
    options = [rows for classes, rows in tables(html) if "options" in classes.split()]
    assert options[0][1:] == [["Kupang", "5 (50%)", "✓ correct"], ["Ende", "5 (50%)", "–"]]
    assert options[2][1:] == [["True", "10 (100%)", "✓ correct"], ["False", "0 (0%)", "–"]]


# --- versions ----------------------------------------------------------------------------------


def new_version(kursus) -> KuisVersion:
    """A second version of the course's quiz, as publishing a change makes."""
    current = version_of(kursus)
    version = KuisVersion(
        kuis_id=current.kuis_id,
        number=current.number + 1,
        title=current.title,
        pass_mark=current.pass_mark,
        max_attempts=current.max_attempts,
        feedback=current.feedback,
        questions=current.questions,
        content_hash="changed",
    )
    db.session.add(version)
    db.session.commit()
    return version


def learners_counted(response) -> int:
    assert response.status_code == 200, response.status_code
    found = re.search(r"(\d+) learners? counted", response.get_data(as_text=True))
    return int(found.group(1))


def test_attempts_of_an_old_version_are_counted_under_that_version(
    client, login_as, english, owned, add_people
):
    old = version_of(owned)
    ids = add_people(5)
    for pid in ids[:3]:
        add_attempt(pid, old, percent=80, items={"q1": (1.0, [option_ids(old, "q1")[0]])})
    new = new_version(owned)
    for pid in ids[2:4]:
        add_attempt(pid, new, percent=40, number=2 if pid == ids[2] else 1, items={"q1": (0.0, None)})
    login_as("trainer")
    base = f"/ampu/{owned.slug}/analisis"
    assert learners_counted(client.get(base)) == 2  # the latest version with attempts: 2
    assert learners_counted(client.get(f"{base}?versi=2")) == 2
    assert learners_counted(client.get(f"{base}?versi=1")) == 3
    page = client.get(f"{base}?versi=1").get_data(as_text=True)
    assert re.search(r'<option value="1" selected>', page)
    assert client.get(f"{base}?versi=9").status_code == 404
    first = item_analysis(next(v for v in versions_of(old.kuis_id) if v.version.number == 1))
    assert (first.items[0].asked, first.items[0].share_correct) == (3, 1.0)
    rows = table(client.get(f"/ampu/{owned.slug}/hasil").get_data(as_text=True), "results")
    attempts = {r[0].split(" 1990")[0]: r[3] for r in rows[1:]}
    assert sorted(attempts.values()) == ["1", "1", "1", "2"]


def test_without_attempts_on_the_newest_version_the_latest_with_attempts_is_shown(
    client, login_as, english, owned, add_people
):
    old = version_of(owned)
    add_attempt(add_people(1)[0], old, percent=80, items={"q1": (1.0, None)})
    new_version(owned)
    login_as("trainer")
    page = client.get(f"/ampu/{owned.slug}/analisis").get_data(as_text=True)
    assert "Version 1 of the quiz" in page


def test_a_course_without_quiz_says_so(client, login_as, english, make_course, users):
    kursus = make_course("tanpa-kuis", quiz=False)
    own(users["trainer"], kursus)
    login_as("trainer")
    response = client.get(f"/ampu/{kursus.slug}/analisis")
    assert response.status_code == 200 and "This course has no quiz." in response.get_data(as_text=True)
    assert client.get(f"/ampu/{kursus.slug}/hasil").status_code == 200


def test_a_version_without_attempts_shows_empty_figures(client, login_as, owned):
    login_as("trainer")
    assert client.get(f"/ampu/{owned.slug}/analisis").status_code == 200


# --- cost ---------------------------------------------------------------------------------------


def test_item_analysis_costs_the_same_queries_for_twice_the_learners(
    client, login_as, owned, add_people, enrol
):
    login_as("trainer")
    path = f"/ampu/{owned.slug}/analisis"
    bulk_learners(add_people, enrol, owned, 8)
    with count_queries() as few:
        assert client.get(path).status_code == 200
    bulk_learners(add_people, enrol, owned, 8)
    with count_queries() as more:
        assert client.get(path).status_code == 200
    assert len(more) == len(few) <= 10
