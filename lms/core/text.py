"""Text turned into parts of addresses and file names."""

from __future__ import annotations

import re
import unicodedata

# An address as people write them: a name, "@", and a domain of dot-separated labels
# ending in one of at least two letters. Deliverability is the mail server's to judge.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)*\.[^@\s.]{2,}")


def is_email(text: str) -> bool:
    return len(text) <= 200 and _EMAIL.fullmatch(text) is not None


def grouped(code: str, size: int = 4) -> str:
    """A code in groups joined by hyphens (K7QM3XWDRT -> K7QM-3XWD-RT): easy to read out
    and to type back."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def ascii_slug(text: str, limit: int) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens, at most ``limit`` long:
    compatibility decomposition folds accents (é -> e) and full-width letters first; what
    is left outside ASCII is dropped. May be empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].rstrip("-")
