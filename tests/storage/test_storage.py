"""What is particular to each backend; the shared contract is in test_contract.py, and the
S3 server is moto's ThreadedMotoServer over HTTP (see conftest.py)."""

import urllib.error
import urllib.request

import pytest
from flask import Flask

from lms.storage import PRIVATE, PUBLIC, check_key


def test_check_key_normalises_harmless_keys():
    assert check_key("kursus/a/./b.svg") == "kursus/a/b.svg"


def test_local_files_cannot_run_script_even_when_opened_directly(local):
    local.save("kursus/a/x.svg", b"<svg/>", PUBLIC, "image/svg+xml")
    with Flask(__name__).test_request_context():
        media = local.send("kursus/a/x.svg", PUBLIC)
    assert media.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "sandbox" in media.headers["Content-Security-Policy"]


def test_private_local_files_are_readable_by_the_app_only(local):
    local.save("bukti/1/r.pdf", b"%PDF-1.4", PRIVATE)
    assert oct(local.path("bukti/1/r.pdf").stat().st_mode & 0o777) == "0o600"


def test_the_bucket_gives_nothing_without_a_signature(s3, s3_endpoint):
    s3.save("bukti/1/r.pdf", b"%PDF-1.4", PRIVATE, "application/pdf")
    s3.save("kursus/a/x.svg", b"<svg/>", PUBLIC, "image/svg+xml")
    for key in ("bukti/1/r.pdf", "kursus/a/x.svg"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{s3_endpoint}/lms-media/{key}")  # noqa: S310 - a local test server
        assert refused.value.code == 403


def test_course_media_in_s3_reach_the_module_page(s3_endpoint, s3, tmp_path, database_url, monkeypatch):
    """A whole app on S3: importing a course puts its picture in the bucket; the module page
    points at the app's media route, which redirects to a presigned URL of the bucket."""
    import flask_migrate

    from config import TestingConfig
    from lms import create_app
    from lms.catalog.importer import import_courses
    from lms.catalog.models import Kursus, Modul
    from lms.catalog.services import module_html
    from lms.extensions import db
    from tests.conftest import seed_dictionary, write_course

    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 's3.db'}",
        STORAGE_BACKEND="s3",
        S3_BUCKET="lms-media",
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION="us-east-1",
    )
    with app.app_context():
        flask_migrate.upgrade()
        seed_dictionary()
        import_courses([write_course(tmp_path / "kursus")])
        db.session.commit()
        kursus = db.session.scalar(db.select(Kursus))
        key = kursus.media["gambar.svg"]
        assert s3.exists(key)
        with app.test_request_context():
            html = str(module_html(kursus, db.session.scalar(db.select(Modul).where(Modul.position == 1))))
            redirect = app.extensions["storage"].send(key, PUBLIC)
        src = html.split('src="')[1].split('"')[0].replace("&amp;", "&")
        assert src == f"/media/{key}"
        assert redirect.headers["Location"].startswith(s3_endpoint)
        with urllib.request.urlopen(redirect.headers["Location"]) as response:  # noqa: S310 - a local test server
            assert b"<svg" in response.read()
        db.session.remove()
        db.engine.dispose()


def test_pictures_from_the_bucket_are_allowed_by_the_content_security_policy(tmp_path):
    from config import TestingConfig
    from lms import create_app

    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        STORAGE_BACKEND="s3",
        S3_BUCKET="b",
        S3_ENDPOINT_URL="http://127.0.0.1:9000",
        STORAGE_LOCAL_ROOT=str(tmp_path),
    )
    csp = app.test_client().get("/healthz").headers["Content-Security-Policy"]
    assert "img-src 'self' data: http://127.0.0.1:9000;" in csp
