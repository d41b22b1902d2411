"""Position standards (standar kompetensi jabatan): the level each position requires.

Admins set them on ``/admin/standar/<jabatan_id>``, one select per competency named
``level-<CODE>`` ("" for not required). Saving replaces the position's standard; a
value that is not a level 1–5 is refused next to its competency and nothing changes.
Nobody else may see or change standards.
"""

from __future__ import annotations

import pytest

from lms.competencies import services
from lms.core.errors import DomainError
from lms.extensions import db
from tests.competencies.conftest import error_next_to, ui_text


@pytest.fixture
def standard_page(jabatan):
    return f"/admin/standar/{jabatan.id}"


@pytest.fixture
def existing_standard(jabatan):
    services.set_standards(jabatan, {"M.01": 3, "M.02": 2})
    db.session.commit()
    return {"M.01": 3, "M.02": 2}


def levels(chosen: dict[str, str]) -> dict[str, str]:
    """Form data: the chosen codes at the given values, every other competency of the
    dictionary not required ("")."""
    return {f"level-{code}": chosen.get(code, "") for code in services.known_codes()}


def test_admin_sees_the_positions_and_how_many_competencies_each_requires(
    client, login_as, jabatan, existing_standard
):
    login_as("admin")
    response = client.get("/admin/standar")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert jabatan.nama in page and f'href="/admin/standar/{jabatan.id}"' in page


def test_admin_sees_a_select_per_competency_with_the_current_level(
    client, login_as, standard_page, existing_standard
):
    login_as("admin")
    response = client.get(standard_page)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for code in services.known_codes():
        assert f'name="level-{code}"' in page
    assert '<option value="3" selected>' in page.split('name="level-M.01"', 1)[1].split("</select>", 1)[0]


def test_admin_sets_the_standard(client, auth, login_as, jabatan, standard_page):
    login_as("admin")
    response = auth.post(standard_page, levels({"M.01": "3", "M.02": "2", "T.DATA-KES": "4"}))
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/standar"
    assert services.standards_for(jabatan.id) == {"M.01": 3, "M.02": 2, "T.DATA-KES": 4}


def test_saving_replaces_the_standard(client, auth, login_as, jabatan, standard_page, existing_standard):
    login_as("admin")
    response = auth.post(standard_page, levels({"M.02": "4", "M.05": "1"}))
    assert response.status_code == 302
    assert services.standards_for(jabatan.id) == {"M.02": 4, "M.05": 1}


@pytest.mark.parametrize("bad", ["7", "x", "-1", "2.5"])
def test_a_bad_level_is_refused_next_to_its_competency(
    client, auth, login_as, jabatan, standard_page, existing_standard, bad
):
    login_as("admin")
    response = auth.post(standard_page, levels({"M.01": "4", "M.03": bad}))
    assert response.status_code == 400
    assert error_next_to(response, "err-M.03") == ui_text("The level must be between 1 and 5.")
    assert 'id="err-M.01"' not in response.get_data(as_text=True)
    assert services.standards_for(jabatan.id) == existing_standard


def test_an_unknown_position_is_not_found(client, login_as, jabatan):
    login_as("admin")
    assert client.get(f"/admin/standar/{jabatan.id + 1000}").status_code == 404


@pytest.mark.parametrize("who", ["learner", "supervisor", "trainer"])
def test_only_admins_see_or_change_standards(client, auth, login_as, jabatan, standard_page, who):
    login_as(who)
    assert client.get("/admin/standar").status_code == 403
    assert client.get(standard_page).status_code == 403
    assert auth.post(standard_page, levels({"M.01": "3"})).status_code == 403
    assert services.standards_for(jabatan.id) == {}


@pytest.mark.parametrize(
    ("levels_given", "field"),
    [({"M.99": 2}, "M.99"), ({"M.01": 6}, "M.01"), ({"M.01": 4, "M.02": 9}, "M.02")],
)
def test_the_service_refuses_unknown_codes_and_levels_as_a_whole(
    jabatan, existing_standard, levels_given, field
):
    with pytest.raises(DomainError) as refused:
        services.set_standards(jabatan, levels_given)
    assert refused.value.field == field
    db.session.rollback()
    assert services.standards_for(jabatan.id) == existing_standard
