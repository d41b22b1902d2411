"""One contract, two backends: whatever the storage, a file saved comes back the same,
keys cannot leave the store, and what reaches the browser carries the policy's caching
and disposition. For S3 the presigned redirect is followed over HTTP to moto."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests
from flask import Flask, request
from requests.structures import CaseInsensitiveDict

from lms.storage import PREVIEW, PRIVATE, PUBLIC, Policy, Storage, StorageError

POLICIES = {"public": PUBLIC, "preview": PREVIEW, "private": PRIVATE}
HOSTILE_NAME = 'laporan "akhir"\r\nSet-Cookie: sesi=curian; ñ\\..pdf'


@dataclass(frozen=True)
class Delivered:
    first: object  # the app's own response (the file, or a redirect)
    status: int
    body: bytes
    headers: CaseInsensitiveDict


def deliver(backend: Storage, key: str, policy: str, filename: str | None = None) -> Delivered:
    """What a browser gets for ``send(key, policy)``, following a redirect as it would."""
    app = Flask(__name__)

    @app.get("/media/<path:key>")
    def media(key):
        return backend.send(key, POLICIES[request.args["policy"]], filename=request.args.get("name"))

    query = {"policy": policy, **({"name": filename} if filename else {})}
    first = app.test_client().get(f"/media/{key}", query_string=query)
    if first.status_code != 302:
        return Delivered(first, first.status_code, first.data, CaseInsensitiveDict(first.headers))
    fetched = requests.get(first.headers["Location"], timeout=10, allow_redirects=False)
    return Delivered(first, fetched.status_code, fetched.content, fetched.headers)


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


def test_missing_files_are_not_found(backend):
    assert not backend.exists("kursus/a/none.png")
    with pytest.raises(StorageError):
        backend.read("kursus/a/none.png")
    backend.delete("kursus/a/none.png")  # deleting what is not there is no error


def test_a_saved_file_tells_its_size_without_being_read(backend):
    backend.save("kursus/a/x.svg", b"<svg/>" * 1000, PUBLIC, "image/svg+xml")
    backend.save("kursus/a/empty.txt", b"", PUBLIC)
    assert backend.size("kursus/a/x.svg") == 6000
    assert backend.size("kursus/a/empty.txt") == 0
    backend.save("kursus/a/x.svg", b"<svg/>", PUBLIC, "image/svg+xml")
    assert backend.size("kursus/a/x.svg") == 6


def test_a_missing_file_has_no_size(backend):
    with pytest.raises(StorageError):
        backend.size("kursus/a/none.png")
    backend.save("kursus/a/x.txt", b"x", PUBLIC)
    with pytest.raises(StorageError):
        backend.size("kursus/a/x.txt/deeper")  # a file is not a folder


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x", "a/../../x", "a\\b", "a\x00b"])
def test_size_keys_cannot_escape_the_store(backend, key):
    with pytest.raises(StorageError):
        backend.size(key)


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "/abs", "../x", "a/../../x", "kursus/../../x", "a\\b", "..\\x", "a\x00b"]
)
@pytest.mark.parametrize("operation", ["save", "read", "exists", "delete", "send"])
def test_keys_cannot_escape_the_store(backend, key, operation):
    calls = {
        "save": lambda: backend.save(key, b"x", PRIVATE),
        "read": lambda: backend.read(key),
        "exists": lambda: backend.exists(key),
        "delete": lambda: backend.delete(key),
        "send": lambda: backend.send(key, PRIVATE),
    }
    with Flask(__name__).test_request_context(), pytest.raises(StorageError):
        calls[operation]()


def test_public_media_reach_the_browser_cached_for_ever(backend):
    backend.save("kursus/a/1a2b-x.svg", b"<svg/>", PUBLIC, "image/svg+xml")
    got = deliver(backend, "kursus/a/1a2b-x.svg", "public")
    assert (got.status, got.body) == (200, b"<svg/>")
    assert got.headers["Content-Type"].split(";")[0] == "image/svg+xml"
    assert got.headers["Cache-Control"] == PUBLIC.cache_control
    assert not got.headers.get("Content-Disposition", "").startswith("attachment")


def test_preview_media_are_kept_by_the_browser_only(backend):
    backend.save("kursus/a/x.png", b"\x89PNG", PREVIEW, "image/png")
    got = deliver(backend, "kursus/a/x.png", "preview")
    assert (got.status, got.body) == (200, b"\x89PNG")
    assert got.headers["Cache-Control"] == "private, max-age=3600"
    assert got.first.headers["Cache-Control"].startswith("private")


def test_private_files_are_never_cached_and_download_as_attachments(backend):
    backend.save("bukti/1/r.pdf", b"%PDF-1.4", PRIVATE, "application/pdf")
    got = deliver(backend, "bukti/1/r.pdf", "private", filename="bukti Ani.pdf")
    assert (got.status, got.body) == (200, b"%PDF-1.4")
    assert got.headers["Cache-Control"] == "private, no-store"
    assert got.first.headers["Cache-Control"] == "private, no-store"
    assert got.headers["Content-Disposition"].startswith('attachment; filename="bukti Ani.pdf"')


def test_a_hostile_file_name_cannot_break_the_download_header(backend):
    backend.save("bukti/1/r.pdf", b"%PDF-1.4", PRIVATE, "application/pdf")
    got = deliver(backend, "bukti/1/r.pdf", "private", filename=HOSTILE_NAME)
    disposition = got.headers["Content-Disposition"]
    assert "Set-Cookie" not in got.headers
    assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    fallback = disposition.split('filename="')[1].split('"')[0]
    assert fallback == "laporan _akhir___Set-Cookie: sesi=curian; __..pdf"
    assert disposition.endswith(
        "filename*=UTF-8''laporan%20%22akhir%22%0D%0ASet-Cookie%3A%20sesi%3Dcurian%3B%20%C3%B1%5C..pdf"
    )


def test_without_a_file_name_the_key_names_the_download(backend):
    backend.save("bukti/1/r.pdf", b"%PDF-1.4", PRIVATE, "application/pdf")
    got = deliver(backend, "bukti/1/r.pdf", "private")
    assert got.headers["Content-Disposition"].startswith('attachment; filename="r.pdf"')


def test_sending_a_missing_file(local):
    # Local storage knows at once; S3 answers 404 when the presigned URL is followed.
    with Flask(__name__).test_request_context(), pytest.raises(StorageError):
        local.send("kursus/a/none.png", PUBLIC)


def test_s3_answers_a_missing_file_with_404(s3):
    assert deliver(s3, "kursus/a/none.png", "public").status == 404


@pytest.mark.parametrize("policy", [PUBLIC, PREVIEW, PRIVATE])
def test_public_urls_and_only_they_are_stable(backend, policy: Policy):
    assert backend.url_is_stable(policy) is (
        backend.__class__.__name__ == "LocalStorage" or not policy.private
    )
