"""Running requests truly at the same moment, for the race tests on PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import event

from lms.extensions import db

TIMEOUT = 30  # seconds any one parallel request may take before the test gives up on it


def together(app, *jobs: Callable):
    """Run each job in its own thread and app context (its own database session and
    connection), all released at one moment by a Barrier; the results in the order of the
    jobs. An exception in a job is raised here."""
    db.session.commit()  # the test's own session holds no transaction while they run
    barrier = threading.Barrier(len(jobs))

    def run(job):
        with app.app_context():
            try:
                barrier.wait(TIMEOUT)
                return job()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        results = [future.result(TIMEOUT) for future in futures]
    db.session.expire_all()
    return results


@contextmanager
def widened(matches: Callable[[str], bool], seconds: float):
    """Keep a transaction open ``seconds`` after it ran a statement that ``matches`` (with
    what it locked), so a parallel request meets it mid-way instead of after its commit."""

    def pause(conn, cursor, statement, parameters, context, executemany):
        if matches(statement.lstrip().upper()):
            time.sleep(seconds)

    event.listen(db.engine, "after_cursor_execute", pause)
    try:
        yield
    finally:
        event.remove(db.engine, "after_cursor_execute", pause)
