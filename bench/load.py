"""Load scenario: learner pages of the LMS against a bare Flask page, on 127.0.0.1 only.

    .venv/bin/python bench/load.py [--seconds 10] [--threads 8] [--workers 2]

Builds a fresh SQLite database (or uses BENCH_DATABASE_URL), imports the competency
dictionaries and kursus/, creates the demo data, serves the LMS and bench/bare.py with
gunicorn, signs the demo learner in and requests each page from several threads for a
bounded time. Timings on a shared machine are noisy, so the result that matters is the
ratio to the bare page measured in the same run. Results are printed and written to
bench/results/.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LEARNER = ("199203152019032001", "demo12345")
PAGES = [
    "/",
    "/katalog",
    "/kursus/nilai-dasar-berakhlak",
    "/kursus/nilai-dasar-berakhlak/modul/mengenal-berakhlak",
    "/kursus/nilai-dasar-berakhlak/luring.json",
    "/luring",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def serve(app: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--no-control-socket",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
    )


def signed_in_opener(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/masuk").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "nip": LEARNER[0], "password": LEARNER[1]}).encode()
    opener.open(f"{base}/masuk", data=data).read()
    return opener


def hammer(url: str, opener, seconds: float, threads: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.time() + seconds

    def worker():
        nonlocal errors
        local, bad = [], 0
        while time.time() < stop and len(local) < 100_000:
            start = time.perf_counter()
            try:
                request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
                with opener.open(request, timeout=10) as response:
                    response.read()
                local.append(time.perf_counter() - start)
            except OSError:
                bad += 1
        with lock:
            latencies.extend(local)
            errors += bad

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "req_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}"),
        "STORAGE_LOCAL_ROOT": str(workdir / "storage"),
        "LOG_LEVEL": "WARNING",
    }
    dictionaries = [
        "lms/competencies/data/kamus-nasional.toml",
        "lms/competencies/data/teknis-dinkes-ntt.toml",
    ]
    for command in (
        ["db", "upgrade"],
        ["kompetensi", "import", *dictionaries],
        ["kursus", "import", "kursus"],
        ["demo"],
    ):
        done = subprocess.run(
            [str(BIN / "flask"), *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    lms_port, bare_port = free_port(), free_port()
    servers = [
        serve("wsgi:app", lms_port, args.workers, env),
        serve("bench.bare:app", bare_port, args.workers, env),
    ]
    try:
        lms, bare = f"http://127.0.0.1:{lms_port}", f"http://127.0.0.1:{bare_port}"
        wait_for(f"{lms}/healthz")
        wait_for(bare)
        results = {
            "bare flask page": hammer(bare + "/", urllib.request.build_opener(), args.seconds, args.threads)
        }
        opener = signed_in_opener(lms)
        for path in PAGES:
            results[path] = hammer(lms + path, opener, args.seconds, args.threads)
    finally:
        for server in servers:
            server.terminate()
            server.wait()

    base = results["bare flask page"]["req_per_s"]
    print(f"{'page':58} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}")
    for name, row in results.items():
        ratio = row["req_per_s"] / base if base else 0
        row["ratio_to_bare"] = round(ratio, 3)
        print(
            f"{name:58} {row['req_per_s']:>8} {ratio:>6.2f} {row['p50_ms']:>7} {row['p95_ms']:>7} {row['errors']:>6}"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"load-{stamp}.json").write_text(json.dumps({"args": vars(args), "results": results}, indent=2))


if __name__ == "__main__":
    main()
