from flask import Blueprint, Response, abort, redirect
from flask_login import login_required

from lms.core.web import cache_forever
from lms.storage import LocalStorage, S3Storage, StorageError, storage

bp = Blueprint("catalog", __name__)
# Media may be SVG: never let one run script or load anything, even if opened directly.
MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@bp.get("/media/<path:key>")
@login_required
def media(key):
    """Course media. Keys carry a content hash, so a file can be cached for a year."""
    backend = storage()
    if not key.startswith("kursus/"):
        abort(404)
    if isinstance(backend, S3Storage):
        return redirect(backend.presigned_url(key))
    try:
        data = backend.read(key) if isinstance(backend, LocalStorage) else abort(404)
    except StorageError:
        abort(404)
    response = Response(data, mimetype=backend.guess_type(key))
    response.headers["Content-Security-Policy"] = MEDIA_CSP
    return cache_forever(response)
