"""Signing in by NIP and password: one generic message, rate limits, CSRF, clean sessions."""

import pytest
from sqlalchemy import func, select

from lms.accounts.models import LoginFailure
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


def test_inactive_account_cannot_sign_in(client, auth, users):
    users["learner"].active = False
    db.session.commit()
    assert auth.login(NIPS["learner"]).status_code == 401


def test_too_many_failures_lock_the_nip_for_a_while(app, client, auth, users):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert auth.login(NIPS["learner"], "wrong-password").status_code == 401
    # Even the right password is refused now, with a message saying to wait.
    response = auth.login(NIPS["learner"])
    assert response.status_code == 429
    assert "15" in error_text(response)
    # Another person's NIP from the same place is not locked.
    assert auth.login(NIPS["other"]).status_code == 302


def test_success_forgets_earlier_typos(app, client, auth, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        auth.login(NIPS["learner"], "typo-typo")
    assert auth.login(NIPS["learner"]).status_code == 302
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 0


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


def test_next_parameter_only_goes_to_this_site(client, auth, users):
    response = auth.login(NIPS["learner"], next="https://evil.example/")
    assert response.headers["Location"] == "/"
    client.get("/keluar")  # GET does nothing
    auth.logout()
    response = auth.login(NIPS["learner"], next="/katalog")
    assert response.headers["Location"] == "/katalog"


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


def test_password_change_signs_out_other_sessions(app, client, auth, users):
    from lms.accounts.services import set_password

    auth.login(NIPS["learner"])
    set_password(users["learner"], "another-password")
    db.session.commit()
    assert client.get("/").status_code == 302


def test_session_cookie_is_http_only_and_same_site(client, auth, users):
    response = auth.login(NIPS["learner"])
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_passwords_are_stored_hashed(users):
    assert PASSWORD not in users["learner"].password_hash
    assert users["learner"].password_hash.startswith("pbkdf2:")


def test_failures_older_than_the_window_are_forgotten_and_deleted(app, client, auth, users):
    from datetime import timedelta

    from lms.core.time import utcnow

    old = utcnow() - timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1)
    db.session.add_all(LoginFailure(nip=NIPS["learner"], ip="127.0.0.1", at=old) for _ in range(10))
    db.session.commit()
    assert auth.login(NIPS["learner"]).status_code == 302
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 0
