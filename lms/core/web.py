"""What every response gets: security headers, compression, long-lived static files."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from flask import Flask, request, url_for

CSP = (
    "default-src 'self'; img-src 'self' data: {img}; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
COMPRESSIBLE = {
    "text/html",
    "text/css",
    "text/plain",
    "application/javascript",
    "text/javascript",
    "application/json",
    "image/svg+xml",
    "text/csv",
    "application/manifest+json",
}
YEAR = 365 * 24 * 3600


class StaticFingerprints:
    """``static_url('app.css')`` gives ``/static/app.css?v=<hash>`` so browsers may cache the
    file for a year and still see a new version the moment it changes."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self._hashes: dict[str, str] = {}

    def version(self, filename: str) -> str:
        if filename not in self._hashes:
            data = (self.folder / filename).read_bytes()
            self._hashes[filename] = hashlib.sha256(data).hexdigest()[:12]
        return self._hashes[filename]


def cache_forever(response):
    """For responses whose URL changes with their content (fingerprinted files)."""
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    return response


def init_web(app: Flask) -> None:
    fingerprints = StaticFingerprints(app.static_folder)
    # With S3, pictures come from presigned URLs on the bucket's host.
    media_host = (app.config["S3_ENDPOINT_URL"] or "https:") if app.config["STORAGE_BACKEND"] == "s3" else ""
    csp = CSP.format(img=media_host).replace(" ;", ";")

    @app.context_processor
    def static_helpers():
        def static_url(filename: str) -> str:
            return url_for("static", filename=filename, v=fingerprints.version(filename))

        return {"static_url": static_url}

    @app.after_request
    def harden(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint == "static" and request.args.get("v"):
            cache_forever(response)
        elif "Cache-Control" not in headers and response.mimetype == "text/html":
            # Pages are personal: never in a shared cache.
            response.cache_control.private = True
            response.cache_control.no_cache = True
        return compress(response, app.config["GZIP_MIN_BYTES"])


def compress(response, min_bytes: int):
    if (
        response.status_code < 200
        or response.status_code in (204, 206, 304)
        or response.mimetype not in COMPRESSIBLE
        or "Content-Encoding" in response.headers
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or (response.is_streamed and not response.direct_passthrough)
    ):
        return response
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < min_bytes:
        return response
    response.set_data(gzip.compress(data, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    if response.headers.get("ETag"):
        etag, weak = response.get_etag()
        response.set_etag(etag + "-gz", weak=weak)
    return response


def safe_next(target: str | None, fallback: str) -> str:
    """A redirect target from a form or query string, kept only if it stays on this site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback
