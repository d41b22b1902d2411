"""One commit per request, at the edge: writes commit when the request succeeds, roll back
when it fails, and a GET never writes."""

import pytest
from flask import abort

from config import TestingConfig
from lms import create_app
from lms.core.db import WriteOnRead, after_commit, on_rollback
from lms.extensions import db
from lms.org.models import UnitKerja


@pytest.fixture
def edge_app(database_url, tmp_path, app):
    """The app on the test database, with a few routes that write."""
    edge = create_app(
        TestingConfig,
        instance_path=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=database_url,
        STORAGE_LOCAL_ROOT=str(tmp_path),
    )
    events = []

    def write(kode):
        db.session.add(UnitKerja(kode=kode, nama=kode, jenis="upt"))
        after_commit(lambda: events.append(("committed", kode)))
        on_rollback(lambda: events.append(("rolled back", kode)))
        db.session.flush()

    @edge.post("/_write/<kode>")
    def ok(kode):
        write(kode)
        return "ok"

    @edge.post("/_write-then-fail/<kode>")
    def fail(kode):
        write(kode)
        abort(400)

    @edge.post("/_write-then-crash/<kode>")
    def crash(kode):
        write(kode)
        raise RuntimeError("boom")

    @edge.get("/_get-that-writes")
    def sneaky():
        write("GET")
        return "ok"

    edge.config["WTF_CSRF_ENABLED"] = False
    edge.events = events
    yield edge
    with edge.app_context():
        db.engine.dispose()


def units(app) -> set[str]:
    with app.app_context():
        found = set(db.session.scalars(db.select(UnitKerja.kode)))
        db.session.remove()
        return found


def test_a_successful_write_commits_once_at_the_end(edge_app):
    assert edge_app.test_client().post("/_write/A").status_code == 200
    assert units(edge_app) == {"A"} and edge_app.events == [("committed", "A")]


@pytest.mark.parametrize("path", ["/_write-then-fail/B", "/_write-then-crash/B"])
def test_a_request_that_fails_changes_nothing_and_undoes_its_side_effects(edge_app, path):
    edge_app.config["PROPAGATE_EXCEPTIONS"] = False
    assert edge_app.test_client().post(path).status_code in (400, 500)
    assert units(edge_app) == set() and edge_app.events == [("rolled back", "B")]


def test_a_get_that_writes_is_refused_loudly_and_changes_nothing(edge_app):
    with pytest.raises(WriteOnRead):
        edge_app.test_client().get("/_get-that-writes")
    assert units(edge_app) == set()


def test_routes_and_services_never_commit_themselves():
    """The edge commits; a commit anywhere else in lms/ would split a request in two."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "lms"
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if path.name not in ("cli.py", "db.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bsession\.commit\(\)", line)
    ]
    assert offenders == []
