"""Offline tokens (lms.api.tokens): what a device may do with a course while offline,
signed by this server.

- A token reads back exactly as it was issued.
- Anything else is refused with TokenError: a token changed in any one character, one
  signed with another SECRET_KEY or for another purpose (another salt), one cut short, a
  signed payload that is not a token, anything that is not a string or is too long.
- A device's clock reading is kept between the token's issue and now (``within``).
- A token expires OFFLINE_TOKEN_DAYS days after it was issued.
"""

from __future__ import annotations

import string
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from config import TestingConfig
from lms import create_app
from lms.api import tokens
from lms.api.tokens import TokenError
from lms.core.ids import new_id

# The alphabet of URL-safe base64; flipping a character's top bit changes the bits it
# carries (a last character's low bits may be padding, so flipping those might not).
ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def quiz_token(**changes) -> tuple[tokens.OfflineToken, str]:
    fields = dict(kuis_id=7, version_id=11, questions=["q2", "q1"], time_limit=20, attempts_left=2)
    return tokens.issue(3, 5, **{**fields, **changes})


def signer(app, salt: str = tokens.SALT) -> URLSafeSerializer:
    return URLSafeSerializer(app.secret_key, salt=salt)


def changed_at(signed: str, index: int) -> str:
    char = signed[index]
    other = ALPHABET[ALPHABET.index(char) ^ 32] if char in ALPHABET else "A"
    return signed[:index] + other + signed[index + 1 :]


def test_a_token_reads_back_as_it_was_issued(ctx):
    token, signed = quiz_token()

    read = tokens.read(signed)

    assert read == token
    assert (read.pegawai_id, read.kursus_id, read.kuis_id, read.version_id) == (3, 5, 7, 11)
    assert (read.questions, read.time_limit, read.attempts_left) == (("q2", "q1"), 20, 2)


def test_a_module_token_names_no_quiz(ctx):
    token, signed = tokens.issue(3, 5)
    assert tokens.read(signed) == token
    assert (token.kuis_id, token.version_id, token.attempts_left) == (None, None, None)


def test_each_token_has_an_id_of_its_own(ctx):
    assert quiz_token()[0].id != quiz_token()[0].id
    chosen = new_id()
    assert tokens.read(quiz_token(token_id=chosen)[1]).id == chosen


def test_a_token_changed_in_any_one_character_is_refused(ctx):
    signed = quiz_token()[1]
    for index in range(len(signed)):
        with pytest.raises(TokenError):
            tokens.read(changed_at(signed, index))


def test_a_token_of_another_server_is_refused(ctx, tmp_path):
    elsewhere = create_app(
        TestingConfig,
        SECRET_KEY="another server's secret",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        STORAGE_LOCAL_ROOT=str(tmp_path),
    )
    with elsewhere.app_context():
        theirs = quiz_token()[1]
        assert tokens.read(theirs).version_id == 11  # good there

    with pytest.raises(TokenError):
        tokens.read(theirs)


def test_a_value_this_server_signed_for_another_purpose_is_refused(app, ctx):
    payload = signer(app).loads(quiz_token()[1])
    other_purpose = signer(app, salt="wtf-csrf-token").dumps(payload)

    with pytest.raises(TokenError):
        tokens.read(other_purpose)


@pytest.mark.parametrize("payload", [{}, {"j": new_id()}, "a string", [1, 2], None])
def test_a_signed_payload_that_is_not_a_token_is_refused(app, ctx, payload):
    signed = signer(app).dumps(payload)
    with pytest.raises(TokenError):
        tokens.read(signed)


@pytest.mark.parametrize(
    "change",
    [
        {"j": "1; DROP TABLE"},
        {"j": 123},
        {"u": "x"},
        {"c": None},
        {"q": 5},
        {"t": []},
        {"i": 10**20},
        {"e": "x"},
    ],
)
def test_a_signed_token_with_a_field_that_is_not_what_it_should_be_is_refused(app, ctx, change):
    payload = signer(app).loads(quiz_token()[1])
    with pytest.raises(TokenError):
        tokens.read(signer(app).dumps({**payload, **change}))


@pytest.mark.parametrize(
    "cut", [lambda s: s[:-1], lambda s: s[: len(s) // 2], lambda s: s.split(".")[0], lambda s: ""]
)
def test_a_token_cut_short_is_refused(ctx, cut):
    with pytest.raises(TokenError):
        tokens.read(cut(quiz_token()[1]))


@pytest.mark.parametrize("raw", [None, 42, 4.2, True, b"bytes", ["a", "b"], {"j": "x"}])
def test_anything_but_a_string_is_refused(ctx, raw):
    with pytest.raises(TokenError):
        tokens.read(raw)


def test_a_string_too_long_to_be_a_token_is_refused(ctx):
    signed = quiz_token()[1]
    with pytest.raises(TokenError):
        tokens.read(signed + "A" * (tokens.MAX_LENGTH - len(signed) + 1))
    with pytest.raises(TokenError):
        tokens.read("x" * 1_000_000)


# --- time ----------------------------------------------------------------------------------


def test_a_device_clock_is_kept_between_the_issue_and_now(ctx):
    token = quiz_token()[0]
    now = token.issued_at + timedelta(days=2)

    assert token.within(token.issued_at - timedelta(days=400), now) == token.issued_at
    assert token.within(token.issued_at + timedelta(hours=5), now) == token.issued_at + timedelta(hours=5)
    assert token.within(now + timedelta(days=3000), now) == now
    assert token.within(token.issued_at, now) == token.issued_at


def test_a_token_expires_after_the_configured_days(app, ctx, monkeypatch):
    for days in (app.config["OFFLINE_TOKEN_DAYS"], 7):
        monkeypatch.setitem(app.config, "OFFLINE_TOKEN_DAYS", days)
        token = tokens.read(quiz_token()[1])
        end = token.issued_at + timedelta(days=days)

        assert token.expires_at == end
        assert not token.is_expired(token.issued_at)
        assert not token.is_expired(end)
        assert token.is_expired(end + timedelta(seconds=1))


def test_a_fresh_token_is_not_expired_now(ctx):
    assert not quiz_token()[0].is_expired()
