"""Text turned into parts of addresses and file names."""

from __future__ import annotations

import re
import unicodedata


def ascii_slug(text: str, limit: int) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens, at most ``limit`` long:
    compatibility decomposition folds accents (é -> e) and full-width letters first; what
    is left outside ASCII is dropped. May be empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].rstrip("-")
