"""One interface for files (course media, evidence uploads): a local folder or S3.

Keys are relative POSIX paths such as ``kursus/berakhlak/3fa2c1-ring.svg``. A file is
saved with a :class:`Policy` and sent with one: course media are public and cached for
ever (their keys carry a content hash), evidence is personal, never cached and always
downloaded as an attachment. ``send`` answers the way its backend can (the file itself,
or a redirect to a presigned URL), so no route asks which backend it has.

Pages for slow links depend on the browser finding a picture in its cache on the next
visit, and a browser's cache is keyed by URL: see :meth:`Storage.url_is_stable`. On S3
the presigned URL of a public file is signed at the start of a fixed time window, so it
is the same, byte for byte, on every request (and from every worker) in that window.
"""

from __future__ import annotations

import functools
import mimetypes
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, current_app, redirect, send_file

if TYPE_CHECKING:
    from botocore.credentials import ReadOnlyCredentials

# Files may be SVG: never let one run script or load anything, even if opened directly.
FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


class StorageError(Exception):
    pass


@dataclass(frozen=True)
class Policy:
    """How a file may be cached, and whether it opens in the page or downloads."""

    cache_control: str
    attachment: bool
    private: bool


#: Published course media: anyone's cache may keep them (the key changes with the content).
PUBLIC = Policy("public, max-age=31536000, immutable", attachment=False, private=False)
#: Media of a course not yet published: only the browser of the one previewing it.
PREVIEW = Policy("private, max-age=3600", attachment=False, private=True)
#: Personal files (evidence): kept by no cache, downloaded rather than shown.
PRIVATE = Policy("private, no-store", attachment=True, private=True)


def check_key(key: str) -> str:
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key or "\x00" in key:
        raise StorageError(f"invalid storage key: {key!r}")
    return str(path)


def content_disposition(filename: str) -> str:
    """An attachment header that survives any file name (RFC 6266 with an ASCII fallback)."""
    ascii_name = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in filename
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class Storage(ABC):
    """Where files live. ``send`` answers with the file itself or a redirect to it.

    ``url_is_stable(policy)`` says whether the address the browser finally loads a file
    from is the same on every request, so that a page visited again finds its pictures in
    the browser's cache instead of downloading them again. Locally it always is (the
    media route's own URL serves the bytes); on S3 it is for public media, whose presigned
    URL is fixed for a time window, and not for private files, whose URLs are short-lived.
    """

    def url_is_stable(self, policy: Policy) -> bool:
        """True when the URL a browser ends up at for this policy does not change between
        requests (for a while at least), so its cached copy can be used."""
        return True

    @abstractmethod
    def save(self, key: str, data: bytes, policy: Policy, content_type: str | None = None) -> None: ...

    @abstractmethod
    def read(self, key: str) -> bytes: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int:
        """The file's size in bytes (StorageError when there is none)."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def send(
        self, key: str, policy: Policy, *, filename: str | None = None, content_type: str | None = None
    ) -> Response:
        """The response that gets this file to the browser under ``policy``."""

    @staticmethod
    def guess_type(key: str) -> str:
        return mimetypes.guess_type(key)[0] or "application/octet-stream"


class LocalStorage(Storage):
    def __init__(self, root: str):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def save(self, key, data, policy, content_type=None):
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
        tmp.write_bytes(data)
        if policy.private:
            tmp.chmod(0o600)
        os.replace(tmp, target)

    def read(self, key):
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise StorageError(f"no such file: {key}") from exc

    def exists(self, key):
        return self.path(key).is_file()

    def size(self, key):
        path = self.path(key)
        if not path.is_file():
            raise StorageError(f"no such file: {key}")
        return path.stat().st_size

    def delete(self, key):
        self.path(key).unlink(missing_ok=True)

    def send(self, key, policy, *, filename=None, content_type=None):
        path = self.path(key)
        if not path.is_file():
            raise StorageError(f"no such file: {key}")
        response = send_file(
            path, mimetype=content_type or self.guess_type(key), conditional=not policy.private, etag=True
        )
        response.headers["Cache-Control"] = policy.cache_control
        response.headers["Content-Security-Policy"] = FILE_CSP
        if policy.attachment:
            response.headers["Content-Disposition"] = content_disposition(filename or PurePosixPath(key).name)
        return response


#: SigV4 presigned URLs are valid for at most seven days.
SIGV4_MAX_EXPIRES = 7 * 24 * 3600
#: A cached redirect stops being used this long before its URL expires: clocks differ, and
#: a slow link takes time to follow the redirect.
REDIRECT_MARGIN = 60
#: With temporary credentials (a session token) a presigned URL dies with the credentials,
#: whose end the app cannot see: their redirects are kept only this long.
TEMPORARY_CREDENTIALS_MAX_AGE = 300
AUTH_PARAMS = {
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
}


@functools.cache
def _signer_class():
    from botocore.auth import SIGV4_TIMESTAMP, S3SigV4QueryAuth

    class SignedAt(S3SigV4QueryAuth):
        """botocore's own S3 query signer with the signing time given, not read from the
        clock: botocore has no parameter for it (boto/botocore#2647). One instance signs
        one request, so nothing is shared between threads."""

        def __init__(self, credentials, service: str, region: str, expires: int, signed_at: datetime):
            super().__init__(credentials, service, region, expires=expires)
            self.signed_at = signed_at

        def add_auth(self, request) -> None:
            # S3SigV4QueryAuth.add_auth, with the timestamp fixed.
            request.context["timestamp"] = self.signed_at.strftime(SIGV4_TIMESTAMP)
            self._modify_request_before_signing(request)
            canonical_request = self.canonical_request(request)
            string_to_sign = self.string_to_sign(request, canonical_request)
            self._inject_signature_to_request(request, self.signature(string_to_sign, request))

    return SignedAt


def sign_url_at(
    url: str,
    credentials: ReadOnlyCredentials,
    *,
    region: str,
    signed_at: int,
    expires: int,
    service: str = "s3",
) -> str:
    """``url`` (an S3 GET address, any old signature dropped) presigned with SigV4 as if
    at ``signed_at`` (Unix seconds), valid for ``expires`` seconds from then."""
    from botocore.awsrequest import AWSRequest

    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in AUTH_PARAMS]
    request = AWSRequest(
        method="GET", url=urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))
    )
    when = datetime.fromtimestamp(signed_at, UTC).replace(tzinfo=None)
    _signer_class()(credentials, service, region, expires, when).add_auth(request)
    return request.url


class S3Storage(Storage):
    """Files in a private S3 bucket; browsers get presigned URLs, the app never streams bytes.

    Public media get a stable URL: it is signed at the start of the current window of
    ``expires // 2`` seconds (windows counted from the Unix epoch, so every worker agrees)
    and is valid for ``expires`` seconds from then, so a URL handed out at the end of its
    window still works for half its lifetime. The redirect to it is cached by the browser
    until shortly before the URL expires. Private files get a URL signed now that lives
    ``private_expires`` seconds, and a redirect nobody keeps.
    """

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        expires: int,
        private_expires: int = 60,
        *,
        clock: Callable[[], float] = time.time,
    ):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.expires = min(max(expires, 2), SIGV4_MAX_EXPIRES)
        self.private_expires = min(max(private_expires, 1), SIGV4_MAX_EXPIRES)
        self.window = self.expires // 2
        self.clock = clock
        # Its own session, so that the credentials it signs with are the client's own.
        self.session = boto3.session.Session()
        # SigV4 everywhere: newer regions (Jakarta, ap-southeast-3) accept nothing else.
        self.client = self.session.client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=Config(signature_version="s3v4")
        )

    def save(self, key, data, policy, content_type=None):
        self.client.put_object(
            Bucket=self.bucket,
            Key=check_key(key),
            Body=data,
            ContentType=content_type or self.guess_type(key),
            CacheControl=policy.cache_control,
            ACL="private",
        )

    def read(self, key):
        try:
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise StorageError(f"no such file: {key}") from exc

    def exists(self, key):
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
            return True
        except ClientError:
            return False

    def size(self, key):
        from botocore.exceptions import ClientError

        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=check_key(key))["ContentLength"])
        except ClientError as exc:
            raise StorageError(f"no such file: {key}") from exc

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def credentials(self) -> ReadOnlyCredentials:
        found = self.session.get_credentials()
        if found is None:
            raise StorageError("no AWS credentials to sign S3 URLs with")
        return found.get_frozen_credentials()

    def url_is_stable(self, policy: Policy) -> bool:
        return not policy.private and self.credentials().token is None

    def validity(self, policy: Policy, now: float) -> tuple[int, int]:
        """(signed at, seconds valid) of the URL for ``policy`` at time ``now``."""
        if not self.url_is_stable(policy):
            return int(now), self.private_expires if policy.private else self.expires
        return int(now) // self.window * self.window, self.expires

    def presigned_url(
        self, key: str, policy: Policy, *, filename: str | None = None, now: float | None = None
    ) -> str:
        params = {"Bucket": self.bucket, "Key": check_key(key), "ResponseCacheControl": policy.cache_control}
        if policy.attachment:
            params["ResponseContentDisposition"] = content_disposition(filename or PurePosixPath(key).name)
        signed_at, expires = self.validity(policy, self.clock() if now is None else now)
        # botocore resolves the endpoint, addressing style and region; the URL is then
        # signed again with the time it should carry.
        draft = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
        scope = dict(parse_qsl(urlsplit(draft).query))["X-Amz-Credential"].split("/")
        return sign_url_at(
            draft, self.credentials(), region=scope[2], service=scope[3], signed_at=signed_at, expires=expires
        )

    def redirect_max_age(self, policy: Policy, now: float) -> int | None:
        """How long the browser may reuse the redirect: never past its URL's expiry; None
        for private files, whose redirect is never kept."""
        if policy.private:
            return None
        signed_at, expires = self.validity(policy, now)
        left = signed_at + expires - int(now) - REDIRECT_MARGIN
        if self.credentials().token is not None:
            left = min(left, TEMPORARY_CREDENTIALS_MAX_AGE)
        return max(0, left)

    def send(self, key, policy, *, filename=None, content_type=None):
        now = self.clock()
        response = redirect(self.presigned_url(key, policy, filename=filename, now=now))
        max_age = self.redirect_max_age(policy, now)
        # Private: the media route needs a login, so no shared cache may keep the redirect.
        response.headers["Cache-Control"] = (
            "private, no-store" if max_age is None else f"private, max-age={max_age}"
        )
        return response


def init_storage(app: Flask) -> None:
    backend = app.config["STORAGE_BACKEND"]
    if backend == "local":
        app.extensions["storage"] = LocalStorage(app.config["STORAGE_LOCAL_ROOT"])
    elif backend == "s3":
        if not app.config["S3_BUCKET"]:
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET.")
        app.extensions["storage"] = S3Storage(
            app.config["S3_BUCKET"],
            app.config["S3_ENDPOINT_URL"],
            app.config["S3_REGION"],
            app.config["S3_URL_EXPIRES"],
            app.config["S3_PRIVATE_URL_EXPIRES"],
        )
    else:
        raise RuntimeError(f"Unknown STORAGE_BACKEND {backend!r}: use 'local' or 's3'.")


def storage() -> Storage:
    return current_app.extensions["storage"]
