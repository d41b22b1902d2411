"""Many sign-in tries at the same moment, truly in parallel: the failure limit holds.

Each try is a test client of its own posting the sign-in form from a thread of its own,
in an app context of its own (its own database session and connection), released with
the others by a Barrier. The transaction that counts a try is held open a moment after
it read the counts (:func:`widened`), so without the row locks parallel tries would all
read the same count and all be let through; with them, each sees the others' failures.
On SQLite the database lets one writer in at a time and the same answers must hold.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select, update

from lms.accounts import services
from lms.accounts.models import LoginThrottle
from lms.core.time import utcnow
from lms.extensions import db
from tests import concurrency
from tests.concurrency import together
from tests.conftest import NIPS, PASSWORD, Client, csrf_from

TRIES = 30
ADDRESS = "10.20.30.40"
HOLD = 0.005  # seconds a counting transaction stays open after reading the counts


def widened(seconds: float = HOLD):
    """Keep the counting transaction open after it read the counts (with what it locked),
    so parallel tries overlap where a lost update would happen."""
    return concurrency.widened(
        lambda text: text.startswith("SELECT") and "FROM LOGIN_THROTTLE" in text, seconds
    )


class SignIn:
    """A browser at ``address`` with the sign-in page already loaded (its CSRF token)."""

    def __init__(self, app, address: str = ADDRESS):
        self.client = Client(app, app.response_class)
        self.client.environ_base["REMOTE_ADDR"] = address
        self.token = csrf_from(self.client.get("/masuk").get_data(as_text=True))

    def __call__(self, nip: str, password: str):
        return self.client.post("/masuk", data={"csrf_token": self.token, "nip": nip, "password": password})


@pytest.fixture
def password_checks(monkeypatch):
    """How many times a password was actually compared with a hash (any NIP, known or not)."""
    checked: list[str] = []
    real = services._check

    def counting(user, password):
        checked.append(password)
        return real(user, password)

    monkeypatch.setattr(services, "_check", counting)
    return checked


def throttle(key: str) -> LoginThrottle | None:
    return db.session.get(LoginThrottle, key, populate_existing=True)


def test_parallel_wrong_passwords_for_one_nip_are_checked_only_as_often_as_allowed(
    app, ctx, users, password_checks
):
    allowed = app.config["LOGIN_MAX_FAILURES"]
    assert allowed < TRIES and allowed < app.config["LOGIN_MAX_FAILURES_PER_NIP"]
    nip = NIPS["learner"]
    browsers = [SignIn(app) for _ in range(TRIES)]

    with widened():
        answers = together(app, *(partial(browser, nip, "salah-sandi") for browser in browsers))

    # The first `allowed` tries are counted and checked (wrong: 401); the one that reached
    # the limit set the wait, so every other try is refused unchecked (429).
    assert Counter(r.status_code for r in answers) == {401: allowed, 429: TRIES - allowed}
    assert len(password_checks) == allowed
    assert all(r.headers.get("Retry-After", "").isdigit() for r in answers if r.status_code == 429)
    for key in (f"nip-ip:{nip}|{ADDRESS}", f"nip:{nip}", f"ip:{ADDRESS}"):
        assert throttle(key).failures == allowed, key
    assert throttle(f"nip-ip:{nip}|{ADDRESS}").blocked_until > utcnow()

    # Once the wait is over the right password signs in, and the NIP's counts are gone.
    db.session.execute(update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = SignIn(app)(nip, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Location"] == "/"
    assert throttle(f"nip-ip:{nip}|{ADDRESS}") is None and throttle(f"nip:{nip}") is None


def test_parallel_tries_with_many_nips_from_one_address_stop_at_the_address_limit(
    app, ctx, users, password_checks, monkeypatch
):
    """Guessing across NIPs from one address: each NIP is tried once (under its own
    limits), and the address stops the lot after LOGIN_MAX_FAILURES_PER_IP checks."""
    per_address = 8  # the default of 100 would need 100+ threads to reach
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", per_address)
    nips = [f"19900101201501{1 + i % 2}{i:03d}" for i in range(TRIES - 1)] + [NIPS["learner"]]
    browsers = [SignIn(app) for _ in nips]

    with widened():
        answers = together(
            app, *(partial(browser, nip, "salah-sandi") for browser, nip in zip(browsers, nips, strict=True))
        )

    assert Counter(r.status_code for r in answers) == {401: per_address, 429: TRIES - per_address}
    assert len(password_checks) == per_address
    assert throttle(f"ip:{ADDRESS}").failures == per_address
    per_nip = db.session.scalars(select(LoginThrottle.failures).where(LoginThrottle.key.like("nip:%"))).all()
    assert sum(per_nip) == per_address and max(per_nip) == 1
