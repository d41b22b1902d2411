"""What an upload must pass before it is stored (lms.storage.media.prepare): the content
decides the type, pictures are written again by Pillow, SVG passes an allow-list and PDF
may not carry actions; hostile names, polyglots and bombs are refused or made harmless."""

from __future__ import annotations

import io
import re
import struct
import warnings
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from lms.core.errors import DomainError
from lms.storage.media import LIGHT_MAX_SIDE, MAX_PIXELS, MediaRefused, pdf_problem, prepare, svg_problems

MB = 1024 * 1024
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
SVG_OPEN = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo(size=(3000, 2000)) -> Image.Image:
    """Something like a photograph: smooth colour with grain, which compresses as photos do."""
    gradient = Image.linear_gradient("L").resize(size)
    grain = Image.effect_noise(size, 24)
    return Image.merge("RGB", (gradient, grain, gradient.rotate(90).resize(size)))


def png(size=(40, 30), mode="RGB") -> bytes:
    return encoded(Image.new(mode, size, "teal"), "PNG")


def jpeg(size=(40, 30), **options) -> bytes:
    return encoded(Image.new("RGB", size, "teal"), "JPEG", **options)


def gif(size=(40, 30)) -> bytes:
    return encoded(Image.new("P", size, 3), "GIF")


def webp(size=(40, 30), **options) -> bytes:
    return encoded(Image.new("RGB", size, "teal"), "WEBP", **options)


def svg(body: str = '<rect width="10" height="10" fill="teal"/>', head: str = SVG_OPEN) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{head}\n{body}\n</svg>\n'.encode()


def pdf() -> bytes:
    return encoded(Image.new("RGB", (60, 40), "teal"), "PDF")


def pdf_with(objects: bytes) -> bytes:
    """A small PDF whose body holds ``objects`` (cross-reference table left out: the checks
    read objects, and viewers rebuild a missing table anyway)."""
    return (
        b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n" + objects + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def object_stream(content: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(content)
    head = b"9 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode" + extra
    return head + b"/Length %d>>stream\n" % len(packed) + packed + b"\nendstream\nendobj"


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header claims width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def refused(filename: str, data: bytes, **options) -> str:
    with pytest.raises(MediaRefused) as caught:
        prepare(filename, data, max_bytes=options.pop("max_bytes", 20 * MB), **options)
    assert caught.value.field == "file"
    return caught.value.message


def accepted(filename: str, data: bytes, **options):
    return prepare(filename, data, max_bytes=options.pop("max_bytes", 20 * MB), **options)


# --- good files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "kind", "content_type", "extension"),
    [
        (png, "picture", "image/png", "png"),
        (jpeg, "picture", "image/jpeg", "jpg"),
        (gif, "picture", "image/gif", "gif"),
        (webp, "picture", "image/webp", "webp"),
        (svg, "svg", "image/svg+xml", "svg"),
        (pdf, "pdf", "application/pdf", "pdf"),
    ],
)
def test_good_files_are_accepted_as_what_they_are(make, kind, content_type, extension):
    data = make()
    result = accepted(f"Berkas Saya.{extension}", data)
    assert (result.kind, result.content_type, result.name) == (kind, content_type, f"berkas-saya.{extension}")
    if kind == "picture":
        with Image.open(io.BytesIO(result.data)) as stored:
            assert stored.format == {"jpg": "JPEG"}.get(extension, extension.upper())
            assert stored.size == (40, 30)
    else:
        assert result.data == data  # SVG and PDF are kept byte for byte
        assert (result.light, result.light_name, result.width, result.height) == (None, None, None, None)


def test_the_name_comes_from_the_upload_and_the_extension_from_the_content():
    result = accepted("Foto Kantor (1).JPG", encoded(photo((1200, 800)), "JPEG"))
    assert result.name == "foto-kantor-1.jpg"
    assert result.light_name == "foto-kantor-1.light.webp"
    assert accepted("diagram.jpeg", png()).name == "diagram.png"


def test_a_photo_gets_a_light_variant_for_slow_links():
    original = encoded(photo((3000, 2000)), "JPEG", quality=92)
    result = accepted("kantor.jpg", original)
    assert result.light is not None and result.light_name == "kantor.light.webp"
    with Image.open(io.BytesIO(result.light)) as light:
        assert light.format == "WEBP"
        assert max(light.size) <= LIGHT_MAX_SIDE
        assert light.size == (960, 640) == (result.width, result.height)
    assert len(result.light) < len(result.data) / 4
    with Image.open(io.BytesIO(result.data)) as stored:
        assert stored.size == (3000, 2000)  # the original keeps its size


def test_a_light_variant_that_saves_nothing_is_left_out():
    result = accepted("bagan.png", encoded(Image.new("P", (300, 200), 0), "PNG"))
    assert (result.light, result.light_name) == (None, None)
    assert (result.width, result.height) == (300, 200)


def test_the_exif_orientation_is_applied_and_the_size_is_after_rotation():
    picture = Image.new("RGB", (400, 200), "red")
    ImageDraw.Draw(picture).rectangle((200, 0, 399, 199), fill="blue")
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise, as phones save portrait photos
    result = accepted("potret.jpg", encoded(picture, "JPEG", exif=exif.tobytes()))
    assert (result.width, result.height) == (200, 400)
    with Image.open(io.BytesIO(result.data)) as stored:
        assert stored.size == (200, 400)
        assert 0x0112 not in stored.getexif()
        red, _green, blue = stored.convert("RGB").getpixel((100, 20))
        assert red > 200 and blue < 60  # the left half is now the top


def test_metadata_is_stripped_from_pictures():
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x8825] = {2: (7.0, 30.0, 0.0)}  # GPS latitude
    data = encoded(photo((300, 200)), "JPEG", exif=exif.tobytes(), comment=b"rumah Ani, Jl. Merdeka 5")
    result = accepted("a.jpg", data)
    assert b"KameraRahasia" not in result.data and b"Merdeka" not in result.data
    with Image.open(io.BytesIO(result.data)) as stored:
        assert not stored.getexif()
        assert "comment" not in stored.info and "exif" not in stored.info


def test_a_broken_colour_profile_does_not_stop_a_picture():
    result = accepted("a.jpg", encoded(photo((60, 40)), "JPEG", icc_profile=b"not a profile"))
    with Image.open(io.BytesIO(result.data)) as stored:
        assert "icc_profile" not in stored.info


def test_an_animated_gif_keeps_its_first_frame():
    frames = [Image.new("RGB", (30, 20), colour) for colour in ("red", "green", "blue")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(io.BytesIO(data)) as original:
        assert original.n_frames == 3
    result = accepted("animasi.gif", data)
    with Image.open(io.BytesIO(result.data)) as stored:
        assert getattr(stored, "n_frames", 1) == 1
        assert stored.convert("RGB").getpixel((0, 0)) == (255, 0, 0)


def test_a_lossless_webp_stays_lossless():
    result = accepted("layar.webp", webp(lossless=True))
    assert b"VP8L" in result.data[:64]


# --- hostile names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\x\\y.png", "y.png"),
        ("C:\\fakepath\\Surat Tugas.png", "surat-tugas.png"),
        ("/abs/olut.png", "olut.png"),
        ("evil.php\x00.png", "evil-php.png"),
        ("baris\r\nbaru.png", "baris-baru.png"),
        ("gambar\u202egnp.exe", "gambargnp.png"),  # a right-to-left override is dropped
        ("Ｆｏｔｏ Café.PNG", "foto-cafe.png"),
        ("", "gambar.png"),
        (".png", "gambar.png"),
        ("...", "gambar.png"),
        ("фото.png", "gambar.png"),
        ("CON.png", "gambar.png"),
        ("lpt1.png", "gambar.png"),
        ("a" * 300 + ".png", "a" * 60 + ".png"),
    ],
)
def test_hostile_names_become_safe_ones(filename, expected):
    assert accepted(filename, png()).name == expected


def test_an_unusable_pdf_name_becomes_berkas():
    assert accepted("../", pdf()).name == "berkas.pdf"


@settings(max_examples=150, deadline=None)
@given(filename=st.text(max_size=80))
def test_any_name_gives_a_safe_name_with_the_contents_extension(filename):
    picture = accepted(filename, TINY_PNG)
    assert NAME_RE.match(picture.name) and picture.name.endswith(".png")
    assert picture.name.count(".") == 1 and len(picture.name) <= 64
    if picture.light_name:
        assert NAME_RE.match(picture.light_name) and picture.light_name.endswith(".light.webp")
    document = accepted(filename, TINY_PDF)
    assert NAME_RE.match(document.name) and document.name.endswith(".pdf")


TINY_PNG = png((4, 4))
TINY_PDF = pdf()


# --- the wrong kind of file ------------------------------------------------------------------


def test_an_empty_file_is_refused():
    assert "empty" in refused("a.png", b"")


@pytest.mark.parametrize(("limit", "said"), [(1024, "1 KB"), (512 * 1024, "512 KB"), (3 * MB, "3 MB")])
def test_a_file_over_the_limit_is_refused_saying_the_limit(limit, said):
    assert said in refused("a.pdf", b"%PDF-" + b"x" * limit, max_bytes=limit)


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"<html><script>alert(document.cookie)</script>",
        b'<?xml version="1.0"?><rss><channel/></rss>',
        b"MZ\x90\x00 an executable",
        b"PK\x03\x04 a zip",
        b"plain text",
    ],
)
def test_files_of_other_types_are_refused_whatever_their_name(data):
    message = refused("foto.png", data)
    assert "PNG, JPEG, GIF, WebP, SVG, PDF" in message


def test_a_png_named_svg_is_a_png():
    result = accepted("gambar.svg", png())
    assert (result.kind, result.name, result.content_type) == ("picture", "gambar.png", "image/png")
    assert "PNG" in refused("gambar.svg", png(), allow={"svg"})


def test_only_the_allowed_kinds_are_accepted():
    assert accepted("bukti.pdf", pdf(), allow={"pdf"}).kind == "pdf"
    message = refused("bukti.png", png(), allow={"pdf"})
    assert "PNG" in message and message.endswith("Upload PDF.")
    assert refused("x.svg", svg(), allow={"picture", "pdf"}).endswith("Upload PNG, JPEG, GIF, WebP, PDF.")


def test_refusals_are_domain_errors_on_the_file_field():
    with pytest.raises(DomainError) as caught:
        prepare("a.png", b"", max_bytes=10)
    assert caught.value.field == "file" and caught.value.status == 400


# --- pictures that are more than pictures ------------------------------------------------------


def test_a_gif_that_is_also_html_loses_the_html():
    data = gif() + b"<html><body><script>alert(document.cookie)</script></body></html>"
    result = accepted("lucu.gif", data)
    assert result.kind == "picture"
    assert b"<script" not in result.data and b"<html" not in result.data


def test_a_gif_comment_carrying_html_is_dropped():
    data = encoded(Image.new("P", (20, 20), 1), "GIF", comment=b"<script>alert(1)</script>")
    assert b"<script" in data
    assert b"<script" not in accepted("a.gif", data).data


def test_a_jpeg_with_a_zip_appended_loses_the_zip():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("payload.html", "<script>alert(1)</script>")
    data = jpeg() + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(data))
    result = accepted("foto.jpg", data)
    assert b"PK\x03\x04" not in result.data and not zipfile.is_zipfile(io.BytesIO(result.data))


def test_a_picture_with_a_pdf_and_script_appended_loses_them():
    data = png() + b"%PDF-1.4\n1 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\n%%EOF"
    result = accepted("a.png", data)
    assert result.kind == "picture"
    assert b"%PDF" not in result.data and b"JavaScript" not in result.data


def test_a_picture_that_cannot_be_decoded_is_refused():
    assert "cannot be read" in refused("a.png", png()[:60])  # cut short
    assert "cannot be read" in refused("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    assert "cannot be read" in refused("a.gif", b"GIF89a<script>alert(1)</script>")


@pytest.mark.parametrize(("width", "height"), [(30000, 30000), (12000, 12000), (7000, 6000)])
def test_a_decompression_bomb_is_refused_without_a_warning(width, height):
    data = png_declaring(width, height)
    assert len(data) < 2000 and width * height > MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's DecompressionBombWarning would fail here
        message = refused("bom.png", data)
    assert f"{width} × {height}" in message and "40 megapixels" in message


def test_a_big_but_honest_picture_is_accepted():
    result = accepted(
        "peta.png", png_declaring(6000, 4000)[:0] or encoded(Image.new("L", (6000, 4000)), "PNG")
    )
    assert result.light is not None and (result.width, result.height) == (960, 640)


# --- SVG ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("<script>alert(1)</script>", "<script> is not allowed"),
        ('<rect width="1" height="1" onload="alert(1)"/>', "event handler 'onload'"),
        ("<foreignObject><p>hi</p></foreignObject>", "<foreignObject> is not allowed"),
        ('<use xlink:href="javascript:alert(1)"/>', "must point inside the file"),
        ('<use href="https://example.com/x.svg#a"/>', "must point inside the file"),
        ('<image href="https://example.com/x.png"/>', "<image> is not allowed"),
        ('<rect fill="url(https://example.com/p.svg#g)"/>', "points outside the file"),
        ("<style>@import url(https://example.com/a.css);</style>", "<style>"),
        ('<a href="javascript:alert(1)"><rect/></a>', "<a> is not allowed"),
    ],
)
def test_svg_that_could_run_or_load_something_is_refused(body, says):
    message = refused("gambar.svg", svg(body))
    assert says in message and "line 3" in message


def test_svg_with_a_doctype_and_entities_is_refused():
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        b'<!ENTITY lol "lol">]>\n<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;&lol;</text></svg>'
    )
    message = refused("gambar.svg", data)
    assert "DOCTYPE" in message and "entity 'xxe'" in message


def test_an_svg_without_its_namespace_is_refused():
    assert "outermost element" in refused("a.svg", b"<svg><rect/></svg>")


def test_many_svg_problems_are_summed_up():
    body = "".join(f'<rect onclick="x{i}"/>' for i in range(5))
    assert "(and 2 more)" in refused("a.svg", svg(body))


def test_an_inkscape_drawing_is_accepted_as_it_is():
    data = svg(
        '<sodipodi:namedview id="base" inkscape:zoom="1"/>'
        '<g inkscape:label="Layer 1"><path d="M0 0L10 10" style="stroke:#000"/></g>',
        head=SVG_OPEN[:-1] + ' xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"'
        ' xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape">',
    )
    assert svg_problems(data) == []
    assert accepted("drawing.svg", data).data == data


# --- PDF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "objects",
    [
        b"3 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj",
        b"3 0 obj<</OpenAction 4 0 R>>endobj 4 0 obj<</JS 5 0 R>>endobj",
        b"3 0 obj<</S/Launch/F(cmd.exe)>>endobj",
        b"3 0 obj<</Type/EmbeddedFile/Length 3>>stream\nabc\nendstream endobj",
        b"3 0 obj<</Names<</EmbeddedFiles 4 0 R>>>>endobj",
        b"3 0 obj<</S/J#61vaScript/J#53 (app.alert(1))>>endobj",  # names spelt with #xx escapes
        b"3 0 obj<</S/SubmitForm/F(https://example.com)>>endobj",
        object_stream(b"3 0 <</S/JavaScript/JS(app.alert(1))>>"),  # hidden in an object stream
        object_stream(b"3 0 <</JS(app.alert(1))>>"),
    ],
)
def test_a_pdf_with_actions_or_embedded_files_is_refused(objects):
    message = refused("materi.pdf", pdf_with(objects))
    assert "Print or export it again" in message


def test_a_pdf_with_something_after_its_end_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("x.txt", "y" * 3000)
    assert "added after its end" in refused("a.pdf", pdf() + archive.getvalue())
    assert "added after its end" in refused("a.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n")


def test_a_pdf_whose_object_streams_cannot_be_read_is_refused():
    unreadable = (
        b"9 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length 9>>stream\nencrypted\nendstream endobj"
    )
    assert "cannot be checked" in refused("a.pdf", pdf_with(unreadable))
    other_filter = b"9 0 obj<</Type/ObjStm/Filter/LZWDecode/Length 3>>stream\nabc\nendstream endobj"
    assert "cannot be checked" in refused("a.pdf", pdf_with(other_filter))


def test_a_pdf_with_harmless_object_streams_and_links_is_accepted():
    objects = object_stream(b"3 0 <</Type/Annot/Subtype/Link/A<</S/URI/URI(https://bkpsdm.go.id)>>>>")
    assert pdf_problem(pdf_with(objects)) is None


def test_an_object_hidden_behind_a_short_stream_is_still_seen():
    # A lenient viewer reads /Length bytes and then finds the object before "endstream".
    objects = b"3 0 obj<</Length 3>>stream\nabc endobj 4 0 obj<</S/JavaScript/JS(x)>>endobj\nendstream endobj"
    assert "JavaScript" in refused("a.pdf", pdf_with(objects))


def test_allow_names_kinds_only():
    with pytest.raises(ValueError):
        prepare("a.png", png(), allow={"pictures"}, max_bytes=MB)


def test_picture_data_that_happens_to_spell_js_is_not_mistaken_for_script():
    picture = b"\x8a\x11/JS \x07\x99" * 50
    objects = b"3 0 obj<</Type/XObject/Subtype/Image/Filter/DCTDecode/Length 400>>stream\n" + picture
    assert pdf_problem(pdf_with(objects + b"\nendstream endobj")) is None
