"""One transaction per request, ended at the edge (as indico does).

Routes and services never commit. After the view has produced its response, the request
either commits (a successful write) or rolls back (an error, or any GET or HEAD: reading
never writes). Work outside the database that belongs to the transaction — a file saved
for a row, a file to delete once its row is gone — is tied to the outcome with
:func:`on_rollback` and :func:`after_commit`, so a failed request leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, request
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.core.errors import DATABASE_UNAVAILABLE, database_unavailable, render_error
from lms.extensions import db

log = logging.getLogger(__name__)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Ids per IN (...) list: well under every database's limit on bound parameters.
IN_LIST_SIZE = 5000


def chunked(items: list, size: int = IN_LIST_SIZE):
    """``items`` in slices of at most ``size``: bulk statements over thousands of ids or
    rows stay within the databases' limits on parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class WriteOnRead(RuntimeError):
    """A GET changed the database: a bug, refused loudly in tests."""


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed."""
    db.session.info.setdefault("after_commit", []).append(callback)


def on_rollback(callback: Callable[[], None]) -> None:
    """Run ``callback`` if the current transaction is rolled back (undo outside the database)."""
    db.session.info.setdefault("on_rollback", []).append(callback)


def _run(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("transaction callback failed")


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop("on_rollback", None)
    session.info.pop("wrote", None)
    _run(session.info.pop("after_commit", []))


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.nested or previous_transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    session.info.pop("after_commit", None)
    session.info.pop("wrote", None)
    _run(session.info.pop("on_rollback", []))


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, context) -> None:
    session.info["wrote"] = True


def _wrote(session: Session) -> bool:
    return bool(session.info.get("wrote") or session.new or session.dirty or session.deleted)


def init_transactions(app: Flask) -> None:
    @app.after_request
    def finish_transaction(response):
        session = db.session
        if request.method in READ_METHODS:
            if _wrote(session):
                log.error("%s %s tried to write to the database", request.method, request.path)
                session.rollback()
                if current_app.testing:
                    raise WriteOnRead(f"{request.method} {request.path} wrote to the database")
            else:
                session.rollback()
            return response
        if response.status_code >= 400:
            session.rollback()
            return response
        try:
            session.commit()
        except DATABASE_UNAVAILABLE:
            log.exception("commit failed: database unavailable")
            return _as_response(database_unavailable())
        except IntegrityError:
            # Two people changed the same thing at once and a constraint refused the second.
            log.warning(
                "commit refused by a constraint on %s %s", request.method, request.path, exc_info=True
            )
            session.rollback()
            return _as_response(render_error(409))
        return response


def _as_response(result):
    return current_app.make_response(result)
