"""Every user-facing string is translated, in Indonesian (the default) and English."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def catalog(lang):
    with open(ROOT / "lms" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def messages(cat):
    return [m for m in cat if m.id]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_catalog_is_complete_and_keeps_placeholders(lang):
    for message in messages(catalog(lang)):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and not message.fuzzy, f"{lang}: untranslated {ids[0]!r}"
        expected = sorted(PLACEHOLDER.findall(ids[0]))
        for text in strings:
            assert sorted(PLACEHOLDER.findall(text)) == expected, f"{lang}: placeholders differ in {ids[0]!r}"


def test_catalogs_hold_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as handle:
        in_code = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    for lang in ("id", "en"):
        translated = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(catalog(lang))}
        missing = in_code - translated
        assert not missing, f"{lang} lacks: {sorted(missing)[:10]} (run `make extract` and translate)"


def test_indonesian_is_the_default_and_english_is_switchable(client):
    assert "Masuk" in client.get("/masuk").get_data(as_text=True)
