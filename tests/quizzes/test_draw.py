"""Drawing questions from the bank for each attempt.

* With draw rules, each rule picks ``count`` different questions at random (reproducibly
  from the attempt's seed) among those having any of its tags that no earlier rule
  picked; the attempt asks only those. Without rules every question is asked, as before.
* Rules that ``check_draw`` accepts can always be met, whatever an earlier rule drew.
* An attempt is shown, saved, graded and reviewed on its drawn questions only: its
  maximum score is theirs, an undrawn question cannot be answered, and item analysis
  rows exist for the asked questions only.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from lms.core.errors import DomainError
from lms.extensions import db
from lms.quizzes import services as quizzes
from lms.quizzes.grading import make_layout, tag_set
from lms.quizzes.models import AttemptItem
from lms.quizzes.questions import check_draw
from tests.quizzes.courses import import_quiz, quiz_of


def bank(*tags: list[str]) -> list[dict]:
    return [
        {"id": f"q{i}", "type": "truefalse", "points": 1, "answer": True, "tags": t}
        for i, t in enumerate(tags)
    ]


BANK = bank(["a"], ["a"], ["a", "b"], ["b"], ["b"], ["c"], [])
RULES = [{"tags": ["a"], "count": 2}, {"tags": ["B"], "count": 2}]


def drawn(seed: str, draw=RULES, questions=BANK, shuffle: bool = False) -> list[str]:
    layout = make_layout(questions, seed=seed, shuffle_questions=shuffle, shuffle_options=False, draw=draw)
    return [item["id"] for item in layout]


def test_each_rule_draws_its_count_of_different_questions_with_its_tags():
    for n in range(30):
        ids = drawn(f"attempt-{n}")
        by_id = {q["id"]: q for q in BANK}
        assert len(ids) == len(set(ids)) == 4
        assert sum(1 for i in ids if "a" in by_id[i]["tags"]) >= 2
        assert sum(1 for i in ids if "b" in by_id[i]["tags"]) >= 2


def test_the_draw_is_reproducible_from_the_seed_and_differs_between_attempts():
    assert drawn("x") == drawn("x")
    assert len({tuple(drawn(f"attempt-{n}")) for n in range(20)}) > 1


def test_drawn_questions_keep_the_bank_order_unless_questions_are_shuffled():
    ids = drawn("x")

    assert ids == sorted(ids, key=[q["id"] for q in BANK].index)
    assert any(drawn(f"s{n}", shuffle=True) != sorted(drawn(f"s{n}", shuffle=True)) for n in range(10))


def test_without_draw_rules_every_question_is_asked_as_before():
    assert drawn("x", draw=None) == drawn("x", draw=[]) == [q["id"] for q in BANK]


@st.composite
def banks_and_rules(draw):
    tags = st.lists(st.sampled_from("abcd"), max_size=3)
    questions = bank(*draw(st.lists(tags, min_size=1, max_size=12)))
    rules = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "tags": st.lists(st.sampled_from("abcd"), min_size=1, max_size=2),
                    "count": st.integers(1, 4),
                }
            ),
            min_size=1,
            max_size=3,
        )
    )
    return questions, rules


@given(banks_and_rules(), st.text(max_size=8))
def test_rules_that_check_draw_accepts_are_always_met(case, seed):
    questions, rules = case
    if check_draw(questions, rules):
        return
    by_id = {q["id"]: q for q in questions}

    ids = drawn(seed, draw=rules, questions=questions)

    assert len(ids) == len(set(ids)) == sum(rule["count"] for rule in rules)
    assert all(tag_set(by_id[i]["tags"]) & tag_set([t for r in rules for t in r["tags"]]) for i in ids)


# --- attempts on a drawn quiz ----------------------------------------------------------------

POOL = "\n".join(
    f"""
[[questions]]
id = "{topic}{n}"
type = "truefalse"
text = "Pernyataan {topic} {n}."
answer = true
points = {2 if topic == "sandi" else 1}
tags = ["{topic}"]
"""
    for topic in ("phishing", "sandi")
    for n in range(1, 5)
)
DRAWN_QUIZ = f"""\
title = "Kuis Acak"
pass_mark = 50
shuffle_questions = true
{POOL}
[[draw]]
tags = ["phishing"]
count = 2

[[draw]]
tags = ["sandi"]
count = 1
"""


@pytest.fixture
def drawn_attempt(ctx, course_root, users):
    kursus = import_quiz(course_root, DRAWN_QUIZ)
    attempt = quizzes.start_attempt(users["learner"].pegawai_id, quiz_of(kursus))
    db.session.commit()
    return attempt


def test_an_attempt_asks_only_the_drawn_questions(drawn_attempt):
    asked = [q["id"] for q in quizzes.asked(drawn_attempt)]

    assert len(asked) == 3
    assert sum(qid.startswith("phishing") for qid in asked) == 2
    assert [q["id"] for q, _ in quizzes.laid_out(drawn_attempt)] == [
        item["id"] for item in drawn_attempt.layout
    ]
    assert len(drawn_attempt.version.questions) == 8


def test_a_question_that_was_not_drawn_cannot_be_answered(drawn_attempt):
    asked = {q["id"] for q in quizzes.asked(drawn_attempt)}
    other = next(q["id"] for q in drawn_attempt.version.questions if q["id"] not in asked)

    with pytest.raises(DomainError):
        quizzes.save_answer(drawn_attempt, other, "true")
    assert quizzes.answers_from_form(drawn_attempt, {f"q-{other}": ["true"]}) == {}


def test_a_drawn_attempt_is_graded_and_recorded_on_its_questions_only(drawn_attempt):
    asked = [q["id"] for q in quizzes.asked(drawn_attempt)]
    answers = {qid: "true" for qid in asked}

    quizzes.submit_attempt(drawn_attempt, answers)

    assert (drawn_attempt.score, drawn_attempt.max_score, drawn_attempt.percent) == (4.0, 4.0, 100.0)
    assert quizzes.unanswered(drawn_attempt, {}) == 3
    assert [item.result.question_id for item in quizzes.review(drawn_attempt)] == [
        i["id"] for i in drawn_attempt.layout
    ]
    recorded = db.session.scalars(
        select(AttemptItem.question_id).where(AttemptItem.attempt_id == drawn_attempt.id)
    )
    assert sorted(recorded) == sorted(asked)


def test_the_quiz_says_how_many_questions_an_attempt_asks(drawn_attempt, users):
    state = quizzes.status_of(users["learner"].pegawai_id, drawn_attempt.kuis)

    assert state.question_count == 3
