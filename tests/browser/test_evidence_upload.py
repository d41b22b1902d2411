"""Evidence uploads on /pengembangan in a real browser (upload.js): a large phone photo
is made smaller before it is sent, and a file over the limit is refused next to the
field before a byte of it is sent.

The pictures are made by Chromium's own encoders on a canvas (a noisy 3000 x 2000 JPEG
of about 3.5 MB, as a phone takes, and a 3000 x 2000 PNG screenshot), so no imaging
library is needed; what reaches the server is checked by its JPEG markers and by
decoding it in the browser.
"""

from __future__ import annotations

import base64
import struct
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lms.core.time import local_today
from lms.extensions import db
from lms.progress.models import Pengembangan
from lms.storage import storage
from tests.browser.conftest import sign_in, wait_until
from tests.conftest import NIPS

pytestmark = pytest.mark.browser

# A photo-like picture: smooth colour with grain (noise of the given spread), encoded
# by the canvas; returned as base64.
PICTURE = """async ([width, height, spread, type]) => {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const px = image.data;
  let seed = 20260101;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 4) {
      const grain = (random() - 0.5) * spread;
      px[i] = 120 + 80 * Math.sin(x / 300) + grain;
      px[i + 1] = 110 + 70 * Math.cos(y / 200) + grain;
      px[i + 2] = 100 + 60 * Math.sin((x + y) / 500) + grain;
      px[i + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
  const blob = await new Promise(done => canvas.toBlob(done, type, 0.92));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(text);
}"""
# The size of a picture as the browser decodes it.
DECODED = """async data => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], {type: "image/jpeg"}));
  return [bitmap.width, bitmap.height];
}"""


def picture(page, mime: str, spread: int) -> bytes:
    return base64.b64decode(page.evaluate(PICTURE, [3000, 2000, spread, mime]))


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a baseline or progressive JPEG's frame header; fails on
    anything that is not a whole JPEG (start and end markers, segments in order)."""
    assert data[:2] == b"\xff\xd8", "no JPEG start-of-image marker"
    assert data[-2:] == b"\xff\xd9", "no JPEG end-of-image marker (cut off?)"
    at = 2
    while at < len(data):
        assert data[at] == 0xFF, f"not a JPEG segment at byte {at}"
        marker = data[at + 1]
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    raise AssertionError("no JPEG frame header")


def fill_record(page, title: str) -> None:
    start = local_today() - timedelta(days=7)
    page.select_option("#jenis", "pelatihan")
    page.fill("#judul", title)
    page.fill("#penyelenggara", "Bapelkes Kupang")
    page.fill("#tanggal_mulai", start.isoformat())
    page.fill("#tanggal_selesai", (start + timedelta(days=2)).isoformat())
    page.fill("#jp", "24")


def stored_files(app) -> set[Path]:
    root = Path(app.config["STORAGE_LOCAL_ROOT"])
    return {p for p in root.rglob("*") if p.is_file()}


def posts_to(page, path: str) -> list:
    """The POST requests the page sends to ``path``, as they go."""
    sent: list = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" and r.url.endswith(path) else None)
    return sent


@pytest.mark.parametrize(
    ("name", "mime", "spread"),
    [("foto-sertifikat.jpg", "image/jpeg", 100), ("layar-sertifikat.png", "image/png", 0)],
    ids=["phone-photo-jpeg", "screenshot-png"],
)
def test_a_large_picture_is_made_smaller_before_it_is_sent(live_server, phone, users, name, mime, spread):
    page = phone
    original = picture(page, mime, spread)
    assert len(original) > 300 * 1024  # upload.js leaves smaller pictures alone
    if mime == "image/jpeg":
        assert 3_000_000 < len(original) < 4_500_000, len(original)

    sign_in(page, live_server, NIPS["learner"])
    page.goto(f"{live_server}/pengembangan")
    fill_record(page, "Pelatihan Pengelolaan Obat")
    page.set_input_files("#bukti", files=[{"name": name, "mimeType": mime, "buffer": original}])

    note = page.locator("#bukti-note")
    expect(note).to_contain_text("Foto diperkecil untuk dikirim:", timeout=20_000)
    told = note.inner_text()
    print(f"{name}: {len(original)} bytes; {told}")
    chosen = page.eval_on_selector("#bukti", "i => [i.files[0].name, i.files[0].type, i.files[0].size]")
    assert chosen[0] == name.rsplit(".", 1)[0] + ".jpg" and chosen[1] == "image/jpeg", chosen
    assert chosen[2] < 1024 * 1024, chosen
    assert page.locator("#bukti-error").count() == 0 or not page.locator("#bukti-error").inner_text()

    sent = posts_to(page, "/pengembangan")
    page.click("form.card button.primary")
    page.wait_for_url(f"{live_server}/pengembangan")
    expect(page.locator(".flash-success")).to_contain_text("Tercatat")
    assert len(sent) == 1 and sent[0].sizes()["requestBodySize"] < 1024 * 1024

    db.session.expire_all()
    record = db.session.scalar(db.select(Pengembangan))
    assert record is not None and record.judul == "Pelatihan Pengelolaan Obat"
    assert record.file_type == "image/jpeg" and record.file_key.endswith(".jpg")
    assert record.file_name == chosen[0]
    stored = storage().read(record.file_key)
    assert record.file_size == len(stored) == chosen[2] < 1024 * 1024
    assert jpeg_size(stored) == (1600, 1067)
    assert page.evaluate(DECODED, base64.b64encode(stored).decode()) == [1600, 1067]
    # The note told the truth about the sizes.
    before, after = (part.strip(" .") for part in told.split(":", 1)[1].split("→"))
    megabytes, kilobytes = f"{len(original) / 1048576:.1f} MB", f"{-(-len(original) // 1024)} KB"
    assert before == (megabytes if len(original) >= 1048576 else kilobytes), told
    assert after == f"{-(-len(stored) // 1024)} KB", (told, len(stored))


def test_a_file_over_the_limit_is_refused_before_it_is_sent(live_server, phone, users, app):
    page = phone
    limit = app.config["EVIDENCE_MAX_BYTES"]
    pdf = b"%PDF-1.4\n" + b"%" + b"0" * (limit + 200 * 1024) + b"\n%%EOF\n"
    before = stored_files(app)

    sign_in(page, live_server, NIPS["learner"])
    page.goto(f"{live_server}/pengembangan")
    fill_record(page, "Seminar Pelayanan Publik")
    page.set_input_files(
        "#bukti", files=[{"name": "sertifikat.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )

    # Next to the field, named in its description, and the field emptied.
    error = page.locator(".field #bukti ~ #bukti-error")
    expect(error).to_contain_text(f"Berkas ini berukuran {len(pdf) / 1048576:.1f} MB")
    expect(error).to_contain_text(f"batasnya {limit / 1048576:g} MB")  # as the hint says it
    field = page.locator("#bukti")
    assert field.get_attribute("aria-invalid") == "true"
    assert "bukti-error" in field.get_attribute("aria-describedby").split()
    assert page.eval_on_selector("#bukti", "i => i.files.length") == 0

    # Sending the form now sends no file: the server asks for the evidence.
    sent = posts_to(page, "/pengembangan")
    page.click("form.card button.primary")
    page.wait_for_load_state()
    assert len(sent) == 1 and sent[0].sizes()["requestBodySize"] < 64 * 1024
    expect(page.locator("#bukti-error")).to_contain_text("Lampirkan sertifikat atau isi nomornya.")
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Pengembangan)) == 0
    assert stored_files(app) == before


# Decoding a photo takes a moment on a cheap phone: made slow here so that the learner's
# click always comes while the photo is still being made smaller.
SLOW_DECODING = """(() => {
  const decode = window.createImageBitmap.bind(window);
  window.createImageBitmap = (...args) =>
    new Promise(done => setTimeout(() => done(decode(...args)), 1500));
})();"""


def test_sending_while_the_photo_is_made_smaller_sends_the_smaller_photo_once_ready(
    live_server, phone, users
):
    page = phone
    original = picture(page, "image/jpeg", 100)
    page.context.add_init_script(SLOW_DECODING)
    sign_in(page, live_server, NIPS["learner"])
    page.goto(f"{live_server}/pengembangan")
    fill_record(page, "Pelatihan Pengelolaan Obat")
    page.set_input_files("#bukti", files=[{"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": original}])
    expect(page.locator("#bukti-note")).to_contain_text("Memperkecil foto")
    page.click("form.card button.primary")  # before the photo is ready
    page.wait_for_url(f"{live_server}/pengembangan", timeout=15_000)
    record = wait_until(
        lambda: db.session.expire_all() or db.session.scalar(db.select(Pengembangan)), "the record is stored"
    )
    assert 0 < record.file_size < 1024 * 1024  # the smaller photo went, not the original
    assert page.locator("#bukti-error").count() == 0
