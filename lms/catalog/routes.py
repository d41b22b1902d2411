from flask import Blueprint
from flask_login import current_user, login_required

from lms.accounts.access import can_preview_drafts
from lms.catalog.services import media_of
from lms.core.errors import NotFoundError
from lms.storage import PREVIEW, PUBLIC, StorageError, storage

bp = Blueprint("catalog", __name__)


@bp.get("/media/<path:key>")
@login_required
def media(key):
    """A picture of a course. Keys carry a content hash, so published media are cached for a
    year; media of a draft are for those who may preview it, and kept in no shared cache."""
    found = media_of(key)
    if found is None:
        raise NotFoundError()
    _kursus, published = found
    # Those who may edit a course (owners, admins) are among those who may preview drafts.
    if not (published or can_preview_drafts(current_user)):
        raise NotFoundError()
    try:
        return storage().send(key, PUBLIC if published else PREVIEW)
    except StorageError:
        raise NotFoundError() from None
