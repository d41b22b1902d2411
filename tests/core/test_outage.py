"""When the database is away or hangs, every page says so clearly (503, in the site layout,
in the user's language) instead of a traceback, and nothing waits for ever."""

import pytest
from sqlalchemy import text

from config import TestingConfig
from lms import create_app
from lms.extensions import db
from tests.conftest import NIPS

DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


@pytest.fixture
def outage(tmp_path):
    """The same app (same secret key) with its database gone."""
    app = create_app(
        TestingConfig,
        instance_path=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=DEAD_DATABASE,
        DATABASE_CONNECT_TIMEOUT=1,
        STORAGE_LOCAL_ROOT=str(tmp_path),
        PROPAGATE_EXCEPTIONS=False,
    )
    return app.test_client()


def test_the_sign_in_page_still_opens_and_signing_in_says_the_service_is_away(outage):
    assert outage.get("/masuk").status_code == 200
    page = outage.get("/masuk").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = outage.post("/masuk", data={"csrf_token": token, "nip": NIPS["learner"], "password": "x" * 9})
    assert response.status_code == 503
    assert "basis data" in response.get_data(as_text=True)


def test_a_signed_in_user_gets_a_clear_503_in_the_site_layout(client, auth, users, outage):
    auth.login(NIPS["learner"])
    for cookie in client._cookies.values():
        outage.set_cookie(cookie.key, cookie.value)
    for path in ("/", "/katalog", "/profil", "/tim"):
        response = outage.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert 'class="top"' in page and "Sementara tidak tersedia" in page
        assert "Traceback" not in page and "psycopg" not in page and "OperationalError" not in page


def test_autosave_reports_the_outage_as_json_so_the_page_keeps_the_answer(client, auth, users, outage):
    auth.login(NIPS["learner"])
    token = auth.token("/")
    for cookie in client._cookies.values():
        outage.set_cookie(cookie.key, cookie.value)
    response = outage.post(
        "/percobaan/00000000-0000-4000-8000-000000000000/jawaban",
        json={"question": "q1", "answer": "x"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 503
    assert response.is_json and response.json["status"] == 503


def test_the_health_check_tells_the_database_is_down(outage):
    response = outage.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "degraded", "database": "unavailable"}


def test_a_statement_that_hangs_is_given_up(app, database_url, tmp_path):
    """A hung database cannot hold every worker: statements have a time limit."""
    hurried = create_app(
        TestingConfig,
        instance_path=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=database_url,
        DATABASE_STATEMENT_TIMEOUT_MS=200,
        STORAGE_LOCAL_ROOT=str(tmp_path),
    )
    with hurried.app_context():
        options = hurried.config["SQLALCHEMY_ENGINE_OPTIONS"]
        if db.engine.dialect.name == "postgresql":
            assert "statement_timeout=200" in options["connect_args"]["options"]
            with pytest.raises(Exception, match="statement timeout"):
                db.session.execute(text("SELECT pg_sleep(2)"))
            db.session.rollback()
        else:
            assert options["connect_args"]["timeout"] == hurried.config["DATABASE_CONNECT_TIMEOUT"]
        db.session.remove()
        db.engine.dispose()
