"""Settings. Every value comes from an environment variable; the classes only hold defaults."""

from __future__ import annotations

import os
from pathlib import Path

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
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'lms.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Where imported course media and uploads go: "local" (a folder) or "s3".
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    STORAGE_LOCAL_ROOT = os.environ.get("STORAGE_LOCAL_ROOT", str(BASE_DIR / "instance" / "storage"))
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
    S3_REGION = os.environ.get("S3_REGION", "ap-southeast-3")
    S3_URL_EXPIRES = _int("S3_URL_EXPIRES", 3600)
    KURSUS_DIR = os.environ.get("KURSUS_DIR", str(BASE_DIR / "kursus"))

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("LMS_TIMEZONE", "Asia/Jakarta")
    LANGUAGES = ("id", "en")

    # One JP (jam pelajaran) in minutes and the yearly development duty: agency settings.
    JP_MINUTES = _int("JP_MINUTES", 45)
    JP_TARGET_PER_YEAR = _int("JP_TARGET_PER_YEAR", 20)
    # Largest evidence file (PDF, JPEG or PNG) attached to a development record.
    EVIDENCE_MAX_BYTES = _int("EVIDENCE_MAX_BYTES", 2 * 1024 * 1024)
    # Public address used in certificate QR codes and links, e.g. https://lms.example.go.id
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    # The issuing body printed on certificates.
    CERTIFICATE_ISSUER = os.environ.get("CERTIFICATE_ISSUER", "Badan Kepegawaian Daerah")

    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_MAX_FAILURES_PER_IP = _int("LOGIN_MAX_FAILURES_PER_IP", 30)
    LOGIN_WINDOW_MINUTES = _int("LOGIN_WINDOW_MINUTES", 15)
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    # Seconds a quiz submission may arrive after its time limit (network delay).
    QUIZ_GRACE_SECONDS = _int("QUIZ_GRACE_SECONDS", 30)

    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    SESSION_COOKIE_NAME = "lms_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = _int("SESSION_LIFETIME_HOURS", 12) * 3600
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

    @classmethod
    def check(cls) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production (see README, Configuration).")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("LMS_ENV", "development")]
