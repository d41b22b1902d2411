"""Pages cost a fixed number of queries, however many courses a learner has."""

import pytest

from tests.conftest import NIPS, count_queries


def queries_for(client, path):
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/", "/katalog"])
def test_home_and_catalogue_do_not_grow_with_the_number_of_courses(client, auth, users, make_course, path):
    auth.login(NIPS["learner"])
    make_course("kursus-1")
    auth.post("/kursus/kursus-1/daftar")
    one = queries_for(client, path)
    for slug in ("kursus-2", "kursus-3", "kursus-4"):
        make_course(slug)
        auth.post(f"/kursus/{slug}/daftar")
    assert queries_for(client, path) == one
    assert one <= 12


def test_learner_pages_use_a_small_fixed_number_of_queries(client, auth, users, course):
    auth.login(NIPS["learner"])
    auth.post("/kursus/kursus-uji/daftar")
    attempt = auth.post("/kursus/kursus-uji/kuis/mulai").headers["Location"]
    budget = {
        # each page also asks once whether the user supervises anyone, for the menu
        "/kursus/kursus-uji": 13,
        "/kursus/kursus-uji/modul/pembuka": 13,
        "/kursus/kursus-uji/kuis": 11,
        attempt: 9,
    }
    counts = {path: queries_for(client, path) for path in budget}
    assert all(counts[path] <= limit for path, limit in budget.items()), counts
