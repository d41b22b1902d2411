"""One storage interface, two backends: a local folder and S3 (tested against a real HTTP
S3 server, moto's ThreadedMotoServer on 127.0.0.1, not a mock of boto3)."""

import socket
import urllib.request

import pytest

from lms.storage import LocalStorage, S3Storage, StorageError, check_key


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
    backend.save("kursus/a/media/x.svg", b"<svg/>", "image/svg+xml")
    assert backend.exists("kursus/a/media/x.svg")
    assert backend.read("kursus/a/media/x.svg") == b"<svg/>"


def test_saving_again_replaces_the_file(backend):
    backend.save("kursus/a/f.txt", b"one")
    backend.save("kursus/a/f.txt", b"two")
    assert backend.read("kursus/a/f.txt") == b"two"


def test_deleted_files_are_gone(backend):
    backend.save("kursus/a/f.txt", b"x")
    backend.delete("kursus/a/f.txt")
    assert not backend.exists("kursus/a/f.txt")
    with pytest.raises(StorageError):
        backend.read("kursus/a/f.txt")


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x", "a/../../x", "a\\b"])
def test_keys_cannot_escape_the_store(backend, key):
    with pytest.raises(StorageError):
        backend.save(key, b"x")


def test_check_key_normalises_harmless_keys():
    assert check_key("kursus/a/./b.svg") == "kursus/a/b.svg"


def test_s3_hands_out_presigned_urls_that_work(s3):
    s3.save("kursus/a/x.svg", b"<svg/>", "image/svg+xml")
    url = s3.presigned_url("kursus/a/x.svg")
    assert "Signature" in url or "X-Amz-Signature" in url
    with urllib.request.urlopen(url) as response:  # noqa: S310 - a local test server
        assert response.read() == b"<svg/>"
        assert response.headers["Content-Type"] == "image/svg+xml"
        assert "immutable" in response.headers["Cache-Control"]


def test_course_media_in_s3_reach_the_module_page(s3_endpoint, s3, tmp_path, database_url, monkeypatch):
    """A whole app on S3: importing a course puts its picture in the bucket, and the module
    page points the browser straight at a presigned URL."""
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
        src = html.split('src="')[1].split('"')[0].replace("&amp;", "&")
        assert src.startswith(s3_endpoint)
        with urllib.request.urlopen(src) as response:  # noqa: S310 - a local test server
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
