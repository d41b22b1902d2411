"""What every response gets: security headers, compression, long-lived static files."""

from __future__ import annotations

import gzip
import hashlib
import re
import unicodedata
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request, session, url_for
from werkzeug.routing import IntegerConverter
from werkzeug.security import safe_join
from werkzeug.urls import iri_to_uri

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


def compact_js(source: str) -> str:
    """A script as sent: without its comment lines and indentation, which are for its
    readers (a quarter of its compressed bytes). Only whole-line ``//`` comments go, so
    no string or expression is touched; the scripts have no multi-line strings."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


def cache_forever(response):
    """For responses whose URL changes with their content (fingerprinted files)."""
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    return response


def static_url(filename: str) -> str:
    """The fingerprinted URL of a static file (see StaticFingerprints)."""
    fingerprints = current_app.extensions["static_fingerprints"]
    return url_for("static", filename=filename, v=fingerprints.version(filename))


# Every render of a form gets a fresh CSRF token, yet any of them is valid for the
# session: the page's revision is what it shows without them.
_CSRF_VALUE = re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]*"')


def revalidated(html: str) -> Response:
    """A page that a browser (or the service worker) may keep and ask again about: it gets
    an ETag of what it shows and ``Cache-Control: private, no-cache``, so a revisit whose
    copy is still right is answered 304 with no body (see not_modified). The session's
    CSRF secret is part of the tag, so a copy kept from an earlier sign-in is never reused
    with stale tokens."""
    secret = str(session.get("csrf_token", ""))
    response = current_app.response_class(html, mimetype="text/html")
    response.set_etag(
        hashlib.sha256((secret + "\x1f" + _CSRF_VALUE.sub(r"\1", html)).encode()).hexdigest()[:32]
    )
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Save-Data")
    return response


def not_modified(response):
    """A 304 without a body when the browser already has what the response holds: its
    ETag as the view set it, or as it went out compressed (``compress`` adds "-gz")."""
    tag, _weak = response.get_etag()
    if not tag or response.status_code != 200 or request.method not in ("GET", "HEAD"):
        return response
    held = next((t for t in (tag, tag + "-gz") if request.if_none_match.contains(t)), None)
    if held is None:
        return response
    response.status_code = 304
    response.set_data(b"")
    for name in ("Content-Length", "Content-Type", "Content-Encoding"):
        response.headers.pop(name, None)
    response.set_etag(held)
    return response


def save_data(user) -> bool:
    """Data saver: the browser asks for it (``Save-Data: on``) or the learner chose it."""
    return request.headers.get("Save-Data", "").strip().lower() == "on" or bool(
        getattr(user, "save_data", False)
    )


def init_web(app: Flask) -> None:
    app.extensions["static_fingerprints"] = StaticFingerprints(app.static_folder)
    _serve_compact_scripts(app)
    # With S3, pictures come from presigned URLs on the bucket's host.
    media_host = (app.config["S3_ENDPOINT_URL"] or "https:") if app.config["STORAGE_BACKEND"] == "s3" else ""
    csp = CSP.format(img=media_host).replace(" ;", ";")

    @app.context_processor
    def static_helpers():
        return {"static_url": static_url}

    @app.after_request
    def harden(response):
        headers = response.headers
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            # A fingerprinted file is never asked about again: no validators, and none of
            # the page headers, which mean nothing for a stylesheet or a script.
            for name in ("ETag", "Last-Modified", "Accept-Ranges", "Content-Disposition"):
                headers.pop(name, None)
            headers.setdefault("X-Content-Type-Options", "nosniff")
            return compress(cache_forever(response), app.config["GZIP_MIN_BYTES"])
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint == "static" and request.args.get("v"):
            cache_forever(response)
        elif "Cache-Control" not in headers and response.mimetype in ("text/html", "application/json"):
            # Pages carry personal data (names, scores, NIPs): kept in no cache, the
            # browser's included, so a shared office PC shows nothing after sign-out.
            response.cache_control.private = True
            response.cache_control.no_store = True
        return compress(not_modified(response), app.config["GZIP_MIN_BYTES"])

    app.before_request(reject_control_characters)


@lru_cache(maxsize=64)
def _compacted(path: str, mtime_ns: int) -> bytes:
    return compact_js(Path(path).read_text(encoding="utf-8")).encode()


def static_script(filename: str) -> bytes | None:
    """A static script as it is sent (compact_js), made once per file and version; None
    when there is no such file."""
    safe = safe_join(current_app.static_folder, filename)
    path = Path(safe) if safe else None
    if path is None or not path.is_file():
        return None
    return _compacted(str(path), path.stat().st_mtime_ns)


def _serve_compact_scripts(app: Flask) -> None:
    """Static scripts go out compacted (static_script)."""
    send_static = app.view_functions["static"]

    def static(filename):
        if not filename.endswith(".js"):
            return send_static(filename=filename)
        script = static_script(filename)
        if script is None:
            abort(404)
        response = app.response_class(script, mimetype="application/javascript")
        response.cache_control.public = True
        response.cache_control.max_age = 3600
        return response

    app.view_functions["static"] = static


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


# --- input at the edge ------------------------------------------------------------------

# No URL of this site holds control characters; form text may hold tabs and line breaks.
# Lone surrogates cannot be encoded as UTF-8: stored, they would break every page showing them.
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
INT_MAX = 2**31 - 1  # the largest value of an SQL integer column
_DIGITS = re.compile(r"[0-9]{1,9}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2100, 12, 31)


class BoundedInt(IntegerConverter):
    """``<int:id>`` that only matches what fits an SQL integer: a longer number is a 404,
    not a database overflow."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _json_strings(value):
    """Every key and string in a JSON document, walked without recursion (documents can
    nest deeper than Python's stack)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _json_body():
    try:
        return request.get_json(silent=True)
    except RecursionError:  # "[[[[…" thousands deep: not a document anyone sends
        abort(400)


def reject_control_characters():
    """Junk such as NUL bytes never reaches a service or the database (PostgreSQL refuses
    NUL in text): a path holding one names no page (404), a field holding one is a 400."""
    if _URL_CONTROL.search(request.path):
        abort(404)
    if any(_URL_CONTROL.search(k) or _URL_CONTROL.search(v) for k, v in request.args.items(multi=True)):
        abort(400)
    if request.method in ("GET", "HEAD"):
        return
    values = [text for key, items in request.form.lists() for text in (key, *items)]
    values += [f.filename or "" for f in request.files.values()]
    if request.is_json:
        values += list(_json_strings(_json_body()))
    if any(_TEXT_CONTROL.search(v) for v in values):
        abort(400)


def int_arg(raw: str | None) -> int | None:
    """A whole number typed into a URL or form (ASCII digits only, fits a column), or None."""
    return int(raw) if raw and _DIGITS.fullmatch(raw) else None


def date_arg(raw: str | None) -> date | None:
    """A YYYY-MM-DD date within a sane range, or None."""
    if not raw or not _ISO_DATE.fullmatch(raw):
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None
    return value if DATE_MIN <= value <= DATE_MAX else None


def _unsafe_char(ch: str) -> bool:
    # Controls, invisible format characters and every kind of space: browsers drop or
    # rewrite some of them, which can turn "/<tab>/evil.example" into "//evil.example".
    return ch == "\\" or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp")


def safe_next(target: str | None, fallback: str) -> str:
    """A redirect target from a form or query string, kept only if it is a path on this
    site; every redirect to a target the user could have supplied goes through here."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return fallback
    if any(_unsafe_char(ch) for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return iri_to_uri(target)
