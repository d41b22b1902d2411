"""The competency dictionary: TOML files loaded all or nothing, matched by code.

``import_dictionary`` reads every file first and reports every problem as
``<file>.toml:<line>: <message>``, pointing at the line to fix; with any error nothing
is written. A valid file creates new entries, updates changed ones and leaves the rest
("unchanged"). ``flask kompetensi import`` does the same from the command line. The
course importer accepts only codes the dictionary holds.

The dictionary table is kept between tests (it is reference data), so these tests use
codes of their own (T.UJI-…) and remove them afterwards.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import delete, select

from lms.catalog.importer import ImportFailed, import_courses
from lms.catalog.models import Kursus
from lms.competencies.models import Kompetensi
from lms.competencies.services import DATA_DIR, import_dictionary
from lms.extensions import db
from tests.conftest import write_course

NATIONAL = ["M.01", "M.02", "M.03", "M.04", "M.05", "M.06", "M.07", "M.08", "SK.01"]


def entry(code: str, nama: str = "Uji", jenis: str = "teknis", levels=(1, 2, 3, 4, 5)) -> str:
    """One [[kompetensi]] table with a level table for each of ``levels``."""
    text = f'[[kompetensi]]\ncode = "{code}"\nnama = "{nama}"\njenis = "{jenis}"\ndefinisi = "Definisi {code}."\n'
    for level in levels:
        text += textwrap.dedent(f"""
            [[kompetensi.level]]
            level = {level}
            deskripsi = "Mampu tingkat {level}."
            indikator = ["Indikator {level}."]
            """)
    return text + "\n"


def line_of(path: Path, text: str, start: int = 1) -> int:
    """The 1-based number of the first line from ``start`` that holds ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number >= start and text in line:
            return number
    raise AssertionError(f"{text!r} is not in {path.name}")


def scratch_codes() -> list[str]:
    return list(db.session.scalars(select(Kompetensi.code).where(Kompetensi.code.like("T.UJI%"))))


@pytest.fixture
def dictionary_file(ctx, tmp_path):
    """Write a dictionary file; every T.UJI-… entry is removed from the kept dictionary
    after the test."""

    def write(name: str, *entries: str) -> Path:
        path = tmp_path / name
        path.write_text("# Kamus uji\n\n" + "".join(entries), encoding="utf-8")
        return path

    yield write
    db.session.rollback()
    db.session.execute(delete(Kompetensi).where(Kompetensi.code.like("T.UJI%")))
    db.session.commit()


def refused(paths: list[Path]) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        import_dictionary(paths)
    return failed.value.errors


# --- a valid file ---------------------------------------------------------------------


def test_a_valid_file_creates_its_entries(dictionary_file):
    path = dictionary_file("uji.toml", entry("T.UJI-A", "Uji A"), entry("T.UJI-B", "Uji B"))
    assert import_dictionary([path]) == [("T.UJI-A", "created"), ("T.UJI-B", "created")]
    db.session.commit()

    created = db.session.get(Kompetensi, "T.UJI-A")
    assert (created.nama, created.jenis, created.definisi) == ("Uji A", "teknis", "Definisi T.UJI-A.")
    assert [lv["level"] for lv in created.levels] == [1, 2, 3, 4, 5]
    assert created.level(3) == {"level": 3, "deskripsi": "Mampu tingkat 3.", "indikator": ["Indikator 3."]}


def test_importing_the_same_file_again_changes_nothing(dictionary_file):
    path = dictionary_file("uji.toml", entry("T.UJI-A"))
    import_dictionary([path])
    db.session.commit()
    assert import_dictionary([path]) == [("T.UJI-A", "unchanged")]


def test_a_changed_entry_is_updated_in_place(dictionary_file):
    import_dictionary([dictionary_file("uji.toml", entry("T.UJI-A", "Nama lama"), entry("T.UJI-B"))])
    db.session.commit()
    path = dictionary_file("uji.toml", entry("T.UJI-A", "Nama baru"), entry("T.UJI-B"))
    assert import_dictionary([path]) == [("T.UJI-A", "updated"), ("T.UJI-B", "unchanged")]
    db.session.commit()
    assert db.session.get(Kompetensi, "T.UJI-A").nama == "Nama baru"


# --- errors point at the line; nothing is written ------------------------------------------


def test_a_missing_level_is_reported_at_its_entry(dictionary_file):
    path = dictionary_file("uji.toml", entry("T.UJI-A"), entry("T.UJI-B", levels=(1, 2, 4, 5)))
    line = line_of(path, "[[kompetensi]]", start=line_of(path, 'code = "T.UJI-B"') - 1)
    assert refused([path]) == [
        f"uji.toml:{line}: T.UJI-B: give the five levels 1 to 5 in order as [[kompetensi.level]] tables"
    ]
    assert scratch_codes() == []


def test_a_badly_formed_code_is_reported_at_its_line(dictionary_file):
    path = dictionary_file("uji.toml", entry("T.UJI-A"), entry("uji-b"))
    line = line_of(path, 'code = "uji-b"')
    assert refused([path]) == [f"uji.toml:{line}: 'code' must look like M.01, SK.01 or T.NAME"]
    assert scratch_codes() == []


def test_an_unknown_jenis_is_reported_at_its_line(dictionary_file):
    path = dictionary_file("uji.toml", entry("T.UJI-A"), entry("T.UJI-B", jenis="teknikal"))
    line = line_of(path, 'jenis = "teknikal"')
    assert refused([path]) == [
        f"uji.toml:{line}: 'jenis' must be one of: manajerial, sosial_kultural, teknis"
    ]
    assert scratch_codes() == []


def test_a_code_defined_in_two_files_is_reported_where_it_repeats(dictionary_file):
    first = dictionary_file("satu.toml", entry("T.UJI-A"))
    second = dictionary_file("dua.toml", entry("T.UJI-B"), entry("T.UJI-A"))
    line = line_of(second, "[[kompetensi]]", start=line_of(second, 'code = "T.UJI-A"') - 1)
    assert refused([first, second]) == [f"dua.toml:{line}: competency T.UJI-A is defined twice"]
    assert scratch_codes() == []


def test_errors_in_several_files_are_all_reported(dictionary_file):
    first = dictionary_file("satu.toml", entry("T.UJI-A", jenis="lain"))
    second = dictionary_file("dua.toml", entry("T.UJI-B", levels=(1, 2, 3)))
    errors = refused([first, second])
    assert [error.split(":", 1)[0] for error in errors] == ["satu.toml", "dua.toml"]


def test_an_error_leaves_existing_entries_untouched(dictionary_file):
    import_dictionary([dictionary_file("uji.toml", entry("T.UJI-A", "Nama lama"))])
    db.session.commit()
    path = dictionary_file("uji.toml", entry("T.UJI-A", "Nama baru"), entry("T.UJI-B", jenis="lain"))
    refused([path])
    db.session.rollback()
    assert db.session.get(Kompetensi, "T.UJI-A").nama == "Nama lama"
    assert scratch_codes() == ["T.UJI-A"]


# --- the command line -------------------------------------------------------------------


def test_the_command_imports_a_file(runner, dictionary_file):
    path = dictionary_file("uji.toml", entry("T.UJI-A"), entry("T.UJI-B"))
    result = runner.invoke(args=["kompetensi", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    db.session.expire_all()
    assert sorted(scratch_codes()) == ["T.UJI-A", "T.UJI-B"]


def test_the_command_prints_the_errors_and_fails(runner, dictionary_file):
    path = dictionary_file("uji.toml", entry("T.UJI-A"), entry("T.UJI-B", jenis="lain"))
    result = runner.invoke(args=["kompetensi", "import", str(path)])
    assert result.exit_code != 0
    line = line_of(path, 'jenis = "lain"')
    assert f"uji.toml:{line}: 'jenis' must be one of" in result.output
    assert "nothing was imported" in result.output
    db.session.expire_all()
    assert scratch_codes() == []


# --- the shipped dictionary -------------------------------------------------------------------


def test_the_shipped_files_import_cleanly_and_are_already_loaded(ctx):
    outcome = import_dictionary(sorted(DATA_DIR.glob("*.toml")))
    assert outcome and {state for _code, state in outcome} == {"unchanged"}
    db.session.rollback()


@pytest.mark.parametrize("code", NATIONAL)
def test_the_national_dictionary_has_each_competency_with_five_levels(ctx, code):
    kompetensi = db.session.get(Kompetensi, code)
    assert kompetensi is not None
    assert kompetensi.nama and kompetensi.definisi
    assert [lv["level"] for lv in kompetensi.levels] == [1, 2, 3, 4, 5]
    assert all(lv["deskripsi"] and lv["indikator"] for lv in kompetensi.levels)
    assert kompetensi.jenis == ("sosial_kultural" if code == "SK.01" else "manajerial")


# --- courses name codes from the dictionary ------------------------------------------------------


def test_a_course_naming_a_code_outside_the_dictionary_is_refused(ctx, tmp_path):
    folder = write_course(tmp_path, "kursus-kode")
    toml = folder / "kursus.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('code = "M.01"', 'code = "T.UJI-Z"'), encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as failed:
        import_courses([folder])
    assert failed.value.errors == [
        f"kursus-kode/kursus.toml:{line_of(toml, 'T.UJI-Z')}: competency T.UJI-Z is not in the "
        "competency dictionary (flask kompetensi import)"
    ]
    assert db.session.scalar(select(Kursus)) is None


def test_a_course_may_name_a_code_once_the_dictionary_has_it(dictionary_file, tmp_path):
    import_dictionary([dictionary_file("uji.toml", entry("T.UJI-Z"))])
    folder = write_course(tmp_path / "kursus", "kursus-kode")
    toml = folder / "kursus.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('code = "M.01"', 'code = "T.UJI-Z"'), encoding="utf-8"
    )
    assert import_courses([folder]) == [("kursus-kode", "created")]


# --- the dictionary pages ------------------------------------------------------------------------


def test_the_dictionary_page_lists_the_competencies(client, login_as):
    login_as("learner")
    response = client.get("/kompetensi")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert all(code in page for code in [*NATIONAL, "T.KEAMANAN-INFO"])
    assert "Integritas" in page and 'href="/kompetensi/M.01"' in page


def test_an_entry_page_shows_its_five_levels(client, login_as):
    login_as("learner")
    response = client.get("/kompetensi/M.01")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    kompetensi = db.session.get(Kompetensi, "M.01")
    assert kompetensi.nama in page
    for lv in kompetensi.levels:
        assert str(escape(lv["deskripsi"])) in page


def test_an_unknown_code_is_not_found(client, login_as):
    login_as("learner")
    assert client.get("/kompetensi/NOPE").status_code == 404


def test_the_dictionary_is_for_signed_in_users(client):
    response = client.get("/kompetensi")
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")
