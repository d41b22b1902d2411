"""Settings. Every value comes from an environment variable; the classes only hold defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    # No built-in default: without SECRET_KEY the app makes a random one once and keeps it
    # in instance/secret_key (see lms.create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'lms.db'}")
    # A database that hangs must not hold every worker: connecting and each statement
    # give up after these, and the page says the service is unavailable (503).
    DATABASE_CONNECT_TIMEOUT = _int("DATABASE_CONNECT_TIMEOUT", 5)
    DATABASE_STATEMENT_TIMEOUT_MS = _int("DATABASE_STATEMENT_TIMEOUT_MS", 15000)
    # Where imported course media and uploads go: "local" (a folder) or "s3".
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    STORAGE_LOCAL_ROOT = os.environ.get("STORAGE_LOCAL_ROOT", str(BASE_DIR / "instance" / "storage"))
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
    S3_REGION = os.environ.get("S3_REGION", "ap-southeast-3")
    # Public course media: URLs are signed per window of half this, so a picture keeps one
    # address (and stays in the browser cache) for a day or more; at most 7 days (SigV4).
    S3_URL_EXPIRES = _int("S3_URL_EXPIRES", 172800)
    # Evidence files are personal: their download links work for a minute only.
    S3_PRIVATE_URL_EXPIRES = _int("S3_PRIVATE_URL_EXPIRES", 60)
    KURSUS_DIR = os.environ.get("KURSUS_DIR", str(BASE_DIR / "kursus"))

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("LMS_TIMEZONE", "Asia/Jakarta")
    LANGUAGES = ("id", "en")

    # One JP (jam pelajaran) in minutes and the yearly development duty: agency settings.
    JP_MINUTES = _int("JP_MINUTES", 45)
    JP_TARGET_PER_YEAR = _int("JP_TARGET_PER_YEAR", 20)
    # Largest evidence file (PDF, JPEG or PNG) attached to a development record.
    EVIDENCE_MAX_BYTES = _int("EVIDENCE_MAX_BYTES", 2 * 1024 * 1024)
    QUESTION_IMPORT_MAX_BYTES = _int("QUESTION_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
    # Largest file and most rows of a bulk import of units, positions or employees.
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 100000)
    # Public address used in certificate QR codes and links, e.g. https://lms.example.go.id.
    # Never taken from the request's Host header; required in production.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or (
        f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
    )
    # The issuing body printed on certificates.
    CERTIFICATE_ISSUER = os.environ.get("CERTIFICATE_ISSUER", "Badan Kepegawaian Daerah")

    # Failed sign-ins allowed before each further try must wait (a delay that doubles up
    # to LOGIN_MAX_DELAY_MINUTES, never a lock): per NIP from one address, per NIP from
    # anywhere, and per address (generous: many learners share a carrier's address).
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_MAX_FAILURES_PER_NIP = _int("LOGIN_MAX_FAILURES_PER_NIP", 20)
    LOGIN_MAX_FAILURES_PER_IP = _int("LOGIN_MAX_FAILURES_PER_IP", 100)
    LOGIN_WINDOW_MINUTES = _int("LOGIN_WINDOW_MINUTES", 15)
    LOGIN_DELAY_SECONDS = _int("LOGIN_DELAY_SECONDS", 30)
    LOGIN_MAX_DELAY_MINUTES = _int("LOGIN_MAX_DELAY_MINUTES", 15)
    # One-time codes (stored hashed, single use): an activation code handed out on paper
    # is valid this many days; a password reset code this many hours.
    ACTIVATION_CODE_DAYS = _int("ACTIVATION_CODE_DAYS", 14)
    RESET_CODE_HOURS = _int("RESET_CODE_HOURS", 72)
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    # Seconds a quiz submission may arrive after its time limit (network delay).
    QUIZ_GRACE_SECONDS = _int("QUIZ_GRACE_SECONDS", 30)
    # A course downloaded for offline use carries a signed token for one quiz attempt and
    # for its modules' completions; results made under it are taken this many days.
    OFFLINE_TOKEN_DAYS = _int("OFFLINE_TOKEN_DAYS", 30)
    # A sync file carried from a device without network: its largest size and item count.
    SYNC_FILE_MAX_BYTES = _int("SYNC_FILE_MAX_BYTES", 2 * 1024 * 1024)
    SYNC_MAX_ITEMS = _int("SYNC_MAX_ITEMS", 200)

    # Email (activation codes, reminders). Without SMTP_HOST nothing is sent by email.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _int("SMTP_PORT", 587)
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
    SMTP_SSL = _bool("SMTP_SSL", False)
    SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 10)
    SMTP_FROM = os.environ.get("SMTP_FROM", "lms@localhost")
    SMTP_FROM_NAME = os.environ.get("SMTP_FROM_NAME", "")

    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    SESSION_COOKIE_NAME = "lms_session"
    REMEMBER_COOKIE_NAME = "lms_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # "Keep me signed in" lasts this long on a device; the server forgets the session then too.
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_DAYS", 30))
    # A sign-in without "keep me signed in" ends after this long, or when the browser closes.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_int("SESSION_LIFETIME_HOURS", 12))
    WTF_CSRF_TIME_LIMIT = None  # a form read slowly offline must still submit
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Behind nginx: how many proxies set X-Forwarded-For/-Proto (client IPs for rate limits).
    TRUST_PROXY_HOPS = _int("TRUST_PROXY_HOPS", 0)
    # Request bodies and responses below this size are not worth compressing.
    GZIP_MIN_BYTES = 500


class DevelopmentConfig(Config):
    DEBUG = _bool("FLASK_DEBUG", False)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - fast hashing for tests
    WTF_CSRF_ENABLED = True
    LOG_LEVEL = "WARNING"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")

    @staticmethod
    def check(config) -> None:
        base = urlsplit(config.get("PUBLIC_BASE_URL") or "")
        if base.scheme not in ("http", "https") or not base.netloc:
            raise RuntimeError(
                "PUBLIC_BASE_URL must be set in production to the address people use, e.g. "
                "https://belajar.bkd.example.go.id (see README, Configuration)."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("LMS_ENV", "development")]
