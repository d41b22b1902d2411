"""One storage interface, two backends: a local folder and S3 (tested against a real HTTP
S3 server, moto's ThreadedMotoServer on 127.0.0.1, not a mock of boto3)."""

import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from lms.storage import PRIVATE, PUBLIC, LocalStorage, S3Storage, StorageError, check_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    backend = S3Storage("lms-media", s3_endpoint, "us-east-1", expires=60)
    backend.client.create_bucket(Bucket="lms-media")
    yield backend
    for item in backend.client.list_objects_v2(Bucket="lms-media").get("Contents", []):
        backend.client.delete_object(Bucket="lms-media", Key=item["Key"])
    backend.client.delete_bucket(Bucket="lms-media")


@pytest.fixture
def local(tmp_path):
    return LocalStorage(str(tmp_path / "store"))


@pytest.fixture(params=["local", "s3"])
def backend(request):
    return request.getfixturevalue(request.param)


def test_saved_files_read_back(backend):
    backend.save("kursus/a/media/x.svg", b"<svg/>", PUBLIC, "image/svg+xml")
    assert backend.exists("kursus/a/media/x.svg")
    assert backend.read("kursus/a/media/x.svg") == b"<svg/>"


def test_saving_again_replaces_the_file(backend):
    backend.save("kursus/a/f.txt", b"one", PUBLIC)
    backend.save("kursus/a/f.txt", b"two", PUBLIC)
    assert backend.read("kursus/a/f.txt") == b"two"


def test_deleted_files_are_gone(backend):
    backend.save("kursus/a/f.txt", b"x", PUBLIC)
    backend.delete("kursus/a/f.txt")
    assert not backend.exists("kursus/a/f.txt")
    with pytest.raises(StorageError):
        backend.read("kursus/a/f.txt")


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x", "a/../../x", "a\\b", "a\x00b"])
def test_keys_cannot_escape_the_store(backend, key):
    with pytest.raises(StorageError):
        backend.save(key, b"x", PRIVATE)


def test_check_key_normalises_harmless_keys():
    assert check_key("kursus/a/./b.svg") == "kursus/a/b.svg"


def test_local_files_are_sent_with_their_policy(local, app):
    local.save("kursus/a/x.svg", b"<svg/>", PUBLIC, "image/svg+xml")
    local.save("bukti/1/r.pdf", b"%PDF-1.4", PRIVATE, "application/pdf")
    with app.test_request_context():
        media = local.send("kursus/a/x.svg", PUBLIC)
        evidence = local.send(
            "bukti/1/r.pdf", PRIVATE, filename="bukti Ani.pdf", content_type="application/pdf"
        )
    assert "immutable" in media.headers["Cache-Control"]
    assert not media.headers.get("Content-Disposition", "").startswith("attachment")
    assert media.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert evidence.headers["Cache-Control"] == "private, no-store"
    assert evidence.headers["Content-Disposition"].startswith('attachment; filename="bukti Ani.pdf"')


def test_private_local_files_are_readable_by_the_app_only(local):
    local.save("bukti/1/r.pdf", b"%PDF-1.4", PRIVATE)
    assert oct(local.path("bukti/1/r.pdf").stat().st_mode & 0o777) == "0o600"


def test_s3_sends_public_media_through_a_presigned_redirect(s3, app):
    s3.save("kursus/a/x.svg", b"<svg/>", PUBLIC, "image/svg+xml")
    with app.test_request_context():
        response = s3.send("kursus/a/x.svg", PUBLIC)
    assert response.status_code == 302
    url = response.headers["Location"]
    assert "Signature" in url or "X-Amz-Signature" in url
    with urllib.request.urlopen(url) as fetched:  # noqa: S310 - a local test server
        assert fetched.read() == b"<svg/>"
        assert fetched.headers["Content-Type"] == "image/svg+xml"
        assert "immutable" in fetched.headers["Cache-Control"]


def test_s3_evidence_is_private_and_downloads_through_a_short_lived_attachment_url(s3, s3_endpoint, app):
    s3.save("bukti/1/r.pdf", b"%PDF-1.4", PRIVATE, "application/pdf")
    with pytest.raises(urllib.error.HTTPError) as refused:  # no signature, no file
        urllib.request.urlopen(f"{s3_endpoint}/lms-media/bukti/1/r.pdf")  # noqa: S310
    assert refused.value.code == 403
    with app.test_request_context():
        response = s3.send("bukti/1/r.pdf", PRIVATE, filename="bukti.pdf")
    assert response.headers["Cache-Control"] == "private, no-store"
    url = response.headers["Location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    lifetime = (
        int(query["X-Amz-Expires"]) if "X-Amz-Expires" in query else int(query["Expires"]) - int(time.time())
    )
    assert 0 < lifetime <= 60
    with urllib.request.urlopen(url) as fetched:  # noqa: S310 - a local test server
        assert fetched.read() == b"%PDF-1.4"
        assert fetched.headers["Content-Disposition"].startswith("attachment")
        assert fetched.headers["Cache-Control"] == "private, no-store"


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
