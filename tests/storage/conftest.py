"""Both storage backends for the tests here: a local folder, and S3 as moto's
ThreadedMotoServer speaking real HTTP on 127.0.0.1 (boto3 itself is never mocked)."""

from __future__ import annotations

import socket

import pytest

from lms.storage import LocalStorage, S3Storage

BUCKET = "lms-media"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def make_s3(s3_endpoint, monkeypatch):
    """S3Storage on a fresh bucket; keyword arguments go to S3Storage."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    made: list[S3Storage] = []

    def make(**options) -> S3Storage:
        options = {"expires": 60, "private_expires": 60, **options}
        backend = S3Storage(BUCKET, s3_endpoint, "us-east-1", **options)
        if not made:
            backend.client.create_bucket(Bucket=BUCKET)
        made.append(backend)
        return backend

    yield make
    if made:
        client = made[0].client
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
        client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def s3(make_s3):
    return make_s3()


@pytest.fixture
def local(tmp_path):
    return LocalStorage(str(tmp_path / "store"))


@pytest.fixture(params=["local", "s3"])
def backend(request):
    return request.getfixturevalue(request.param)
