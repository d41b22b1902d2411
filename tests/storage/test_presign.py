"""Presigned S3 URLs: public media get the same URL all through a time window, so a
learner on a slow link who comes back to a page finds its pictures in the browser's
cache; private files keep short-lived URLs that change on every request."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from botocore.credentials import ReadOnlyCredentials
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.storage import (
    PREVIEW,
    PRIVATE,
    PUBLIC,
    REDIRECT_MARGIN,
    SIGV4_MAX_EXPIRES,
    TEMPORARY_CREDENTIALS_MAX_AGE,
    sign_url_at,
)

DAY = 24 * 3600
TWO_DAYS = 2 * DAY  # a 24 h window, each URL valid for at least 24 h more


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def amz_date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%dT%H%M%SZ")


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def window_start(seconds: float, window: int = DAY) -> int:
    return int(seconds) // window * window


def send(backend, key, policy, **kw):
    with Flask(__name__).test_request_context():
        return backend.send(key, policy, **kw)


def test_the_signer_reproduces_the_example_in_the_aws_documentation():
    # docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html ("An example").
    credentials = ReadOnlyCredentials(
        "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None
    )
    signed_at = int(datetime(2013, 5, 24, tzinfo=UTC).timestamp())
    url = sign_url_at(
        "https://examplebucket.s3.amazonaws.com/test.txt",
        credentials,
        region="us-east-1",
        signed_at=signed_at,
        expires=86400,
    )
    assert url == (
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )


def test_signing_again_at_botocores_own_time_gives_botocores_own_url(s3):
    """The re-signing changes only the time: the rest is botocore's, parameters included
    (moto does not check query signatures, so this is what proves them right)."""
    params = {
        "Bucket": "lms-media",
        "Key": "kursus/a/gambar ü (1).png",
        "ResponseCacheControl": PUBLIC.cache_control,
        "ResponseContentDisposition": "attachment; filename=\"a b\"; filename*=UTF-8''a%20b",
    }
    draft = s3.client.generate_presigned_url("get_object", Params=params, ExpiresIn=1234)
    signed_at = int(
        datetime.strptime(query(draft)["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    )
    again = sign_url_at(draft, s3.credentials(), region="us-east-1", signed_at=signed_at, expires=1234)
    assert again == draft


def test_public_urls_are_byte_identical_all_window_long_and_download(make_s3):
    clock = Clock(window_start(time.time()) + 100)
    s3 = make_s3(expires=TWO_DAYS, clock=clock)
    s3.save("kursus/a/1a2b-foto.jpg", b"\xff\xd8\xffjpeg", PUBLIC, "image/jpeg")
    first = send(s3, "kursus/a/1a2b-foto.jpg", PUBLIC)
    clock.now += 5
    second = send(s3, "kursus/a/1a2b-foto.jpg", PUBLIC)
    clock.now += DAY - 200  # the last minutes of the window
    last = send(s3, "kursus/a/1a2b-foto.jpg", PUBLIC)
    assert first.headers["Location"] == second.headers["Location"] == last.headers["Location"]
    signed = query(first.headers["Location"])
    assert signed["X-Amz-Date"] == amz_date(window_start(clock.now))
    assert signed["X-Amz-Expires"] == str(TWO_DAYS)
    for response in (first, second):
        fetched = requests.get(response.headers["Location"], timeout=10)
        assert fetched.status_code == 200
        assert fetched.content == b"\xff\xd8\xffjpeg"
        assert fetched.headers["Cache-Control"] == PUBLIC.cache_control
        assert fetched.headers["Content-Type"] == "image/jpeg"


def test_public_urls_do_not_change_from_one_second_to_the_next(make_s3):
    """With the real clock: a URL signed "now" would differ after a second."""
    s3 = make_s3(expires=TWO_DAYS)
    s3.save("kursus/a/x.png", b"png", PUBLIC, "image/png")
    for _attempt in range(3):
        before = window_start(time.time())
        first = s3.presigned_url("kursus/a/x.png", PUBLIC)
        time.sleep(1.1)
        second = s3.presigned_url("kursus/a/x.png", PUBLIC)
        if window_start(time.time()) == before:  # not across midnight UTC
            break
    assert first == second
    assert requests.get(second, timeout=10).content == b"png"


def test_the_next_window_gets_a_new_url(make_s3):
    clock = Clock(window_start(time.time()) - 10)
    s3 = make_s3(expires=TWO_DAYS, clock=clock)
    before = s3.presigned_url("kursus/a/x.png", PUBLIC)
    clock.now += 20
    after = s3.presigned_url("kursus/a/x.png", PUBLIC)
    assert before != after
    assert query(after)["X-Amz-Date"] == amz_date(window_start(clock.now))


def test_every_worker_and_thread_signs_the_same_url(make_s3):
    clock = Clock(window_start(time.time()) + 3600)
    backends = [make_s3(expires=TWO_DAYS, clock=clock) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        urls = set(pool.map(lambda i: backends[i % 2].presigned_url("kursus/a/x.png", PUBLIC), range(200)))
    assert len(urls) == 1


LIFETIMES = [600, 3600, 7200, DAY + 1, TWO_DAYS, SIGV4_MAX_EXPIRES]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expires=st.sampled_from(LIFETIMES), fraction=st.floats(min_value=0, max_value=0.999999))
def test_a_cached_redirect_never_outlives_its_url(make_s3, backends_by_lifetime, expires, fraction):
    if expires not in backends_by_lifetime:
        backends_by_lifetime[expires] = make_s3(expires=expires)
    s3 = backends_by_lifetime[expires]
    now = window_start(time.time(), s3.window) + fraction * s3.window
    url = s3.presigned_url("kursus/a/x.png", PUBLIC, now=now)
    signed_at = int(
        datetime.strptime(query(url)["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    )
    max_age = s3.redirect_max_age(PUBLIC, now)
    valid_until = signed_at + int(query(url)["X-Amz-Expires"])
    assert signed_at <= now
    assert now + max_age <= valid_until - REDIRECT_MARGIN + 1
    # ...and is worth keeping: at least half the URL's life is left when it is handed out.
    assert max_age >= expires - s3.window - REDIRECT_MARGIN - 1


@pytest.fixture
def backends_by_lifetime():
    return {}


def test_the_redirect_carries_its_max_age(make_s3):
    clock = Clock(window_start(time.time()) + 600)
    s3 = make_s3(expires=TWO_DAYS, clock=clock)
    response = send(s3, "kursus/a/x.png", PUBLIC)
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == f"private, max-age={TWO_DAYS - 600 - REDIRECT_MARGIN}"


@pytest.mark.parametrize("policy", [PRIVATE, PREVIEW])
def test_private_urls_expire_quickly_and_change_every_time(make_s3, policy):
    clock = Clock(time.time())
    s3 = make_s3(expires=TWO_DAYS, private_expires=45, clock=clock)
    s3.save("bukti/1/r.pdf", b"%PDF-1.4", policy, "application/pdf")
    first = send(s3, "bukti/1/r.pdf", policy, filename="bukti.pdf")
    clock.now += 3
    second = send(s3, "bukti/1/r.pdf", policy, filename="bukti.pdf")
    assert first.headers["Location"] != second.headers["Location"]
    assert first.headers["Cache-Control"] == "private, no-store"
    signed = query(second.headers["Location"])
    assert signed["X-Amz-Expires"] == "45"
    assert signed["X-Amz-Date"] == amz_date(int(clock.now))
    fetched = requests.get(second.headers["Location"], timeout=10)
    assert fetched.content == b"%PDF-1.4"
    assert fetched.headers["Cache-Control"] == policy.cache_control


def test_with_temporary_credentials_urls_are_signed_now_and_redirects_kept_briefly(make_s3, monkeypatch):
    """A session token's URL dies with the token, at a time the app cannot see."""
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-from-an-instance-role")
    clock = Clock(time.time())
    s3 = make_s3(expires=TWO_DAYS, clock=clock)
    assert not s3.url_is_stable(PUBLIC)
    url = s3.presigned_url("kursus/a/x.png", PUBLIC)
    assert query(url)["X-Amz-Date"] == amz_date(int(clock.now))
    assert query(url)["X-Amz-Security-Token"] == "token-from-an-instance-role"
    assert s3.redirect_max_age(PUBLIC, clock.now) == TEMPORARY_CREDENTIALS_MAX_AGE


def test_lifetimes_beyond_what_sigv4_allows_are_cut_to_seven_days(make_s3):
    s3 = make_s3(expires=30 * DAY, private_expires=30 * DAY)
    assert s3.expires == s3.private_expires == SIGV4_MAX_EXPIRES
    assert query(s3.presigned_url("kursus/a/x.png", PUBLIC))["X-Amz-Expires"] == str(SIGV4_MAX_EXPIRES)
