"""Downloading a course to study it offline (GET /kursus/<slug>/luring.json,
lms.api.downloads).

- The package lists every file a device keeps: the course page, every module, their
  pictures, the offline quiz page while an attempt may be taken, the shared static files
  and the app's shell pages, each with its revision and its size as sent (> 0).
- Revisions change only with what a file shows: downloading again when nothing changed
  gives the same revisions; a module whose text changed gets a new revision, and the
  other modules keep theirs, so an update fetches only what changed.
- After a pass there is no offline attempt to take: the quiz page leaves the package,
  which says why.
- A whole shipped course costs at most 300 KB on the wire, and the size the learner is
  shown before downloading is honest (within a factor of 2 of what is fetched).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms.api import tokens
from tests.api.conftest import SLUG
from tests.conftest import KURSUS_ROOT, WRONG_ANSWERS

DOWNLOAD_BUDGET = 300_000


def revisions(package: dict) -> dict[str, str]:
    """Each file's revision, by its address without the fingerprint of a static file."""
    return {re.sub(r"\?v=.*", "", f["url"]): f["rev"] for f in package["files"]}


def test_the_package_lists_every_file_a_device_keeps(client, device, enrolled):
    package = device.download()

    urls = [f["url"] for f in package["files"]]
    course = f"/kursus/{SLUG}"
    assert urls[0] == package["url"] == course
    assert [m["url"] for m in package["modules"]] == [f"{course}/modul/pembuka", f"{course}/modul/penutup"]
    assert set(urls) >= {f"{course}/modul/pembuka", f"{course}/modul/penutup", f"{course}/kuis/luring"}
    assert package["quiz"] == f"{course}/kuis/luring" and package["quiz_note"] == ""
    assert [u for u in urls if u.startswith("/media/")] == [
        re.search(r'<img[^>]+src="([^"]+)"', client.get(f"{course}/modul/pembuka").get_data(as_text=True))[1]
    ]
    static = {re.sub(r"\?v=\w+$", "", u) for u in urls if u.startswith("/static/")}
    assert static == {"/static/app.css", "/static/offline.js", "/static/luring.js", "/static/quiz.js"}
    assert {"/", "/luring", "/luring/tanpa-jaringan"} <= set(urls)
    assert len(set(urls)) == len(urls)
    assert all(f["bytes"] > 0 and f["rev"] for f in package["files"])
    assert package["bytes"] == sum(f["bytes"] for f in package["files"])
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_package_carries_the_token_module_completions_are_sent_under(device, enrolled, course):
    token = tokens.read(device.download()["token"])
    assert (token.pegawai_id, token.kursus_id, token.version_id) == (enrolled.pegawai_id, course.id, None)


def test_only_a_learner_enrolled_may_download_the_course(client, login_as, course):
    assert client.get(f"/kursus/{SLUG}/luring.json").status_code == 302  # signed out: sign in first
    login_as("learner")
    assert client.get(f"/kursus/{SLUG}/luring.json").status_code == 403


def test_downloading_again_when_nothing_changed_gives_the_same_revisions(device, enrolled):
    first, again = device.download(), device.download()
    assert [(f["url"], f["rev"], f["bytes"]) for f in first["files"]] == [
        (f["url"], f["rev"], f["bytes"]) for f in again["files"]
    ]


def reimport(course_root: Path) -> None:
    from lms.catalog.importer import import_courses
    from lms.extensions import db

    import_courses([course_root / SLUG])
    db.session.commit()


def test_a_changed_module_alone_gets_a_new_revision(device, enrolled, course_root):
    before = revisions(device.download())
    module = course_root / SLUG / "02-penutup.md"
    module.write_text(module.read_text() + "\nSatu kalimat baru.\n", encoding="utf-8")
    reimport(course_root)

    after = revisions(device.download())

    changed = {url for url in before if after.get(url) != before[url]}
    assert f"/kursus/{SLUG}/modul/penutup" in changed
    assert changed <= {
        f"/kursus/{SLUG}/modul/penutup",
        f"/kursus/{SLUG}",
    }  # the course page shows the version


def test_a_changed_picture_is_a_new_file(device, enrolled, course_root):
    before = revisions(device.download())
    picture = course_root / SLUG / "media" / "gambar.svg"
    picture.write_text(picture.read_text().replace("<rect", '<rect fill="teal"'), encoding="utf-8")
    reimport(course_root)

    after = revisions(device.download())

    pictures = lambda revs: {u for u in revs if u.startswith("/media/")}  # noqa: E731
    assert pictures(after) and not pictures(after) & pictures(before)
    assert (
        after[f"/kursus/{SLUG}/modul/pembuka"] != before[f"/kursus/{SLUG}/modul/pembuka"]
    )  # it shows the new one
    assert after[f"/kursus/{SLUG}/modul/penutup"] == before[f"/kursus/{SLUG}/modul/penutup"]


def test_the_quiz_page_is_fetched_again_after_an_attempt(device, enrolled):
    before = revisions(device.download())
    device.results(device.attempt(device.quiz_token(), WRONG_ANSWERS))

    after = revisions(device.download())

    quiz = f"/kursus/{SLUG}/kuis/luring"
    assert after[quiz] != before[quiz]  # it tells the attempts left


def test_after_a_pass_the_package_has_no_quiz_page_and_says_why(device, enrolled):
    device.results(device.attempt(device.quiz_token()))

    package = device.download()

    assert package["quiz"] is None and package["quiz_note"]
    assert not [f for f in package["files"] if "/kuis/" in f["url"]]


# --- what a whole course costs ------------------------------------------------------------------


@pytest.fixture
def shipped(ctx):
    """The courses shipped in kursus/, imported as `flask kursus import` does."""
    from lms.catalog.importer import course_folders, import_courses
    from lms.catalog.models import Kursus
    from lms.extensions import db

    import_courses(course_folders(Path(KURSUS_ROOT)))
    db.session.commit()
    return list(db.session.scalars(db.select(Kursus).order_by(Kursus.slug)))


def fetched_bytes(client, package: dict) -> int:
    """What fetching every file of the package costs on the wire, compressed as sent."""
    total = 0
    for file in package["files"]:
        response = client.get(file["url"], headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, file["url"]
        total += len(response.data)
    return total


def test_every_shipped_course_downloads_in_300_kb_and_its_size_is_told_honestly(
    device, login_as, auth, shipped
):
    """Every course in kursus/, the largest included."""
    login_as("learner")
    assert len(shipped) == len([p for p in Path(KURSUS_ROOT).iterdir() if (p / "kursus.toml").is_file()])
    for kursus in shipped:
        auth.post(f"/kursus/{kursus.slug}/daftar")
        package = device.download(kursus.slug)

        measured = fetched_bytes(device.client, package)

        assert measured <= DOWNLOAD_BUDGET, f"{kursus.slug}: {measured} bytes"
        assert measured / 2 <= package["bytes"] <= measured * 2, (kursus.slug, package["bytes"], measured)
        assert len([f for f in package["files"] if "/modul/" in f["url"]]) == len(kursus.moduls)


def test_the_package_costs_the_same_queries_however_many_modules(client, device, enrolled, course_root):
    """The modules and their texts are read in one query; pictures' sizes come from the
    storage (once per picture: their keys carry their content's hash)."""
    from lms.catalog.importer import import_courses
    from lms.extensions import db
    from tests.conftest import count_queries

    def queries() -> int:
        with count_queries() as statements:
            assert client.get(f"/kursus/{SLUG}/luring.json").status_code == 200
        return len(statements)

    two = queries()
    folder = course_root / SLUG
    for number in range(3, 9):
        (folder / f"{number:02d}-bagian-{number}.md").write_text(f"# Bagian {number}\n\nTeks {number}.\n")
    import_courses([folder])
    db.session.commit()
    assert len(device.download()["modules"]) == 8
    assert queries() == two
    assert two <= 15
