"""Junk stops at the edge: redirect targets, control characters, numbers too large for a
column, dates out of any sane range. None of it reaches a service or the database."""

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.core.web import date_arg, int_arg, safe_next
from tests.conftest import NIPS

SITE = "https://belajar.example.go.id/"


def lands_on_this_site(target: str) -> bool:
    """What a browser would do with the Location: resolve it against the page's address."""
    cleaned = target.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    resolved = urlsplit(urljoin(SITE, cleaned))
    return resolved.scheme == "https" and resolved.netloc == urlsplit(SITE).netloc


@given(st.text(max_size=60))
def test_safe_next_never_leads_off_the_site_whatever_it_is_given(target):
    result = safe_next(target, "/")
    assert result == "/" or (result.startswith("/") and not result.startswith("//"))
    assert result.isascii() and result.isprintable() and " " not in result
    assert lands_on_this_site(result)


@given(
    st.sampled_from(["//", "/\\", "/\t/", "/\n/", "\\\\", "https://", "javascript:", "/\u3000/"]),
    st.text(max_size=20),
)
def test_safe_next_refuses_every_known_way_out(prefix, rest):
    result = safe_next(prefix + "evil.example" + rest, "/home")
    assert result == "/home" or lands_on_this_site(result)
    assert not result.startswith("//")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/katalog", "/katalog"),
        ("/tim?status=overdue&q=Ani", "/tim?status=overdue&q=Ani"),
        ("/kursus/é", "/kursus/%C3%A9"),
        ("katalog", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_next_keeps_paths_of_this_site(target, expected):
    assert safe_next(target, "/") == expected


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("7", 7),
        ("0", 0),
        ("123456789", 123456789),
        ("1234567890", None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        (" 7", None),
        ("7a", None),
        ("", None),
        (None, None),
    ],
)
def test_int_arg_takes_ascii_digits_that_fit_a_column(raw, value):
    assert int_arg(raw) == value


@pytest.mark.parametrize(
    "raw", ["2026-02-30", "0001-01-01", "9999-12-31", "20260101", "2026-W01", "2026-1-1", "x"]
)
def test_date_arg_refuses_what_is_not_a_plain_sane_date(raw):
    assert date_arg(raw) is None


def test_date_arg_reads_a_plain_date():
    from datetime import date

    assert date_arg("2026-12-01") == date(2026, 12, 1)


@pytest.mark.parametrize(
    "path",
    ["/admin/standar/99999999999999999999", "/admin/standar/2147483648", "/kursus/a%00b", "/profil/%00"],
)
def test_paths_with_huge_numbers_or_control_characters_name_no_page(client, auth, users, path):
    auth.login(NIPS["admin"])
    response = client.get(path)
    assert response.status_code == 404
    assert 'class="top"' in response.get_data(as_text=True)  # the site layout


@pytest.mark.parametrize("query", ["q=%00", "unit=%00", "q=a%01b", "status=%7F"])
def test_query_strings_with_control_characters_are_a_400(client, auth, users, query):
    auth.login(NIPS["admin"])
    response = client.get(f"/tim?{query}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query", ["unit=99999999999999999999", "halaman=99999999999999999999", "unit=²", "kursus=-5"]
)
def test_numbers_a_column_cannot_hold_are_ignored_not_a_500(client, auth, users, query):
    auth.login(NIPS["admin"])
    assert client.get(f"/tim?{query}").status_code == 200


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "x\x1by"])
def test_form_fields_with_control_characters_are_a_400_and_change_nothing(client, auth, users, value):
    from sqlalchemy import func, select

    from lms.extensions import db
    from lms.progress.models import Pengembangan

    auth.login(NIPS["learner"])
    response = auth.post(
        "/pengembangan",
        {
            "jenis": "seminar",
            "judul": value,
            "penyelenggara": "BKD",
            "tanggal_mulai": "2026-01-05",
            "tanggal_selesai": "2026-01-05",
            "jp": "2",
            "nomor_sertifikat": "N-1",
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Pengembangan.id))) == 0


def test_line_breaks_in_a_text_area_are_fine(client, auth, users):
    auth.login(NIPS["learner"])
    response = auth.post(
        "/pengembangan",
        {
            "jenis": "seminar",
            "judul": "Seminar\r\nSPBE",
            "penyelenggara": "BKD",
            "tanggal_mulai": "2026-01-05",
            "tanggal_selesai": "2026-01-05",
            "jp": "2",
            "nomor_sertifikat": "N-1",
        },
    )
    assert response.status_code == 302


def test_json_with_a_nul_byte_is_a_400(client, auth, users, course):
    auth.login(NIPS["learner"])
    response = auth.post_json(
        "/percobaan/00000000-0000-4000-8000-000000000000/jawaban", {"question": "q\x00"}
    )
    assert response.status_code == 400


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=30))
def test_any_search_text_gives_a_page_not_a_500(client, auth, users, text):
    if client.get("/").status_code != 200:
        auth.login(NIPS["admin"])
    for path in ("/katalog", "/tim", "/admin/sertifikat", "/verifikasi"):
        assert client.get(path, query_string={"q": text, "kode": text}).status_code < 500


@pytest.mark.parametrize(
    "body",
    [
        '{"question": "q4", "answer": "a\\udfffb"}',
        "[" * 5000 + "]" * 5000,
        '{"a": ' * 3000 + "1" + "}" * 3000,
    ],
)
def test_json_no_page_could_show_or_parse_is_a_400(client, auth, users, body):
    """A lone surrogate cannot be written out as UTF-8; a document thousands deep is not an
    answer anyone sends. Neither reaches a service."""
    auth.login(NIPS["learner"])
    response = client.post(
        "/percobaan/00000000-0000-4000-8000-000000000000/jawaban",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": auth.token("/")},
    )
    assert response.status_code == 400
