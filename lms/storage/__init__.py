"""One interface for files (course media, later uploads): a local folder or S3.

Keys are relative POSIX paths such as ``kursus/berakhlak/media/3fa2c1-ring.svg``.
"""

from __future__ import annotations

import mimetypes
import os
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath

from flask import Flask, current_app, url_for


class StorageError(Exception):
    pass


def check_key(key: str) -> str:
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise StorageError(f"invalid storage key: {key!r}")
    return str(path)


class Storage(ABC):
    @abstractmethod
    def save(self, key: str, data: bytes, content_type: str | None = None) -> None: ...

    @abstractmethod
    def read(self, key: str) -> bytes: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str:
        """Where a browser fetches the file."""
        return url_for("catalog.media", key=check_key(key))

    @staticmethod
    def guess_type(key: str) -> str:
        return mimetypes.guess_type(key)[0] or "application/octet-stream"


class LocalStorage(Storage):
    def __init__(self, root: str):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def save(self, key, data, content_type=None):
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    def read(self, key):
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"no such file: {key}") from exc

    def exists(self, key):
        return self.path(key).is_file()

    def delete(self, key):
        self.path(key).unlink(missing_ok=True)


class S3Storage(Storage):
    """Files in an S3 bucket; browsers get presigned URLs, the app never streams bytes."""

    def __init__(self, bucket: str, endpoint_url: str | None, region: str, expires: int):
        import boto3

        self.bucket = bucket
        self.expires = expires
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def save(self, key, data, content_type=None):
        self.client.put_object(
            Bucket=self.bucket,
            Key=check_key(key),
            Body=data,
            ContentType=content_type or self.guess_type(key),
            CacheControl="public, max-age=31536000, immutable",
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

    def url(self, key):
        return self.presigned_url(key)

    def presigned_url(self, key: str) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=self.expires
        )


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
        )
    else:
        raise RuntimeError(f"Unknown STORAGE_BACKEND {backend!r}: use 'local' or 's3'.")


def storage() -> Storage:
    return current_app.extensions["storage"]
