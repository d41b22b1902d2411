"""``flask aturan terapkan``: apply every active mandatory training rule (run daily by cron)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

aturan_cli = AppGroup("aturan", help="Mandatory training rules (aturan wajib).")


@aturan_cli.command("terapkan")
@click.option(
    "--tanggal",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Apply as on this day (YYYY-MM-DD) instead of today in the agency's zone.",
)
def apply_command(day):
    """Apply every active rule: open new yearly cycles, enrol newcomers, close the duties
    of people who no longer match. Running it twice changes nothing the second time."""
    from lms.extensions import db
    from lms.progress import rules
    from lms.progress.models import AturanWajib

    today: date | None = day.date() if day else None
    outcomes = rules.apply_all(today=today)
    names = dict(db.session.execute(db.select(AturanWajib.id, AturanWajib.nama)).all())
    total = rules.ApplyOutcome()
    for rule_id, outcome in outcomes.items():
        total.add(outcome)
        if outcome.changed:
            click.echo(f"{names.get(rule_id, rule_id)}: {_line(outcome)}")
    db.session.commit()
    click.echo(f"{len(outcomes)} active rule(s); {_line(total)}")


def _line(outcome) -> str:
    return (
        f"{outcome.enrolled} enrolled ({outcome.renewed} renewed for a new year), "
        f"{outcome.already_done} already done, {outcome.closed} closed, {outcome.updated} due dates moved"
    )


def init_app(app) -> None:
    app.cli.add_command(aturan_cli)
