"""`flask akun admin NIP`: how the first admin of an empty database gets in. The employee
is imported like everyone else; the command makes them an admin of the whole agency and
prints a one-time code, which they use at /aktivasi like any activation code."""

from __future__ import annotations

import re

from sqlalchemy import select

from lms.accounts.models import User
from lms.core.audit import AuditEntry
from lms.extensions import db
from tests.accounts.test_activation import NEW_NIP, activate, add_pegawai

CODE = re.compile(r"One-time code: ([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2})")


def test_the_command_makes_an_admin_whose_code_opens_the_account(app, client, runner, unit):
    add_pegawai(unit.id)
    result = runner.invoke(args=["akun", "admin", "19950610 202012 1 002"])
    assert result.exit_code == 0, result.output
    code = CODE.search(result.output).group(1)
    assert "/aktivasi" in result.output
    user = db.session.scalar(select(User).join(User.pegawai).where(User.pegawai_id.isnot(None)))
    db.session.refresh(user)
    assert user.is_admin and user.admin_unit_id is None and user.password_hash is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "akun.roles"))
    assert entry.actor_id is None and entry.after == {"is_admin": True}  # only what changed

    assert activate(client, NEW_NIP, code).status_code == 302
    assert client.get("/admin").status_code == 200


def test_an_unknown_nip_is_refused_and_nothing_is_written(app, runner, unit):
    result = runner.invoke(args=["akun", "admin", NEW_NIP])
    assert result.exit_code != 0 and "import the employees first" in result.output
    assert db.session.scalar(select(User.id)) is None
