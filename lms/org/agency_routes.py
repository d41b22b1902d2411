"""Admin pages (being written)."""

from lms.org.routes import bp  # noqa: F401
