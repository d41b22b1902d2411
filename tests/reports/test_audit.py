"""The audit log page: for admins of the whole agency, filtered, paged newest first, and
exported as CSV and XLSX with the same filters."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from lms.core.audit import AuditEntry
from lms.core.time import local_to_utc
from lms.extensions import db
from tests.conftest import NIPS, count_queries

DAY = datetime(2030, 5, 10, 9, 0)  # a wall-clock time in the agency's zone


def log(
    action, target_type="pegawai", target_id="1", label="", *, at=DAY, actor=None, before=None, after=None
):
    db.session.add(
        AuditEntry(
            at=local_to_utc(at),
            actor_id=actor.pegawai_id if actor else None,
            actor_nip=actor.pegawai.nip if actor else None,
            actor_nama=actor.nama if actor else None,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            target_label=label,
            before=before,
            after=after,
        )
    )


@pytest.fixture
def logged(ctx, users):
    admin, supervisor = users["admin"], users["supervisor"]
    log(
        "pegawai.update",
        "pegawai",
        11,
        "Budi Santoso",
        actor=admin,
        before={"unit": "A"},
        after={"unit": "B"},
    )
    log(
        "pegawai.create",
        "pegawai",
        12,
        "Siti Aminah",
        actor=admin,
        at=DAY - timedelta(days=3),
        after={"nama": "Siti"},
    )
    log("kursus.assign", "pegawai", 13, "Ani · Kursus K3", actor=supervisor, at=DAY - timedelta(days=10))
    log(
        "kursus.publish",
        "kursus",
        5,
        "Kursus K3",
        at=DAY + timedelta(hours=1),
        before={"version": 1},
        after={"version": 2},
    )
    db.session.commit()


def page_of(client, query=""):
    response = client.get(f"/admin/audit{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def shown(page: str, *labels) -> list[str]:
    return [label for label in labels if label in page]


LABELS = ("Budi Santoso", "Siti Aminah", "Ani · Kursus K3", ">Kursus K3<")


def test_the_log_shows_who_when_what_and_each_change(client, auth, login_as, logged):
    login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    page = page_of(client)
    assert "4 entries" in page
    assert "Admin Uji" in page and NIPS["admin"] in page and "command line" in page
    assert "pegawai.update" in page and "Budi Santoso" in page
    assert "unit:</span> A → B" in page and "version:</span> 1 → 2" in page
    assert "10 May 2030, 09:00 WIB" in page
    # newest first
    assert (
        page.index("Kursus K3<")
        < page.index("Budi Santoso")
        < page.index("Siti Aminah")
        < page.index("Ani ·")
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?dari=2030-05-07&sampai=2030-05-09", ["Siti Aminah"]),
        ("?dari=2030-05-10", ["Budi Santoso", ">Kursus K3<"]),
        ("?sampai=2030-04-30", ["Ani · Kursus K3"]),
        (f"?nip={NIPS['supervisor'][:8]}+{NIPS['supervisor'][8:]}", ["Ani · Kursus K3"]),
        ("?aksi=pegawai.", ["Budi Santoso", "Siti Aminah"]),
        ("?aksi=pegawai.create", ["Siti Aminah"]),
        ("?jenis=kursus", [">Kursus K3<"]),
        ("?q=k3", ["Ani · Kursus K3", ">Kursus K3<"]),
        ("?q=12", ["Siti Aminah"]),
        ("?aksi=pegawai.&q=budi", ["Budi Santoso"]),
    ],
)
def test_filters(client, login_as, logged, query, expected):
    login_as("admin")
    assert shown(page_of(client, query), *LABELS) == expected


def test_the_filter_offers_every_action_and_its_prefix(client, login_as, logged):
    login_as("admin")
    page = page_of(client)
    for value in ("pegawai.", "kursus.", "pegawai.update", "kursus.publish", "kursus.assign"):
        assert f'<option value="{value}"' in page


def test_fifty_a_page_newest_first(client, auth, login_as, ctx, users):
    for n in range(60):
        log("unit.update", "unit", n, f"Unit {n:02d}", at=DAY + timedelta(minutes=n))
    db.session.commit()
    login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    first = page_of(client)
    assert "Unit 59" in first and "Unit 10" in first and "Unit 09" not in first
    assert "Page 1 of 2" in first and "halaman=2" in first
    second = page_of(client, "?halaman=2")
    assert "Unit 09" in second and "Unit 00" in second and "Unit 10" not in second


def test_a_page_costs_the_same_queries_however_long_the_log(client, login_as, ctx, users):
    login_as("admin")
    log("unit.update", "unit", 1, "Unit 1", actor=users["admin"])
    db.session.commit()
    with count_queries() as few:
        page_of(client)
    for n in range(80):
        log(
            f"unit.update{n % 7}",
            "unit",
            n,
            f"Unit {n}",
            actor=users["supervisor"],
            before={"a": n},
            after={"a": n + 1},
        )
    db.session.commit()
    with count_queries() as many:
        page_of(client, "?halaman=2")
    assert len(many) == len(few) <= 10


def test_exports_hold_the_filtered_log(client, auth, login_as, logged):
    login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    response = client.get("/admin/audit.xlsx?aksi=pegawai.")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Time (WIB)", "NIP", "Who", "Action")
    assert [r[6] for r in rows[1:]] == ["Budi Santoso", "Siti Aminah"]
    assert rows[1][0] == DAY and rows[1][1] == NIPS["admin"] and rows[1][7] == "unit: A → B"

    text = client.get("/admin/audit.csv?jenis=kursus").data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 2 and table[1][2] == "command line" and table[1][3] == "kursus.publish"
    assert table[1][7] == "version: 1 → 2"


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv", "/admin/audit.xlsx"])
def test_only_admins_of_the_whole_agency_see_the_log(client, auth, users, unit, path):
    assert client.get(path).status_code == 302  # sign in first
    for who in ("learner", "supervisor", "trainer"):
        auth.login(NIPS[who])
        assert client.get(path).status_code == 403, who
        auth.logout()
    users["admin"].admin_unit_id = unit.id
    db.session.commit()
    auth.login(NIPS["admin"])
    assert client.get(path).status_code == 403


def test_another_format_is_not_a_page(client, login_as, users):
    login_as("admin")
    assert client.get("/admin/audit.pdf").status_code == 404
