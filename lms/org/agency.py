"""The agency's settings (Instansi): its name, city, logo and the official who signs
its certificates. Certificates copy these at issue (lms.certificates), so changing them
changes the certificates issued from then on, never those already issued.

For the same reason a replaced or removed logo stays in storage: the certificates
issued with it still point at it (``Sertifikat.logo_key``). Logos are small (a few
kilobytes to a few tens), and their keys carry a content hash, so the same picture
uploaded twice is one file.
"""

from __future__ import annotations

import hashlib
import io

from flask_babel import gettext as _
from PIL import Image
from sqlalchemy.exc import IntegrityError

from lms.core import audit
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Instansi
from lms.org.nip import parse_nip
from lms.storage import PUBLIC, StorageError, storage
from lms.storage.media import MediaRefused, prepare

NAME_MAX = 200
CITY_MAX = 100
SIGNER_NAME_MAX = 200
POSITION_MAX = 200
#: What the browser may send; the stored logo is far smaller.
LOGO_MAX_BYTES = 2 * 1024 * 1024
#: Longest side of the stored logo: sharp at the 56-point height it has on a certificate.
LOGO_MAX_SIDE = 600
#: A PNG logo above this is reduced to 256 colours, which a logo's flat colours survive.
LOGO_PNG_BUDGET = 60 * 1024
#: The most a stored logo may weigh; above it the picture is made smaller (LOGO_STEPS).
LOGO_MAX_STORED = 60 * 1024
#: (longest side, JPEG quality) tried in turn until the logo weighs at most LOGO_MAX_STORED.
LOGO_STEPS = ((LOGO_MAX_SIDE, 85), (LOGO_MAX_SIDE, 70), (450, 70), (300, 70), (200, 60))
LOGO_TYPES = {"image/png": "png", "image/jpeg": "jpg"}
FIELDS = ("nama", "kota", "penandatangan_nama", "penandatangan_nip", "penandatangan_jabatan")


def get_instansi() -> Instansi:
    """The agency's row, or (not yet set) an unsaved one with empty fields: never None."""
    row = db.session.get(Instansi, 1)
    if row is not None:
        return row
    return Instansi(
        id=1,
        nama="",
        kota="",
        logo_key=None,
        penandatangan_nama="",
        penandatangan_nip="",
        penandatangan_jabatan="",
    )


def _row() -> Instansi:
    """The row to change, created on the first save. Two admins saving the first time at
    once: the second insert fails on the key and reads the first one's row instead."""
    row = db.session.get(Instansi, 1)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = get_instansi()
            db.session.add(row)
    except IntegrityError:
        row = db.session.get(Instansi, 1)
    return row


def _text(value: str | None, limit: int, field: str, message: str) -> str:
    value = " ".join((value or "").split())
    if len(value) > limit:
        raise DomainError(message % {"n": limit}, field=field)
    return value


def update_instansi(
    *, nama: str, kota: str, penandatangan_nama: str, penandatangan_nip: str, penandatangan_jabatan: str
) -> Instansi:
    """Save the agency's name, city and signatory. The name is required; the signatory
    is all three of name, NIP and position, or none (certificates then carry no signature
    block)."""
    nama = _text(nama, NAME_MAX, "nama", _("The agency's name has at most %(n)d characters."))
    if not nama:
        raise DomainError(_("Enter the agency's name as it should appear on certificates."), field="nama")
    kota = _text(kota, CITY_MAX, "kota", _("The city has at most %(n)d characters."))
    signer = _text(
        penandatangan_nama, SIGNER_NAME_MAX, "penandatangan_nama", _("The name has at most %(n)d characters.")
    )
    position = _text(
        penandatangan_jabatan,
        POSITION_MAX,
        "penandatangan_jabatan",
        _("The position has at most %(n)d characters."),
    )
    raw_nip = (penandatangan_nip or "").strip()
    nip = ""
    if raw_nip:
        try:
            nip = parse_nip(raw_nip, "PNS").value
        except DomainError as exc:
            raise DomainError(exc.message, field="penandatangan_nip") from None
    if signer or position or nip:
        if not signer:
            raise DomainError(_("Enter the name of the official who signs."), field="penandatangan_nama")
        if not nip:
            raise DomainError(_("Enter the NIP of the official who signs."), field="penandatangan_nip")
        if not position:
            raise DomainError(
                _("Enter the position of the official who signs, e.g. Kepala Badan."),
                field="penandatangan_jabatan",
            )
    row = _row()
    before = audit.snapshot(row, FIELDS)
    row.nama, row.kota = nama, kota
    row.penandatangan_nama, row.penandatangan_nip, row.penandatangan_jabatan = signer, nip, position
    after = audit.snapshot(row, FIELDS)
    if after != before:
        row.updated_at = utcnow()
        audit.record("instansi.update", "instansi", 1, nama, before=before, after=after)
    db.session.flush()
    return row


# --- the logo ------------------------------------------------------------------------------


def _encode(picture: Image.Image, content_type: str, side: int, quality: int) -> bytes:
    if max(picture.size) > side:
        picture = picture.copy()
        picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if content_type == "image/jpeg":
        rgb = picture if picture.mode in ("L", "RGB") else picture.convert("RGB")
        # Baseline, not progressive: every PDF viewer draws a baseline JPEG.
        rgb.save(out, "JPEG", quality=quality, optimize=True)
        return out.getvalue()
    alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    png = picture.convert("RGBA" if alpha else "RGB") if picture.mode not in ("L", "RGB", "RGBA") else picture
    png.save(out, "PNG", optimize=True)
    if out.tell() <= LOGO_PNG_BUDGET:
        return out.getvalue()
    # A logo's flat colours survive 256 of them; a PNG of a photograph gets much smaller.
    method = Image.Quantize.FASTOCTREE if png.mode == "RGBA" else Image.Quantize.MEDIANCUT
    reduced = io.BytesIO()
    png.quantize(256, method=method, dither=Image.Dither.NONE).save(reduced, "PNG", optimize=True)
    return min(out.getvalue(), reduced.getvalue(), key=len)


def shrink_logo(picture: Image.Image, content_type: str) -> bytes:
    """The logo at most LOGO_MAX_SIDE pixels a side, re-encoded small and deterministic
    (the same upload gives the same bytes, so the same key). A picture still above
    LOGO_MAX_STORED (a photograph rather than a logo) is made smaller step by step, so a
    certificate with a logo stays well under 100 KB."""
    small = b""
    for side, quality in LOGO_STEPS:
        small = _encode(picture, content_type, side, quality)
        if len(small) <= LOGO_MAX_STORED:
            break
    return small


def set_logo(filename: str, data: bytes) -> Instansi:
    """Check the uploaded logo by its content (PNG or JPEG), store it small under a key
    with its hash, and make it the agency's logo."""
    prepared = prepare(filename, data, allow={"picture"}, max_bytes=LOGO_MAX_BYTES)
    if prepared.content_type not in LOGO_TYPES:
        raise MediaRefused(_("Upload the logo as a PNG or JPEG picture."))
    with Image.open(io.BytesIO(prepared.data)) as picture:
        picture.load()
        small = shrink_logo(picture, prepared.content_type)
    key = f"instansi/logo-{hashlib.sha256(small).hexdigest()[:16]}.{LOGO_TYPES[prepared.content_type]}"
    storage().save(key, small, PUBLIC, prepared.content_type)
    return _set_logo_key(key)


def remove_logo() -> Instansi:
    """Certificates from now on have no logo; the file stays for those issued with it."""
    return _set_logo_key(None)


def _set_logo_key(key: str | None) -> Instansi:
    row = _row()
    before = row.logo_key
    if before != key:
        row.logo_key = key
        row.updated_at = utcnow()
        audit.record(
            "instansi.logo", "instansi", 1, row.nama, before={"logo_key": before}, after={"logo_key": key}
        )
    db.session.flush()
    return row


def logo_bytes(key: str | None) -> bytes | None:
    """A stored logo's bytes; None when there is none or the file is gone."""
    if not key:
        return None
    try:
        return storage().read(key)
    except StorageError:
        return None
