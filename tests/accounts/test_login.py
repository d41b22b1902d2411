"""Signing in by NIP and password: one generic message, a growing delay after failures,
CSRF, and clean sessions."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.accounts.models import LoginThrottle, UserSession
from lms.extensions import db
from tests.conftest import NIPS, PASSWORD

GENERIC_EN = "The NIP or password is wrong."
GENERIC_ID = "NIP atau kata sandi salah."


def error_text(response) -> str:
    return response.get_data(as_text=True)


def test_login_page_is_indonesian_by_default(client):
    page = client.get("/masuk").get_data(as_text=True)
    assert 'lang="id"' in page
    assert "Masuk" in page


def test_correct_nip_and_password_signs_in_and_redirects_home(client, auth, users):
    response = auth.login(NIPS["learner"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Peserta Uji" in client.get("/").get_data(as_text=True)


def test_nip_may_be_typed_with_spaces(client, auth, users):
    response = auth.login("19920315 201903 2 001")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("nip", "password"),
    [
        (NIPS["learner"], "wrong-password"),  # right NIP, wrong password
        ("199001012015011999", PASSWORD),  # NIP that has no account
        ("123", PASSWORD),  # not even a NIP
    ],
)
def test_every_failure_gives_the_same_message(client, auth, users, nip, password):
    response = auth.login(nip, password)
    assert response.status_code == 401
    assert GENERIC_ID in error_text(response)


def test_message_follows_the_chosen_language(client, auth, users):
    auth.post("/bahasa", {"lang": "en"})
    response = auth.login(NIPS["learner"], "nope-nope")
    assert GENERIC_EN in error_text(response)


def test_empty_form_shows_errors_next_to_the_fields(client, auth, users):
    response = auth.post("/masuk", {"nip": "", "password": ""})
    page = error_text(response)
    assert response.status_code == 400
    assert 'id="nip-error"' in page and 'id="password-error"' in page
    assert 'aria-invalid="true"' in page


def test_fields_without_errors_carry_no_empty_aria_attributes(client):
    page = client.get("/masuk").get_data(as_text=True)
    assert '"None"' not in page
    assert 'aria-describedby="nip-hint"' in page


def test_inactive_account_cannot_sign_in(client, auth, users):
    users["learner"].active = False
    db.session.commit()
    assert auth.login(NIPS["learner"]).status_code == 401


# --- the failure limit -------------------------------------------------------------------


def test_after_the_free_failures_the_next_try_must_wait_even_with_the_right_password(app, auth, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert auth.login(NIPS["learner"], "wrong-password").status_code == 401
    response = auth.login(NIPS["learner"])
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) <= app.config["LOGIN_DELAY_SECONDS"]
    assert "detik" in error_text(response)  # "Coba lagi dalam 30 detik."


def test_the_wait_doubles_with_each_further_failure_up_to_a_cap(app, client, auth, users):
    from lms.core.time import utcnow

    free, base = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_DELAY_SECONDS"]
    waits = []
    for _ in range(free + 8):
        auth.login(NIPS["learner"], "wrong-password")
        row = db.session.get(LoginThrottle, f"nip-ip:{NIPS['learner']}|127.0.0.1", populate_existing=True)
        if row.blocked_until:
            waits.append(round((row.blocked_until - utcnow()).total_seconds() / base))
            row.blocked_until = utcnow() - timedelta(seconds=1)  # let the next try through
            db.session.commit()
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert max(waits) * base <= app.config["LOGIN_MAX_DELAY_MINUTES"] * 60 + base


def test_a_delayed_try_is_not_counted_so_waiting_it_out_works(app, auth, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login(NIPS["learner"], "wrong-password")
    for _ in range(5):
        assert auth.login(NIPS["learner"], "wrong-password").status_code == 429
    row = db.session.get(LoginThrottle, f"nip-ip:{NIPS['learner']}|127.0.0.1")
    assert row.failures == app.config["LOGIN_MAX_FAILURES"]


def test_someone_elses_failures_do_not_delay_a_nip_from_another_address(app, client, auth, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.environ_base["REMOTE_ADDR"] = "10.0.0.66"
        auth.login(NIPS["learner"], "wrong-password")
    client.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert auth.login(NIPS["learner"]).status_code == 302


def test_many_learners_behind_one_carrier_address_are_not_locked_out(app, client, auth, make_user):
    """A carrier's NAT puts a whole district behind one address: one typo each is fine."""
    nips = [f"1990010120150110{n:02d}" for n in range(40)]
    for nip in nips:
        make_user(nip)
    for nip in nips:
        assert auth.login(nip, "typo-typo").status_code == 401
    for nip in nips[:3]:
        response = auth.login(nip)
        assert response.status_code == 302
        auth.logout()


def test_a_success_forgets_the_nips_earlier_typos(app, client, auth, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        auth.login(NIPS["learner"], "typo-typo")
    assert auth.login(NIPS["learner"]).status_code == 302
    keys = set(db.session.scalars(select(LoginThrottle.key).where(LoginThrottle.failures > 0)))
    assert not any(NIPS["learner"] in key for key in keys)


def test_failures_older_than_the_window_are_forgotten(app, client, auth, users):
    from lms.core.time import utcnow

    old = utcnow() - timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1)
    for key in (f"nip-ip:{NIPS['learner']}|127.0.0.1", f"nip:{NIPS['learner']}"):
        db.session.add(LoginThrottle(key=key, failures=50, last_failure_at=old))
    db.session.commit()
    assert auth.login(NIPS["learner"], "typo-typo").status_code == 401
    row = db.session.get(LoginThrottle, f"nip-ip:{NIPS['learner']}|127.0.0.1", populate_existing=True)
    assert row.failures == 1 and row.blocked_until is None


def test_an_unknown_nip_is_checked_against_a_hash_made_the_same_way(app, client, auth, users, monkeypatch):
    """So a wrong NIP costs the same time as a wrong password."""
    import lms.accounts.services as services

    methods = []
    real = services.check_password_hash
    monkeypatch.setattr(
        services, "check_password_hash", lambda h, p: methods.append(h.split("$")[0]) or real(h, p)
    )
    auth.login(NIPS["learner"], "wrong-password")
    auth.login("199001012015011999", "wrong-password")
    assert len(methods) == 2 and methods[0] == methods[1]


def test_an_unknown_nip_and_a_wrong_password_run_the_same_queries(app, client, auth, users):
    from tests.conftest import count_queries

    token = auth.token()
    shapes = []
    for nip in (NIPS["learner"], "199001012015011999"):
        with count_queries() as statements:
            client.post("/masuk", data={"csrf_token": token, "nip": nip, "password": "wrong-password"})
        shapes.append(len(statements))
    assert shapes[0] == shapes[1]


# --- CSRF, next, sessions ----------------------------------------------------------------


def test_missing_csrf_token_is_refused_with_a_clear_message(client, users):
    response = client.post("/masuk", data={"nip": NIPS["learner"], "password": PASSWORD})
    assert response.status_code == 400
    assert "Muat ulang halaman" in error_text(response) or "Reload the page" in error_text(response)


def test_forged_csrf_token_is_refused(client, users):
    client.get("/masuk")
    response = client.post(
        "/masuk", data={"csrf_token": "forged", "nip": NIPS["learner"], "password": PASSWORD}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\t/evil.example",
        "/\\evil.example",
        "/\r\nSet-Cookie:x=1",
    ],
)
def test_next_only_leads_to_a_path_on_this_site(client, auth, users, target):
    response = auth.login(NIPS["learner"], next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_to_a_page_of_this_site_is_followed(client, auth, users):
    response = auth.login(NIPS["learner"], next="/katalog?q=etika")
    assert response.headers["Location"] == "/katalog?q=etika"


def test_pages_need_login(client):
    response = client.get("/katalog")
    assert response.status_code == 302
    assert "/masuk?next=" in response.headers["Location"]


def test_logout_ends_the_session(client, auth, users):
    auth.login(NIPS["learner"])
    response = auth.logout()
    assert response.headers["Location"] == "/masuk"
    assert client.get("/").status_code == 302


def test_logout_needs_post_with_csrf(client, auth, users):
    auth.login(NIPS["learner"])
    assert client.get("/keluar").status_code == 405
    assert client.post("/keluar").status_code == 400
    assert client.get("/").status_code == 200


def cookies_of(client) -> dict[str, str]:
    return {c.key: c.value for c in client._cookies.values()}


def test_a_cookie_saved_before_sign_out_opens_nothing_afterwards(app, client, auth, users):
    auth.login(NIPS["learner"], remember="y")
    saved = cookies_of(client)
    assert "lms_remember" in saved
    auth.logout()
    thief = app.test_client()
    for name, value in saved.items():
        thief.set_cookie(name, value)
    assert thief.get("/").status_code == 302
    assert db.session.scalar(select(func.count(UserSession.id))) == 0


def test_the_remember_cookie_alone_signs_in_until_sign_out(app, client, auth, users):
    auth.login(NIPS["learner"], remember="y")
    remember = cookies_of(client)["lms_remember"]
    browser_restarted = app.test_client()
    browser_restarted.set_cookie("lms_remember", remember)
    assert browser_restarted.get("/").status_code == 200


def test_the_remember_cookie_lasts_the_documented_time(app, auth, users):
    response = auth.login(NIPS["learner"], remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lms_remember="))
    days = app.config["REMEMBER_COOKIE_DURATION"].days
    assert f"Max-Age={days * 86400}" in cookie or "Expires=" in cookie
    session = db.session.scalar(select(UserSession))
    assert session.remember and (session.expires_at - session.created_at).days == days


def test_a_session_past_its_time_opens_nothing(app, client, auth, users):
    from lms.core.time import utcnow

    auth.login(NIPS["learner"])
    session = db.session.scalar(select(UserSession))
    session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/").status_code == 302


def test_the_database_keeps_only_a_hash_of_the_session_token(client, auth, users):
    auth.login(NIPS["learner"])
    session = db.session.scalar(select(UserSession))
    assert len(session.token_hash) == 64
    assert all(session.token_hash not in value for value in cookies_of(client).values())


def test_session_cookie_is_http_only_and_same_site(client, auth, users):
    response = auth.login(NIPS["learner"])
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_passwords_are_stored_hashed(users):
    assert PASSWORD not in users["learner"].password_hash
    assert users["learner"].password_hash.startswith("pbkdf2:")


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (Linux; Android 12; SM-A125F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            "Chrome · Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1",
            "Safari · iPhone",
        ),
        ("curl/8.0", ""),
    ],
)
def test_sessions_are_listed_by_a_device_a_person_recognises(agent, label):
    from lms.accounts.services import device_label

    assert device_label(agent) == label


def test_the_account_page_lists_this_device(client, auth, users):
    client.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Linux; Android 12) Chrome/120.0 Mobile Safari/537.36"
    )
    auth.login(NIPS["learner"])
    page = client.get("/akun").get_data(as_text=True)
    assert "Chrome · Android" in page and "perangkat ini" in page


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, client, auth, users):
    auth.login(NIPS["learner"])
    elsewhere = app.test_client()
    token = csrf_of(elsewhere)
    elsewhere.post("/masuk", data={"csrf_token": token, "nip": NIPS["learner"], "password": PASSWORD})
    assert elsewhere.get("/").status_code == 200
    response = auth.post(
        "/akun",
        {"current_password": PASSWORD, "password": "kata-sandi-baru", "confirm_password": "kata-sandi-baru"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    auth.logout()
    assert auth.login(NIPS["learner"], "kata-sandi-baru").status_code == 302


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"current_password": "salah-salah"}, "current_password", "Kata sandi sekarang salah."),
        ({"confirm_password": "lain-lain-lain"}, "confirm_password", "Kedua kata sandi baru tidak sama."),
        (
            {"password": "pendek", "confirm_password": "pendek"},
            "password",
            "Kata sandi minimal 8 karakter.",
        ),
        (
            {"password": NIPS["learner"], "confirm_password": NIPS["learner"]},
            "password",
            "NIP Anda bukan kata sandi yang aman.",
        ),
        (
            {"password": PASSWORD, "confirm_password": PASSWORD},
            "password",
            "Pilih kata sandi yang berbeda dari yang sekarang.",
        ),
    ],
)
def test_a_bad_password_change_says_why_next_to_the_field_and_changes_nothing(
    client, auth, users, form, field, message
):
    auth.login(NIPS["learner"])
    before = users["learner"].password_hash
    data = {
        "current_password": PASSWORD,
        "password": "kata-sandi-baru",
        "confirm_password": "kata-sandi-baru",
        **form,
    }
    response = auth.post("/akun", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error">{message}' in page
    db.session.refresh(users["learner"])
    assert users["learner"].password_hash == before


def test_signing_out_everywhere_ends_every_session(app, client, auth, users):
    auth.login(NIPS["learner"])
    elsewhere = app.test_client()
    elsewhere.post(
        "/masuk", data={"csrf_token": csrf_of(elsewhere), "nip": NIPS["learner"], "password": PASSWORD}
    )
    response = auth.post("/akun/keluar-semua")
    assert response.headers["Location"] == "/masuk"
    assert client.get("/").status_code == 302 and elsewhere.get("/").status_code == 302
    assert db.session.scalar(select(func.count(UserSession.id))) == 0


def csrf_of(browser) -> str:
    from tests.conftest import csrf_from

    return csrf_from(browser.get("/masuk").get_data(as_text=True))
