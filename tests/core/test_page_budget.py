"""The budget for slow links, checked on every run: a learner page, with everything it
loads on a cold cache, stays under 15 KB compressed and 6 requests: its styles, scripts
and manifest (a module's own pictures aside; the service worker comes with the first
download, not with a page). Bodies only: tests/browser/test_page_budget.py measures the
same pages on the wire, headers included, in a throttled browser; see the README."""

import gzip
import re

import pytest

from tests.conftest import KURSUS_ROOT, NIPS

BUDGET_BYTES = 15_000
BUDGET_REQUESTS = 6
ASSET_RE = re.compile(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="([^"]+)"')


@pytest.fixture
def shipped(ctx):
    from pathlib import Path

    from lms.catalog.importer import course_folders, import_courses
    from lms.extensions import db

    import_courses(course_folders(Path(KURSUS_ROOT)))
    db.session.commit()


def cold_load(client, path):
    """Bytes and requests of a first visit: the page, its CSS, scripts and pictures
    (the favicon is fetched once per browser, not per page, so it is left out)."""
    accept = {"Accept-Encoding": "gzip"}
    page = client.get(path, headers=accept)
    assert page.status_code == 200, path
    assert page.headers["Content-Encoding"] == "gzip", path
    total, requests = len(page.data), 1
    for url in ASSET_RE.findall(gzip.decompress(page.data).decode()):
        if "favicon" in url or "/media/" in url:
            continue
        asset = client.get(url.replace("&amp;", "&"), headers=accept)
        assert asset.status_code == 200, url
        total += len(asset.data)
        requests += 1
    return total, requests


def learner_pages(client, auth):
    from lms.catalog.models import Kursus
    from lms.extensions import db

    auth.login(NIPS["learner"])
    paths = ["/", "/katalog"]
    for kursus in db.session.scalars(db.select(Kursus)):
        auth.post(f"/kursus/{kursus.slug}/daftar")
        paths += [f"/kursus/{kursus.slug}", f"/kursus/{kursus.slug}/kuis"]
        paths += [f"/kursus/{kursus.slug}/modul/{m.slug}" for m in kursus.moduls]
        start = auth.post(f"/kursus/{kursus.slug}/kuis/mulai")
        paths.append(start.headers["Location"])
    return paths


def test_every_learner_page_fits_the_slow_link_budget(client, auth, users, shipped):
    pages = learner_pages(client, auth)
    assert len(pages) > 15
    for path in pages:
        size, requests = cold_load(client, path)
        assert size <= BUDGET_BYTES, f"{path}: {size} bytes"
        assert requests <= BUDGET_REQUESTS, f"{path}: {requests} requests"


def test_the_login_page_fits_the_budget(client):
    size, requests = cold_load(client, "/masuk")
    assert size <= BUDGET_BYTES and requests <= BUDGET_REQUESTS
