"""Trainer scenario: a course's results page, its XLSX and item analysis, on PostgreSQL.

    .venv/bin/python bench/trainer.py [--learners 2000] [--people 8000] [--requests 50] [--keep]
                                      [--database-url URL] [--workers 2] [--explain]

Builds its own database (default postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench_trainer)
with bench/team.py's organisation and learning history (--people employees), then gives
the course "nilai-dasar-berakhlak" exactly --learners learners: enrolments, modules done,
one to three quiz attempts each graded with the real grading over its real questions
(the attempts of the first months on quiz version 1, later ones on version 2), their
graded items and chosen options, and completions for those who finished. The two other
shipped courses with a quiz get attempts of other people too, so the attempt tables hold
more than the measured course. A trainer owns the course.

Then it serves the LMS and bench/bare.py with gunicorn on 127.0.0.1, signs the trainer in
over HTTP and requests each URL --requests times from one client, as bench/team.py does
(its client, timing and percentile are reused); statements per request are counted
in-process. Results are printed and written to bench/results/. Exits non-zero if any
response is not 200.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the lms package lives one level up

from sqlalchemy import create_engine, delete, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import team  # noqa: E402
from bench.load import free_port, serve, wait_for  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench_trainer"
COURSE = "nilai-dasar-berakhlak"
OTHER_QUIZ_COURSES = ("keamanan-informasi-kantor", "standar-pelayanan-publik")
TRAINER_NIP = "198305172008012004"
TRAINER_PASSWORD = "bench-pengajar-2000"
URLS = (
    "/ampu",
    f"/ampu/{COURSE}/hasil",
    f"/ampu/{COURSE}/hasil?urut=score&halaman=10",
    f"/ampu/{COURSE}/hasil.xlsx",
    f"/ampu/{COURSE}/analisis",
    f"/ampu/{COURSE}/analisis?versi=1",
)
TARGETED = (f"/ampu/{COURSE}/hasil", f"/ampu/{COURSE}/hasil.xlsx")
TARGET_MS = 200
ATTEMPTS_WEIGHTS = ((1, 60), (2, 28), (3, 12))  # attempts per learner, weighted
VERSION_2_AFTER_DAYS = 120  # attempts started in the last 120 days are on version 2


# --- the data ----------------------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    """A random UUID from the seeded generator, so a rebuild makes the same rows."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _answer(rng: random.Random, question: dict, ability: float):
    """An answer a learner of ``ability`` (0..1) gives: right with that chance, else a
    plausible wrong one; sometimes none."""
    if rng.random() < 0.03:
        return None
    right = rng.random() < ability
    kind = question["type"]
    options = [o["id"] for o in question.get("options", [])]
    correct = [o["id"] for o in question.get("options", []) if o["correct"]]
    if kind == "single":
        return correct[0] if right else rng.choice([o for o in options if o not in correct] or options)
    if kind == "multiple":
        if right:
            return sorted(correct)
        picked = sorted({o for o in options if rng.random() < 0.5} or {options[0]})
        return picked if picked != sorted(correct) else sorted(correct[:1])
    if kind == "truefalse":
        return (
            ("true" if question["answer"] else "false")
            if right
            else ("false" if question["answer"] else "true")
        )
    if kind == "short":
        return question["answers"][0] if right else "tidak tahu"
    return None


def _graded(attempt_id: str, version, answers: dict, grading):
    """The item and choice rows of one submitted attempt, and its result."""
    result = grading.grade(version.questions, answers)
    items, choices = [], []
    for question in version.questions:
        graded = result.results[question["id"]]
        items.append(
            {
                "attempt_id": attempt_id,
                "question_id": question["id"],
                "kuis_version_id": version.id,
                "answered": graded.answered,
                "fraction": float(graded.points / graded.max_points) if graded.max_points else 0.0,
                "points": float(graded.points),
                "max_points": float(graded.max_points),
            }
        )
        chosen = grading.clean_answer(question, answers.get(question["id"]))
        if question["type"] in ("single", "multiple", "truefalse") and chosen is not None:
            for option_id in chosen if isinstance(chosen, list) else [chosen]:
                choices.append(
                    {
                        "attempt_id": attempt_id,
                        "question_id": question["id"],
                        "option_id": option_id,
                        "kuis_version_id": version.id,
                    }
                )
    return result, items, choices


def _second_version(kuis):
    """Version 2 of the quiz, as publishing a changed quiz makes (same questions here)."""
    from lms.extensions import db
    from lms.quizzes.models import KuisVersion

    first = kuis.current
    if first.number > 1:
        return kuis.versions[0], first
    second = KuisVersion(
        kuis_id=kuis.id,
        number=2,
        title=first.title,
        pass_mark=first.pass_mark,
        max_attempts=first.max_attempts,
        time_limit_minutes=first.time_limit_minutes,
        shuffle_questions=first.shuffle_questions,
        shuffle_options=first.shuffle_options,
        feedback=first.feedback,
        questions=first.questions,
        draw=[],
        content_hash=f"{first.content_hash[:56]}-bench-2",
    )
    db.session.add(second)
    db.session.flush()
    return first, second


def attempts_for(people: list[int], versions, rng: random.Random, now, grading):
    """Attempts (1–3 a learner, stopping at a pass) with their items and choices."""
    old, new = versions
    attempts, items, choices, best = [], [], [], {}
    sizes, weights = zip(*ATTEMPTS_WEIGHTS, strict=True)
    for pid in people:
        ability = min(0.97, max(0.15, rng.gauss(0.68, 0.17)))
        started = now - timedelta(days=rng.randint(1, 300), minutes=rng.randint(0, 600))
        for number in range(1, rng.choices(sizes, weights)[0] + 1):
            version = new if started > now - timedelta(days=VERSION_2_AFTER_DAYS) else old
            answers = {q["id"]: a for q in version.questions if (a := _answer(rng, q, ability)) is not None}
            attempt_id = _uuid(rng)
            result, rows, picked = _graded(attempt_id, version, answers, grading)
            passed = result.passed(version.pass_mark)
            attempts.append(
                {
                    "id": attempt_id,
                    "pegawai_id": pid,
                    "kuis_id": version.kuis_id,
                    "kuis_version_id": version.id,
                    "number": number,
                    "status": "submitted",
                    "started_at": started,
                    "deadline_at": started + timedelta(minutes=version.time_limit_minutes or 20),
                    "submitted_at": started + timedelta(minutes=rng.randint(4, 19)),
                    "layout": [
                        {"id": q["id"], "options": [o["id"] for o in q.get("options", [])]}
                        for q in version.questions
                    ],
                    "answers": answers,
                    "score": float(result.score),
                    "max_score": float(result.max_score),
                    "percent": result.percent,
                    "passed": passed,
                    "late": False,
                }
            )
            items += rows
            choices += picked
            best[pid] = max(best.get(pid, (0.0, False, started)), (result.percent, passed, started))
            if passed:
                break
            started += timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 12))
            started = min(started, now - timedelta(minutes=30))
            ability = min(0.97, ability + 0.08)
    return attempts, items, choices, best


def build_trainer_scenario(learners: int, seed: int) -> None:
    from lms.accounts.services import create_user
    from lms.catalog.models import Kursus, KursusPemilik, Modul
    from lms.core.time import utcnow
    from lms.extensions import db
    from lms.org.models import Pegawai
    from lms.progress.models import CourseCompletion, Enrolment, ModuleCompletion
    from lms.quizzes import grading
    from lms.quizzes.models import Attempt, AttemptChoice, AttemptItem, Kuis

    started = time.perf_counter()
    rng = random.Random(seed + 1)
    now = utcnow().replace(microsecond=0)
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == COURSE))
    kuis = db.session.scalar(select(Kuis).where(Kuis.kursus_id == kursus.id))
    # The course gets exactly ``learners`` learners: the generated history's go.
    db.session.execute(delete(Enrolment).where(Enrolment.kursus_id == kursus.id))
    db.session.execute(delete(CourseCompletion).where(CourseCompletion.kursus_id == kursus.id))
    everyone = list(
        db.session.scalars(select(Pegawai.id).where(Pegawai.aktif.is_(True)).order_by(Pegawai.id))
    )
    if len(everyone) < learners + 1:
        raise SystemExit(f"--people must be above --learners ({learners})")
    chosen = rng.sample(everyone, learners)
    versions = _second_version(kuis)
    attempts, items, choices, best = attempts_for(chosen, versions, rng, now, grading)
    moduls = list(
        db.session.scalars(select(Modul.id).where(Modul.kursus_id == kursus.id).order_by(Modul.position))
    )
    enrolments, done_modules, completions = [], [], []
    for pid in chosen:
        enrolled_at = now - timedelta(days=rng.randint(300, 420))
        enrolments.append(
            {
                "pegawai_id": pid,
                "kursus_id": kursus.id,
                "source": rng.choice(("self", "assigned", "mandatory")),
                "enrolled_at": enrolled_at,
            }
        )
        percent, passed, when = best.get(pid, (None, False, None))
        count = len(moduls) if passed or rng.random() < 0.6 else rng.randint(0, len(moduls))
        done_modules += [
            {
                "id": _uuid(rng),
                "pegawai_id": pid,
                "modul_id": m,
                "completed_at": enrolled_at + timedelta(days=1),
            }
            for m in moduls[:count]
        ]
        if passed and count == len(moduls):
            completions.append(
                {
                    "id": _uuid(rng),
                    "pegawai_id": pid,
                    "kursus_id": kursus.id,
                    "kursus_version": kursus.version,
                    "jp": kursus.jp,
                    "score": percent,
                    "completed_at": when + timedelta(minutes=20),
                }
            )
    db.session.execute(delete(ModuleCompletion).where(ModuleCompletion.modul_id.in_(moduls)))
    team.insert(Enrolment, enrolments)
    team.insert(ModuleCompletion, done_modules)
    team.insert(CourseCompletion, completions)
    team.insert(Attempt, attempts, chunk=2000)
    team.insert(AttemptItem, items)
    team.insert(AttemptChoice, choices)
    print(
        f"  {time.perf_counter() - started:6.1f}s  {COURSE}: {learners} learners, {len(attempts)} attempts, "
        f"{len(items)} graded items, {len(choices)} chosen options, {len(completions)} completions",
        flush=True,
    )
    # Background: other people's attempts at the other quizzes.
    background = 0
    for slug in OTHER_QUIZ_COURSES:
        other = db.session.scalar(
            select(Kuis).join(Kursus, Kursus.id == Kuis.kursus_id).where(Kursus.slug == slug)
        )
        if other is None:
            continue
        people = rng.sample(everyone, min(len(everyone) - 1, learners * 3 // 2))
        rows, more_items, more_choices, _best = attempts_for(
            people, (other.current, other.current), rng, now, grading
        )
        team.insert(Attempt, rows, chunk=2000)
        team.insert(AttemptItem, more_items)
        team.insert(AttemptChoice, more_choices)
        background += len(rows)
    print(f"  {time.perf_counter() - started:6.1f}s  {background} attempts at the other quizzes", flush=True)
    trainer = Pegawai(
        nip=TRAINER_NIP,
        nama="Widyaiswara Bench",
        status_asn="PNS",
        golongan="IV/a",
        unit_id=db.session.scalar(select(Pegawai.unit_id).limit(1)),
    )
    db.session.add(trainer)
    db.session.flush()
    create_user(trainer, TRAINER_PASSWORD, is_pengajar=True)
    db.session.add(KursusPemilik(kursus_id=kursus.id, pegawai_id=trainer.id))
    db.session.commit()


def has_scenario(learners: int) -> bool:
    from lms.catalog.models import Kursus
    from lms.extensions import db
    from lms.org.models import Pegawai
    from lms.progress.models import Enrolment

    try:
        if db.session.scalar(select(Pegawai.id).where(Pegawai.nip == TRAINER_NIP)) is None:
            return False
        kursus_id = db.session.scalar(select(Kursus.id).where(Kursus.slug == COURSE))
        return db.session.scalar(select(func.count()).where(Enrolment.kursus_id == kursus_id)) == learners
    except Exception:  # noqa: BLE001 - no schema yet: build it
        db.session.rollback()
        return False


def analyse(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")  # VACUUM refuses a transaction
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


# --- measuring ------------------------------------------------------------------------------------


def sign_in(client: team.Client) -> None:
    _, page, _ = client.request("/masuk")
    form = {
        "csrf_token": team.csrf_from(team.gzip_text(page)),
        "nip": TRAINER_NIP,
        "password": TRAINER_PASSWORD,
    }
    response, _, _ = client.request("/masuk", "POST", form)
    if response.status != 302 or "/masuk" in (response.getheader("Location") or ""):
        raise SystemExit(f"signing in as the trainer failed: {response.status}")


def count_queries(app, paths: list[str], runs: int = 3) -> dict[str, dict]:
    """SQL statements per request in-process, and their time (median of ``runs``)."""
    from lms.extensions import db

    with app.app_context():
        engine = db.engine
    recorded: list[tuple[str, object, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        recorded.append((statement, parameters, (time.perf_counter() - conn.info["bench_started"]) * 1000))

    client = app.test_client()
    page = client.get("/masuk").get_data(as_text=True)
    client.post(
        "/masuk", data={"csrf_token": team.csrf_from(page), "nip": TRAINER_NIP, "password": TRAINER_PASSWORD}
    )
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    found = {}
    try:
        for path in paths:
            per_run, wall = [], []
            for _ in range(runs):
                recorded.clear()
                start = time.perf_counter()
                response = client.get(path, headers={"Accept-Encoding": "gzip"})
                wall.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"in-process {path}: {response.status_code}")
                per_run.append(list(recorded))
            found[path] = {
                "queries": len(per_run[-1]),
                "sql_ms": round(statistics.median(sum(ms for *_, ms in run) for run in per_run), 1),
                "inproc_ms": round(statistics.median(wall), 1),
                "statements": per_run[-1],
            }
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_TRAINER_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--people", type=int, default=8_000)
    parser.add_argument("--learners", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it already has this data")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slow statements")
    args = parser.parse_args()

    from lms.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-trainer-"))
    team.ensure_database(args.database_url)
    app = team.make_app(args.database_url, workdir / "storage")
    with app.app_context():
        if args.keep and has_scenario(args.learners):
            print(f"keeping the scenario in {make_url(args.database_url).database}")
        else:
            print(
                f"building {args.people} people, a course of {args.learners}, in {make_url(args.database_url).database}"
            )
            # The organisation's head needs a team; a fifth of everyone will do.
            team.build(args.database_url, args.people, max(10, args.people // 5), args.seed)
            build_trainer_scenario(args.learners, args.seed)
            analyse(args.database_url)
        db.session.remove()
    counted = count_queries(app, list(URLS))

    env = {
        **os.environ,
        "LMS_ENV": "production",
        "SECRET_KEY": secrets.token_hex(16),
        "SESSION_COOKIE_SECURE": "false",  # plain HTTP on 127.0.0.1
        "DATABASE_URL": args.database_url,
        "STORAGE_LOCAL_ROOT": str(workdir / "storage"),
        "LOG_LEVEL": "WARNING",
    }
    lms_port, bare_port = free_port(), free_port()
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{lms_port}"
    servers = [
        serve("wsgi:app", lms_port, args.workers, env),
        serve("bench.bare:app", bare_port, args.workers, env),
    ]
    try:
        wait_for(f"http://127.0.0.1:{lms_port}/healthz")
        wait_for(f"http://127.0.0.1:{bare_port}/")
        results = {"bare flask page": team.measure(team.Client(bare_port), "/", args.requests)}
        client = team.Client(lms_port)
        sign_in(client)
        for path in URLS:
            results[path] = team.measure(client, path, args.requests)
    finally:
        for server in servers:
            server.terminate()
            server.wait()

    load = os.getloadavg()
    bare = results["bare flask page"]["p95_ms"]
    print(
        f"\n{'url':44} {'reqs':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/bare':>9} "
        f"{'bytes':>8} {'raw bytes':>10} {'queries':>8} {'sql ms':>7} {'inproc':>7}"
    )
    failed = False
    for name, row in results.items():
        row["p95_to_bare"] = round(row["p95_ms"] / bare, 1) if bare else None
        found = counted.get(name, {})
        row["queries"], row["sql_ms"] = found.get("queries", "-"), found.get("sql_ms", "-")
        row["inproc_ms"] = found.get("inproc_ms", "-")
        failed |= bool(row["not_200"])
        print(
            f"{name:44} {row['requests']:>5} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['max_ms']:>8} "
            f"{row['p95_to_bare']:>9} {row['bytes']:>8} {row['raw_bytes']:>10} {row['queries']:>8} "
            f"{row['sql_ms']:>7} {row['inproc_ms']:>7}"
            + (f"  NOT 200: {row['not_200']}" if row["not_200"] else "")
        )
    missed = [p for p in TARGETED if results[p]["p95_ms"] >= TARGET_MS]
    print(
        f"\nbare p95 {bare} ms. Target p95 < {TARGET_MS} ms for {', '.join(TARGETED)} "
        f"with {args.learners} learners: " + (f"MISSED by {', '.join(missed)}" if missed else "met")
    )
    print("sql ms and inproc (whole request in-process, test client): median of 3")
    print(
        f"load average (1, 5, 15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
    )

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"trainer-{stamp}.json").write_text(
        json.dumps({"args": vars(args), "load_average": load, "results": results}, indent=2)
    )
    if args.explain:
        team.explain(app, counted)
    if failed:
        print("some responses were not 200", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
