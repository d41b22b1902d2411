"""One interface for files (course media, evidence uploads): a local folder or S3.

Keys are relative POSIX paths such as ``kursus/berakhlak/3fa2c1-ring.svg``. A file is
saved with a :class:`Policy` and sent with one: course media are public and cached for
ever (their keys carry a content hash), evidence is personal, never cached and always
downloaded as an attachment. ``send`` answers the way its backend can (the file itself,
or a redirect to a short-lived presigned URL), so no route asks which backend it has.
"""

from __future__ import annotations

import mimetypes
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from flask import Flask, Response, current_app, redirect, send_file

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
    @abstractmethod
    def save(self, key: str, data: bytes, policy: Policy, content_type: str | None = None) -> None: ...

    @abstractmethod
    def read(self, key: str) -> bytes: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

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


class S3Storage(Storage):
    """Files in a private S3 bucket; browsers get presigned URLs, the app never streams bytes."""

    def __init__(
        self, bucket: str, endpoint_url: str | None, region: str, expires: int, private_expires: int = 60
    ):
        import boto3

        self.bucket = bucket
        self.expires = expires
        self.private_expires = private_expires
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

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

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def presigned_url(self, key: str, policy: Policy, *, filename: str | None = None) -> str:
        params = {"Bucket": self.bucket, "Key": check_key(key), "ResponseCacheControl": policy.cache_control}
        if policy.attachment:
            params["ResponseContentDisposition"] = content_disposition(filename or PurePosixPath(key).name)
        expires = self.private_expires if policy.private else self.expires
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def send(self, key, policy, *, filename=None, content_type=None):
        response = redirect(self.presigned_url(key, policy, filename=filename))
        # The redirect may be reused while its URL is valid, never past it; private ones not at all.
        response.headers["Cache-Control"] = (
            "private, no-store" if policy.private else f"private, max-age={max(0, self.expires - 60)}"
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
