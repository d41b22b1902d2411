"""What an uploaded file must pass before it is stored: one pure function, :func:`prepare`.

Trainers upload pictures and PDFs in the browser, and course folders and zip packages
carry media too; every path calls :func:`prepare`, so the rules are the same everywhere.
The type is decided by the content alone (magic bytes, then a full decode), never by the
file name or the browser's content type: a wrong extension is simply replaced.

Raster pictures are decoded and written again by Pillow, which drops metadata (EXIF with
GPS, comments, ICC) and anything appended after the picture (a GIF that is also HTML, a
JPEG with a zip behind it). An animated GIF or WebP keeps its first frame only: on a 2G
link an animation costs many times a still picture, and one frame is one thing to check.
SVG and PDF are stored as given once they pass their checks (:func:`svg_problems`, and
:func:`pdf_problem` for JavaScript, launch actions and embedded files).
"""

from __future__ import annotations

import contextlib
import io
import re
import unicodedata
import zlib
from collections.abc import Set
from dataclasses import dataclass
from xml.parsers import expat

from flask_babel import gettext as _
from PIL import (
    GifImagePlugin,
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from lms.core.errors import DomainError
from lms.core.text import ascii_slug

KINDS = ("picture", "svg", "pdf")
#: The light variant's longest side: sharp on a phone, a fraction of a photo's bytes.
# The largest file a course may carry (pictures, PDFs), uploaded or in a package.
COURSE_MEDIA_MAX_BYTES = 5 * 1024 * 1024
LIGHT_MAX_SIDE = 960
LIGHT_QUALITY = 70
#: Pictures above this many pixels are refused before they are decoded: a few hundred
#: bytes of PNG can declare a picture that takes gigabytes of memory to decode.
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 90
WEBP_QUALITY = 90
NAME_MAX = 60
FALLBACK_NAMES = {"picture": "gambar", "svg": "gambar", "pdf": "berkas"}
# Names Windows will not create: a course exported as a zip must unpack on an office PC.
WINDOWS_DEVICES = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(-.*)?")


@dataclass(frozen=True)
class Format:
    kind: str
    label: str
    extension: str
    content_type: str


FORMATS = {
    "PNG": Format("picture", "PNG", "png", "image/png"),
    "JPEG": Format("picture", "JPEG", "jpg", "image/jpeg"),
    "GIF": Format("picture", "GIF", "gif", "image/gif"),
    "WEBP": Format("picture", "WebP", "webp", "image/webp"),
    "SVG": Format("svg", "SVG", "svg", "image/svg+xml"),
    "PDF": Format("pdf", "PDF", "pdf", "application/pdf"),
}
# How each kind of picture begins, so a file cannot pass for another kind by its name.
PICTURE_MAGIC = {
    "PNG": re.compile(rb"\x89PNG\r\n\x1a\n"),
    "JPEG": re.compile(rb"\xff\xd8\xff"),
    "GIF": re.compile(rb"GIF8[79]a"),
    "WEBP": re.compile(rb"RIFF.{4}WEBP", re.S),
}
# Pillow's plugin classes read the header without Image.open()'s decompression bomb
# check, which only warns below twice Image.MAX_IMAGE_PIXELS and is a process-wide
# setting: MAX_PIXELS is checked here instead, before anything is decoded.
OPENERS: dict[str, type[ImageFile.ImageFile]] = {
    "PNG": PngImagePlugin.PngImageFile,
    "JPEG": JpegImagePlugin.JpegImageFile,
    "GIF": GifImagePlugin.GifImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}


class MediaRefused(DomainError):
    """The file cannot be used; ``message`` says why, for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message, field="file")


@dataclass(frozen=True)
class PreparedMedia:
    name: str  # safe name in the course, with the extension of the content
    kind: str  # "picture" | "svg" | "pdf"
    content_type: str
    data: bytes  # what to store as the original
    light: bytes | None = None  # pictures only: WebP, longest side <= LIGHT_MAX_SIDE
    light_name: str | None = None
    width: int | None = None  # pixel size of what pages show (the light variant if any)
    height: int | None = None


def prepare(
    filename: str, data: bytes, *, allow: Set[str] = frozenset(KINDS), max_bytes: int
) -> PreparedMedia:
    """Check an uploaded file and make it safe to store, or raise :class:`MediaRefused`."""
    if not allow or not set(allow) <= set(KINDS):
        raise ValueError(f"allow must be some of {KINDS}, not {sorted(allow)}")
    if not data:
        raise MediaRefused(_("The file is empty."))
    if len(data) > max_bytes:
        raise MediaRefused(_("The file is larger than %(limit)s.", limit=size_text(max_bytes)))
    found = detect(data)
    if found is None:
        raise MediaRefused(_("This type of file is not accepted. Upload %(types)s.", types=types_text(allow)))
    fmt = FORMATS[found]
    if fmt.kind not in allow:
        raise MediaRefused(
            _(
                "A %(found)s file is not accepted here. Upload %(types)s.",
                found=fmt.label,
                types=types_text(allow),
            )
        )
    stem = safe_stem(filename, fmt.kind)
    name = f"{stem}.{fmt.extension}"
    if fmt.kind == "svg":
        _check_svg(data)
        return PreparedMedia(name, "svg", fmt.content_type, data)
    if fmt.kind == "pdf":
        _check_pdf(data)
        return PreparedMedia(name, "pdf", fmt.content_type, data)
    return _prepare_picture(found, data, name, stem)


def size_text(limit: int) -> str:
    """A size limit as people read it: whole megabytes, otherwise kilobytes."""
    mb = 1024 * 1024
    if limit >= mb and limit % mb == 0:
        return f"{limit // mb} MB"
    return f"{max(1, limit // 1024)} KB"


def types_text(allow: Set[str]) -> str:
    labels = {"picture": "PNG, JPEG, GIF, WebP", "svg": "SVG", "pdf": "PDF"}
    return ", ".join(labels[kind] for kind in KINDS if kind in allow)


# --- what the content is ---------------------------------------------------------------


def detect(data: bytes) -> str | None:
    """The format of ``data`` (a key of :data:`FORMATS`) from its content, or None."""
    for name, magic in PICTURE_MAGIC.items():
        if magic.match(data):
            return name
    if data.startswith(b"%PDF-"):
        return "PDF"
    return "SVG" if _xml_root(data) == "svg" else None


class _Stop(Exception):
    pass


def _xml_root(data: bytes) -> str | None:
    """The local name of the root element, if ``data`` begins as XML. Parsing stops at the
    root's start tag, before any entity could be expanded."""
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None
    found: list[str] = []

    def start(name: str, _attributes: dict[str, str]) -> None:
        found.append(name.split(" ")[-1])
        raise _Stop

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    with contextlib.suppress(_Stop, expat.ExpatError):
        parser.Parse(data, True)
    return found[0] if found else None


# --- names -------------------------------------------------------------------------------


def safe_stem(filename: str, kind: str) -> str:
    """A lowercase ASCII slug from the uploaded name, which is never trusted: only its last
    path part counts (browsers may send C:\\fakepath\\x.png), its extension is dropped (the
    content decides it) and anything but letters and digits becomes one hyphen."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = unicodedata.normalize("NFC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    slug = ascii_slug(stem, NAME_MAX)
    if not slug or WINDOWS_DEVICES.fullmatch(slug):
        return FALLBACK_NAMES[kind]
    return slug


# --- pictures -----------------------------------------------------------------------------


def _prepare_picture(found: str, data: bytes, name: str, stem: str) -> PreparedMedia:
    fmt = FORMATS[found]
    picture = _decode(found, data)
    original = _encode(picture, found, lossless=found == "PNG" or _webp_is_lossless(data))
    light = _light(picture)
    if light is not None and len(light[0]) >= len(original):
        light = None  # not smaller: pages show the original itself
    width, height = light[1] if light else picture.size
    return PreparedMedia(
        name,
        "picture",
        fmt.content_type,
        original,
        light=light[0] if light else None,
        light_name=f"{stem}.light.webp" if light else None,
        width=width,
        height=height,
    )


def _decode(found: str, data: bytes) -> Image.Image:
    """The first frame, fully decoded, upright, in sRGB where it said otherwise, and with
    no metadata left but transparency."""
    label = FORMATS[found].label
    try:
        image = OPENERS[found](io.BytesIO(data))
    except Exception:  # noqa: BLE001 - Pillow raises many kinds of error on hostile input
        raise MediaRefused(
            _("The picture cannot be read: it is damaged or not really a %(format)s.", format=label)
        ) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise MediaRefused(
            _(
                "The picture is too large (%(width)s × %(height)s pixels): make it at most %(limit)s megapixels.",
                width=width,
                height=height,
                limit=MAX_PIXELS // 1_000_000,
            )
        )
    try:
        image.load()
        upright = ImageOps.exif_transpose(image) or image
        picture = _to_srgb(upright)
    except Exception:  # noqa: BLE001 - as above: any failure to decode is a refusal
        raise MediaRefused(
            _("The picture cannot be read: it is damaged or not really a %(format)s.", format=label)
        ) from None
    picture = picture.copy() if picture is image else picture
    picture.info = {key: value for key, value in picture.info.items() if key == "transparency"}
    return picture


def _to_srgb(image: Image.Image) -> Image.Image:
    """Phone photos are often Display P3: convert rather than drop the profile, or their
    colours fade once the profile is stripped."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, target, outputMode=mode) or image
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: keep the pixels as they are


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _rgb(image: Image.Image) -> Image.Image:
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def _encode(image: Image.Image, found: str, *, lossless: bool) -> bytes:
    out = io.BytesIO()
    if found == "JPEG":
        rgb = image if image.mode in ("L", "RGB") else image.convert("RGB")
        # Progressive: on a slow link the whole picture appears early, then sharpens.
        rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif found == "PNG":
        png = image if image.mode in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA") else _rgb(image)
        png.save(out, "PNG")
    elif found == "GIF":
        image.save(out, "GIF")
    else:
        webp = image if image.mode in ("RGB", "RGBA") else _rgb(image)
        webp.save(out, "WEBP", quality=WEBP_QUALITY, lossless=lossless)
    return out.getvalue()


def _light(picture: Image.Image) -> tuple[bytes, tuple[int, int]]:
    source = picture if picture.mode in ("RGB", "RGBA") else _rgb(picture)
    scale = min(1.0, LIGHT_MAX_SIDE / max(source.size))
    size = (max(1, round(source.width * scale)), max(1, round(source.height * scale)))
    # resize() makes only the small picture; reducing_gap shrinks big photos in fast steps.
    small = source.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0) if scale < 1 else source
    out = io.BytesIO()
    small.save(out, "WEBP", quality=LIGHT_QUALITY, method=4)
    return out.getvalue(), small.size


def _webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP's picture is VP8L (lossless): keep it lossless when writing again."""
    if not PICTURE_MAGIC["WEBP"].match(data):
        return False
    position = 12
    while position + 8 <= len(data):
        fourcc = data[position : position + 4]
        if fourcc in (b"VP8 ", b"VP8L"):
            return fourcc == b"VP8L"
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        position += 8 + size + (size & 1)
    return False


# --- PDF ----------------------------------------------------------------------------------
# A PDF may carry actions a viewer runs: JavaScript, launching a program, files inside it.
# Names are matched after undoing #xx escapes (/J#61vaScript is /JavaScript), and object
# streams, where PDF 1.5 keeps compressed dictionaries, are inflated and read too.

PDF_ACTIVE = {
    "JavaScript": "JavaScript",
    "Launch": "an action that starts a program",
    "EmbeddedFile": "an embedded file",
    "EmbeddedFiles": "embedded files",
    "RichMedia": "embedded media",
    "ImportData": "an action that imports data",
    "SubmitForm": "a form that sends data elsewhere",
}
PDF_NAME_RE = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
PDF_ESCAPE_RE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM_RE = re.compile(rb"(?<!end)stream\r?\n")
PDF_STREAM_BODY_RE = re.compile(rb"(?<!end)stream\r?\n.*?endstream", re.S)
PDF_FILTERS = {"ASCIIHexDecode", "ASCII85Decode", "LZWDecode", "RunLengthDecode", "DCTDecode", "JPXDecode"}
#: How much inflated object-stream data is read at most; a PDF needing more is refused.
PDF_INFLATE_MAX = 32 * 1024 * 1024


def _pdf_names(data: bytes) -> set[str]:
    return {
        PDF_ESCAPE_RE.sub(lambda m: bytes([int(m[1], 16)]), raw).decode("latin-1")
        for raw in PDF_NAME_RE.findall(data)
    }


def _object_streams(data: bytes) -> list[bytes] | None:
    """The inflated contents of every object stream, or None if one cannot be read (it is
    encrypted, uses another filter, or inflates past PDF_INFLATE_MAX)."""
    contents, budget = [], PDF_INFLATE_MAX
    for match in PDF_STREAM_RE.finditer(data):
        header = _pdf_names(data[data.rfind(b"obj", 0, match.start()) : match.start()])
        if "ObjStm" not in header:
            continue
        if "FlateDecode" not in header or header & PDF_FILTERS or "DecodeParms" in header:
            return None
        inflater = zlib.decompressobj()
        try:
            content = inflater.decompress(data[match.end() :], budget)
        except zlib.error:
            return None
        if inflater.unconsumed_tail:
            return None
        contents.append(content)
        budget -= len(content)
    return contents


def pdf_problem(data: bytes) -> str | None:
    """Why a PDF cannot be stored (a message for the user), or None."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        return _("The PDF is incomplete or has something added after its end. Save it again as PDF.")
    everywhere = _pdf_names(data)
    # The short /JS key is looked for only outside stream data, where three random bytes of
    # a compressed picture could spell it; a JavaScript action also says /S /JavaScript.
    outside = _pdf_names(PDF_STREAM_BODY_RE.sub(b"stream endstream", data))
    streams = _object_streams(data)
    if streams is None:
        return _(
            "The PDF cannot be checked: it is password-protected or built in a way this site "
            "does not read. Save or print it again as a plain PDF."
        )
    inside = set().union(*(_pdf_names(content) for content in streams))
    found = (everywhere & PDF_ACTIVE.keys()) | ((outside | inside) & (PDF_ACTIVE.keys() | {"JS"}))
    if found:
        what = ", ".join(sorted({PDF_ACTIVE.get(name, "JavaScript") for name in found}))
        return _(
            "The PDF contains %(what)s, which could run on a learner's device. "
            "Print or export it again as a plain PDF.",
            what=what,
        )
    return None


def _check_pdf(data: bytes) -> None:
    problem = pdf_problem(data)
    if problem:
        raise MediaRefused(problem)


# --- SVG ----------------------------------------------------------------------------------


def svg_problems(data: bytes) -> list[tuple[int, str]]:
    """Every (line, problem) the SVG allow-list finds in ``data``; empty when it may be
    stored. Messages are English, as the importer reports them (``file:line: message``)."""
    return _SvgCheck(data).run()


def _check_svg(data: bytes) -> None:
    problems = svg_problems(data)
    if problems:
        shown = "; ".join(
            _("line %(line)s: %(problem)s", line=line, problem=text) for line, text in problems[:3]
        )
        more = len(problems) - 3
        if more > 0:
            shown += " " + _("(and %(count)s more)", count=more)
        raise MediaRefused(_("This SVG picture cannot be used: %(problems)s.", problems=shown))


# A course's media can be opened on their own, and an SVG opened on its own is a document
# that can run scripts and load other files. So an SVG must pass an allow-list, element by
# element and attribute by attribute; anything not listed is refused with its line.

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Inkscape and Illustrator files carry editor metadata: <metadata>, and elements and
# attributes in these namespaces. They are allowed as inert rather than stripped: a
# browser gives elements and attributes of a namespace it does not know no behaviour at
# all, and keeping the file byte for byte keeps the trainer's own file (its hash, and it
# still opens in the editor). SVG elements inside metadata are checked like any other,
# and attribute values anywhere still may not hold javascript: or url() links.
EDITOR_NAMESPACES = {
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.inkscape.org/namespaces/inkscape",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://creativecommons.org/ns#",
    "http://web.resource.org/cc/",
    "http://purl.org/dc/elements/1.1/",
}
# What diagrams are drawn with: shapes, text, paint servers, clipping, markers, and the
# filter primitives Inkscape uses for blur and shadow. Left out: script, foreignObject
# (HTML inside), a, image and feImage (they load other documents), animate, set,
# animateMotion and animateTransform (they can rewrite an href to javascript:), switch,
# view, cursor and the SVG fonts.
SVG_ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "metadata", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
    "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
    "feConvolveMatrix", "feDiffuseLighting", "feDisplacementMap", "feDistantLight",
    "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR",
    "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology", "feOffset",
    "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
}  # fmt: skip
# Geometry, presentation attributes (they only paint) and filter parameters. href and
# xlink:href are checked apart (local "#id" only); aria-* and data-* are allowed too.
SVG_ATTRIBUTES = {
    # core and accessibility
    "id", "class", "style", "lang", "role", "version", "baseProfile", "width", "height",
    "x", "y", "viewBox", "preserveAspectRatio", "transform", "type", "media",
    # shapes, text and paint servers
    "d", "points", "pathLength", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr",
    "x1", "y1", "x2", "y2", "dx", "dy", "rotate", "textLength", "lengthAdjust",
    "startOffset", "method", "spacing", "side", "offset", "gradientUnits",
    "gradientTransform", "spreadMethod", "patternUnits", "patternContentUnits",
    "patternTransform", "clipPathUnits", "maskUnits", "maskContentUnits", "refX", "refY",
    "markerUnits", "markerWidth", "markerHeight", "orient",
    # presentation attributes
    "alignment-baseline", "baseline-shift", "clip", "clip-path", "clip-rule", "color",
    "color-interpolation", "color-interpolation-filters", "color-rendering", "direction",
    "display", "dominant-baseline", "enable-background", "fill", "fill-opacity",
    "fill-rule", "filter", "flood-color", "flood-opacity", "font", "font-family",
    "font-size", "font-size-adjust", "font-stretch", "font-style", "font-variant",
    "font-weight", "image-rendering", "isolation", "letter-spacing", "lighting-color",
    "marker", "marker-end", "marker-mid", "marker-start", "mask", "mask-type",
    "mix-blend-mode", "opacity", "overflow", "paint-order", "pointer-events",
    "shape-rendering", "stop-color", "stop-opacity", "stroke", "stroke-dasharray",
    "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
    "stroke-opacity", "stroke-width", "text-anchor", "text-decoration", "text-rendering",
    "transform-origin", "unicode-bidi", "vector-effect", "visibility", "white-space",
    "word-spacing", "writing-mode",
    # filters
    "filterUnits", "primitiveUnits", "in", "in2", "result", "mode", "values", "operator",
    "k1", "k2", "k3", "k4", "stdDeviation", "edgeMode", "order", "kernelMatrix",
    "divisor", "bias", "targetX", "targetY", "preserveAlpha", "kernelUnitLength",
    "surfaceScale", "diffuseConstant", "specularConstant", "specularExponent", "scale",
    "xChannelSelector", "yChannelSelector", "radius", "azimuth", "elevation", "z",
    "pointsAtX", "pointsAtY", "pointsAtZ", "limitingConeAngle", "baseFrequency",
    "numOctaves", "seed", "stitchTiles", "tableValues", "slope", "intercept",
    "amplitude", "exponent",
}  # fmt: skip
SVG_NAMESPACED_ATTRIBUTES = {(XLINK_NS, "title"), (XML_NS, "space"), (XML_NS, "lang")}
LOCAL_REF_RE = re.compile(r"#\S*")
URL_TARGET_RE = re.compile(r"url\(\s*['\"]?\s*(.?)", re.I)
# CSS functions other than url() that take an address.
CSS_LOADERS_RE = re.compile(r"(?<![\w-])(?:-webkit-)?image(?:-set)?\(|(?<![\w-])src\(", re.I)
OUTSIDE = "points outside the file: only url(#id) is allowed"


class _Refused(Exception):
    """Stops reading an SVG: what follows cannot be read safely, or is not an SVG."""


def _svg_name(name: str) -> tuple[str, str, str]:
    """Expat's ``uri local [prefix]`` as (namespace, local name, name as written)."""
    parts = name.split(" ")
    if len(parts) == 1:
        return "", name, name
    return parts[0], parts[1], f"{parts[2]}:{parts[1]}" if len(parts) == 3 else parts[1]


def _value_problem(value: str) -> str | None:
    # Browsers drop tabs and newlines inside a URL, so "java\tscript:" counts too.
    if "javascript:" in re.sub(r"[\x00-\x20]", "", value).lower():
        return "contains javascript:"
    if any(target != "#" for target in URL_TARGET_RE.findall(value)):
        return OUTSIDE
    if "@import" in value.lower():
        return "contains @import"
    return None


def _css_problem(text: str) -> str | None:
    if "\\" in text:
        # A CSS escape can spell url( or @import so that no pattern sees it.
        return "contains a CSS escape (\\)"
    return OUTSIDE if CSS_LOADERS_RE.search(text) else _value_problem(text)


def _svg_element_problem(uri: str, local: str, shown: str) -> str | None:
    if uri == SVG_NS:
        return None if local in SVG_ELEMENTS else f"<{shown}> is not allowed in an SVG"
    if uri in EDITOR_NAMESPACES:
        return None
    return f"<{shown}> is not an SVG element ({uri or 'no namespace'})"


def _svg_attribute_problem(element: str, inert: bool, name: str, value: str) -> str | None:
    """What is wrong with one attribute; ``inert`` for an element of editor metadata."""
    uri, local, shown = _svg_name(name)
    where = f"'{shown}' on <{element}>"
    if not uri and local.lower().startswith("on"):
        return f"event handler '{shown}' on <{element}> is not allowed"
    if local == "href" and uri in ("", XLINK_NS):
        if LOCAL_REF_RE.fullmatch(value):
            return None
        return f"{where} must point inside the file (#id), not at '{value}'"
    # Unprefixed attributes of SVG elements are CSS (style, or presentation attributes).
    problem = _css_problem(value) if not uri and not inert else _value_problem(value)
    if problem:
        return f"{where} {problem}"
    if inert or uri in EDITOR_NAMESPACES or (uri, local) in SVG_NAMESPACED_ATTRIBUTES:
        return None
    if not uri and (local in SVG_ATTRIBUTES or local.startswith(("aria-", "data-"))):
        return None
    return f"attribute '{shown}' on <{element}> is not allowed in an SVG"


class _SvgCheck:
    """Reads an SVG with expat, noting each (line, problem) the allow-list refuses."""

    def __init__(self, data: bytes):
        self.data = data
        self.lines = data.decode("utf-8", "replace").splitlines()
        self.problems: list[tuple[int, str]] = []
        self.started = False
        self.style: list[str] | None = None
        self.style_line = 1
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.namespace_prefixes = True
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.EntityDeclHandler = self.entity
        self.parser.ProcessingInstructionHandler = self.instruction
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text

    def run(self) -> list[tuple[int, str]]:
        try:
            self.parser.Parse(self.data, True)
        except _Refused:
            pass
        except expat.ExpatError as exc:
            self.problems.append((exc.lineno, f"not valid XML: {expat.ErrorString(exc.code)}"))
        return self.problems

    def note(self, message: str, line: int | None = None) -> None:
        self.problems.append((line or self.parser.CurrentLineNumber, message))

    def doctype(self, *_args) -> None:
        self.note("remove the <!DOCTYPE>: an SVG picture needs none, and a DTD can pull in other files")

    def entity(self, name: str, *_args) -> None:
        # Stop at the declaration, before anything can expand it (billion laughs) or read
        # it (SYSTEM "file:…"). Entities can only be declared here: expat itself never
        # loads an external DTD.
        self.note(f"entity '{name}' is declared: an SVG picture may not declare entities")
        raise _Refused

    def instruction(self, target: str, _data: str) -> None:
        # The <?xml …?> declaration is not an instruction; <?xml-stylesheet?> would load CSS.
        self.note(f"processing instruction <?{target}?> is not allowed in an SVG")

    def attribute_line(self, shown: str) -> int:
        """Editors put each attribute on a line of its own: point at that line."""
        start = self.parser.CurrentLineNumber
        pattern = re.compile(rf"(?<![\w:-]){re.escape(shown)}\s*=")
        for index in range(start - 1, min(len(self.lines), start + 200)):
            if pattern.search(self.lines[index]):
                return index + 1
        return start

    def start(self, name: str, attributes: dict[str, str]) -> None:
        uri, local, shown = _svg_name(name)
        if not self.started and (uri, local) != (SVG_NS, "svg"):
            self.note(f'the outermost element must be <svg xmlns="{SVG_NS}">')
            raise _Refused
        self.started = True
        problem = _svg_element_problem(uri, local, shown)
        if problem:
            self.note(problem)
            return
        for attribute, value in attributes.items():
            problem = _svg_attribute_problem(shown, uri != SVG_NS, attribute, value)
            if problem:
                self.note(problem, self.attribute_line(_svg_name(attribute)[2]))
        if (uri, local) == (SVG_NS, "style"):
            self.style, self.style_line = [], self.parser.CurrentLineNumber

    def text(self, data: str) -> None:
        if self.style is not None:
            self.style.append(data)

    def end(self, name: str) -> None:
        if self.style is not None and _svg_name(name)[:2] == (SVG_NS, "style"):
            problem = _css_problem("".join(self.style))
            if problem:
                self.note(f"<style> {problem}", self.style_line)
            self.style = None
