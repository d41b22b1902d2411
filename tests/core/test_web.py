"""What every response carries: health, error pages, security headers, compression, caching."""

import gzip
import re

import pytest

from tests.conftest import NIPS


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_database_that_is_down(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from lms.extensions import db

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


@pytest.mark.parametrize(("path", "status"), [("/tidak-ada", 404), ("/kursus/tidak-ada", 302)])
def test_unknown_pages(client, path, status):
    assert client.get(path).status_code == status


def test_error_pages_use_the_site_layout_in_the_user_language(client, auth, users):
    auth.login(NIPS["learner"])
    page = client.get("/kursus/tidak-ada").get_data(as_text=True)
    assert 'class="top"' in page and "Kursus Saya" in page


def test_request_too_large_gets_413_page(app, client):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/masuk", data={"nip": big})
    assert response.status_code == 413
    assert "terlalu besar" in response.get_data(as_text=True).lower()


def test_unexpected_error_gives_500_page_without_details(client, auth, users, monkeypatch):
    import lms.progress.services as services

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail")

    auth.login(NIPS["learner"])
    monkeypatch.setattr(services, "published_courses", boom)
    response = client.get("/katalog")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret detail" not in page
    assert "Kursus Saya" in page  # still the site layout


def test_security_headers_on_every_page(client):
    headers = client.get("/masuk").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client, auth, users, course):
    auth.login(NIPS["learner"])
    auth.post("/kursus/kursus-uji/daftar")
    for path in ("/", "/katalog", "/kursus/kursus-uji", "/kursus/kursus-uji/modul/pembuka", "/masuk"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "style=" not in page, path
        assert " on" + "click=" not in page


def test_pages_are_compressed_when_the_browser_accepts_gzip(client, auth, users, course):
    auth.login(NIPS["learner"])
    auth.post("/kursus/kursus-uji/daftar")
    response = client.get("/kursus/kursus-uji/modul/pembuka", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert "Teks pembuka" in gzip.decompress(response.data).decode()


def test_personal_pages_are_kept_in_no_cache(client, auth, users, course):
    auth.login(NIPS["learner"])
    for path in ("/", "/katalog", "/akun", "/luring"):
        response = client.get(path)
        assert {"private", "no-store"} <= {
            part.strip() for part in response.headers["Cache-Control"].split(",")
        }, path


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    page = client.get("/masuk").get_data(as_text=True)
    href = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert "?v=" in href
    response = client.get(href, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert set(response.headers["Cache-Control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
    assert response.headers["Content-Encoding"] == "gzip"


def test_language_switch_is_remembered_and_only_accepts_known_languages(client, auth):
    response = auth.post("/bahasa", {"lang": "en", "next": "/masuk"})
    assert response.headers["Location"] == "/masuk"
    assert 'lang="en"' in client.get("/masuk").get_data(as_text=True)
    auth.post("/bahasa", {"lang": "xx"})
    assert 'lang="en"' in client.get("/masuk").get_data(as_text=True)
    response = auth.post("/bahasa", {"lang": "id", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(tmp_path):
    from config import TestingConfig
    from lms import create_app

    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        TRUST_PROXY_HOPS=1,
        STORAGE_LOCAL_ROOT=str(tmp_path),
    )

    @app.get("/_ip")
    def ip():
        from flask import request

        return request.remote_addr

    response = app.test_client().get("/_ip", headers={"X-Forwarded-For": "10.1.2.3"})
    assert response.get_data(as_text=True) == "10.1.2.3"


def test_without_a_secret_key_a_random_one_is_made_once_and_kept(monkeypatch, tmp_path):
    from config import DevelopmentConfig
    from lms import create_app

    monkeypatch.setattr(DevelopmentConfig, "SECRET_KEY", None)
    first = create_app(DevelopmentConfig, instance_path=str(tmp_path), SQLALCHEMY_DATABASE_URI="sqlite://")
    again = create_app(DevelopmentConfig, instance_path=str(tmp_path), SQLALCHEMY_DATABASE_URI="sqlite://")
    key = first.config["SECRET_KEY"]
    assert len(key) == 64 and key == again.config["SECRET_KEY"]
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert (
        create_app(DevelopmentConfig, instance_path=str(other), SQLALCHEMY_DATABASE_URI="sqlite://").config[
            "SECRET_KEY"
        ]
        != key
    )


def test_there_is_no_built_in_secret_key():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    shown = subprocess.run(
        [sys.executable, "-c", "import config; print(config.Config.SECRET_KEY)"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == "None"


@pytest.mark.parametrize("base", ["", "belajar.example.go.id", "ftp://x", "https://"])
def test_production_refuses_to_start_without_its_public_address(monkeypatch, tmp_path, base):
    from config import ProductionConfig
    from lms import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(ProductionConfig, instance_path=str(tmp_path), PUBLIC_BASE_URL=base)


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    from config import ProductionConfig
    from lms import create_app

    app = create_app(
        ProductionConfig,
        instance_path=str(tmp_path),
        SECRET_KEY="x" * 32,
        PUBLIC_BASE_URL="https://belajar.example.go.id",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        STORAGE_LOCAL_ROOT=str(tmp_path),
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert "max-age=31536000" in app.test_client().get("/healthz").headers["Strict-Transport-Security"]


@pytest.mark.parametrize("status", [400, 403, 404, 405, 413, 429, 500])
def test_every_error_page_has_a_title_and_message_in_both_languages(tmp_path, status):
    from flask import abort

    from config import TestingConfig
    from lms import create_app

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", STORAGE_LOCAL_ROOT=str(tmp_path))

    @app.get("/_fail")
    def fail():
        abort(status)

    client = app.test_client()
    indonesian = client.get("/_fail")
    assert indonesian.status_code == status
    page = indonesian.get_data(as_text=True)
    assert f"Galat {status}" in page or f"Kesalahan {status}" in page
    client.get("/masuk")
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert f"Error {status}" in client.get("/_fail").get_data(as_text=True)


def test_api_style_requests_get_json_errors(client):
    response = client.get("/tidak-ada", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["status"] == 404 and response.json["error"]


# --- pages that revalidate (ETag), data saver, the scripts as sent ----------------------------

MODULE = "/kursus/kursus-uji/modul/pembuka"


@pytest.fixture
def reading(client, auth, users, course):
    """The learner, signed in and enrolled in the test course (and told so)."""

    def sign_in(who: str = "learner"):
        auth.login(NIPS[who])
        auth.post("/kursus/kursus-uji/daftar")
        client.get("/kursus/kursus-uji")  # the page that says "you are enrolled"

    sign_in()
    return sign_in


def test_a_module_page_revisited_unchanged_is_a_304_without_body(client, reading):
    first = client.get(MODULE)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag
    assert {p.strip() for p in first.headers["Cache-Control"].split(",")} == {"private", "no-cache"}

    again = client.get(MODULE, headers={"If-None-Match": tag})

    assert (again.status_code, again.data, again.headers["ETag"]) == (304, b"", tag)
    assert client.get(MODULE, headers={"If-None-Match": '"another"'}).status_code == 200


def test_the_page_tag_is_the_same_across_renders_whose_csrf_tokens_differ(client, reading, monkeypatch):
    import itertools
    import time

    from itsdangerous.timed import TimestampSigner

    from tests.conftest import csrf_from

    moments = itertools.count(int(time.time()))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(moments))

    first, second = client.get(MODULE), client.get(MODULE)

    assert csrf_from(first.get_data(as_text=True)) != csrf_from(second.get_data(as_text=True))
    assert first.headers["ETag"] == second.headers["ETag"]


def test_the_page_tag_is_another_for_another_learner_and_another_session(client, auth, reading):
    mine = client.get(MODULE).headers["ETag"]
    auth.logout()
    reading("other")
    theirs = client.get(MODULE).headers["ETag"]
    auth.logout()
    reading("learner")
    mine_again = client.get(MODULE).headers["ETag"]

    assert len({mine, theirs, mine_again}) == 3
    # a copy kept from the earlier sign-in is not reused: its forms carry stale tokens
    assert client.get(MODULE, headers={"If-None-Match": mine}).status_code == 200


def test_the_tag_of_a_compressed_page_revalidates_as_the_browser_sends_it_back(client, reading):
    gzip_ok = {"Accept-Encoding": "gzip"}
    first = client.get(MODULE, headers=gzip_ok)
    tag = first.headers["ETag"]
    assert first.headers["Content-Encoding"] == "gzip" and tag.endswith('-gz"')

    again = client.get(MODULE, headers={**gzip_ok, "If-None-Match": tag})

    assert (again.status_code, again.data) == (304, b"")
    plain = client.get(MODULE).headers["ETag"]
    assert client.get(MODULE, headers={"If-None-Match": plain}).status_code == 304


def module_body(response) -> str:
    return re.search(r'<article class="prose">(.*?)</article>', response.get_data(as_text=True), re.S)[1]


def test_with_save_data_on_pictures_are_links_to_tap(client, reading):
    light = client.get(MODULE)
    saving = client.get(MODULE, headers={"Save-Data": "on"})

    assert "<img" in module_body(light) and "tap-img" not in module_body(light)
    body = module_body(saving)
    assert "<img" not in body
    link = re.search(r'<a class="tap-img" href="(/media/[^"]+)"([^>]*)>', body)
    assert link and 'data-alt="Diagram"' in link[2] and 'data-width="320" data-height="160"' in link[2]
    assert link[1] in module_body(light)  # the same picture, when tapped
    assert "Save-Data" in saving.headers["Vary"]
    assert saving.headers["ETag"] != light.headers["ETag"]


def test_the_learner_may_choose_data_saver_for_every_visit(client, auth, users, reading):
    from lms.accounts.models import User
    from lms.extensions import db

    assert auth.post("/akun/hemat-data", {"save_data": "1"}).status_code == 302
    assert db.session.get(User, users["learner"].id).save_data
    assert "<img" not in module_body(client.get(MODULE)) and "tap-img" in module_body(client.get(MODULE))

    auth.post("/akun/hemat-data", {})

    assert not db.session.get(User, users["learner"].id).save_data
    assert "<img" in module_body(client.get(MODULE))


def test_compact_js_drops_comment_lines_and_indentation_and_keeps_code():
    from lms.core.web import compact_js

    source = (
        "// What this does.\n"
        "function f(a) {\n"
        "    // why, indented\n"
        '    var url = "https://belajar.example.go.id/x"; // kept: code comes first\n'
        "\n"
        "    return a / 2;   \n"
        "}\n"
    )

    assert compact_js(source) == (
        'function f(a) {\nvar url = "https://belajar.example.go.id/x"; // kept: code comes first\nreturn a / 2;\n}\n'
    )


def test_scripts_are_served_without_their_comment_lines(app, client):
    from pathlib import Path

    from lms.core.web import compact_js

    source = (Path(app.static_folder) / "quiz.js").read_text(encoding="utf-8")
    assert any(line.strip().startswith("//") for line in source.splitlines())  # there are some to drop

    served = client.get("/static/quiz.js").get_data(as_text=True)

    assert served == compact_js(source)
    assert not [line for line in served.splitlines() if line.startswith("//")]


@pytest.mark.parametrize(
    "path",
    [
        "/static/../config.py",
        "/static/..%2fconfig.py",
        "/static/..%2f..%2fconfig.py",
        "/static/%2e%2e/%2e%2e/config.py",
        "/static/..%2fapi%2ftemplates%2fapi%2fsw.js",
        "/static/..%2f..%2flms%2fapi%2ftemplates%2fapi%2fsw.js",
        "/static/nothing-here.js",
    ],
)
def test_no_file_outside_the_static_folder_is_served(client, path):
    assert client.get(path).status_code == 404


def test_the_service_worker_is_revalidated_on_every_check(client):
    first = client.get("/sw.js")

    assert first.status_code == 200 and first.mimetype in ("application/javascript", "text/javascript")
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["Service-Worker-Allowed"] == "/"
    assert not [line for line in first.get_data(as_text=True).splitlines() if line.startswith("//")]
    tag = first.headers["ETag"]
    again = client.get("/sw.js", headers={"If-None-Match": tag})
    assert (again.status_code, again.data) == (304, b"")


def test_the_compressed_service_worker_revalidates_as_the_browser_sends_its_tag_back(client):
    gzip_ok = {"Accept-Encoding": "gzip"}
    tag = client.get("/sw.js", headers=gzip_ok).headers["ETag"]

    again = client.get("/sw.js", headers={**gzip_ok, "If-None-Match": tag})

    assert (again.status_code, again.data) == (304, b"")


def test_the_web_app_manifest_installs_the_app_with_icons_that_exist(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] and manifest["start_url"] == "/" and manifest["display"] == "standalone"
    icons = {icon["sizes"]: icon for icon in manifest["icons"]}
    for size in ("192x192", "512x512"):
        icon = client.get(icons[size]["src"])
        assert (icon.status_code, icon.mimetype, icons[size]["type"]) == (200, "image/png", "image/png"), size
        assert icon.data.startswith(b"\x89PNG")
