"""``flask pengingat kirim``: the daily reminder run (for cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lms.core.mail import mail_configured
from lms.core.time import local_today, utcnow
from lms.extensions import db
from lms.notifications import services

pengingat = AppGroup("pengingat", help="Reminders: due dates, and email when SMTP is set.")


def _apply_rules(today) -> None:
    """The mandatory rules' daily pass first, so today's duties have their reminders."""
    from lms.progress.rules import apply_all

    apply_all(today=today)
    db.session.commit()
    click.echo("Mandatory rules applied.")


@pengingat.command("kirim")
@click.option("--dry-run", is_flag=True, help="Show what would be made and sent; change nothing.")
def kirim(dry_run: bool) -> None:
    """Make the due-soon and overdue reminders, then email every reminder not yet sent."""
    today = local_today()
    if dry_run:
        click.echo("Dry run: nothing is saved or sent (mandatory rules are not applied).")
    else:
        _apply_rules(today)
    made = services.make_due_reminders(today)
    click.echo(f"Reminders made: {made.due_soon} due soon, {made.overdue} overdue.")
    outgoing = services.to_email()
    if not mail_configured():
        click.echo("SMTP is not configured (SMTP_HOST): no email is sent; reminders stay in the app.")
    if dry_run:
        outgoing = outgoing if mail_configured() else []
        for message in outgoing:
            click.echo(f"would send to {message.to}: {message.subject}")
        click.echo(f"Emails that would be sent: {len(outgoing)}.")
        db.session.rollback()
        return
    db.session.commit()
    if mail_configured():
        _send_all(outgoing)


def _send_all(outgoing: list[services.Outgoing]) -> None:
    """Each reminder is marked emailed (and committed) before it is sent, so a second run
    at the same moment skips it; a mail that fails is unmarked for the next run."""
    sent = failed = taken = 0
    for message in outgoing:
        now = utcnow()
        if not services.claim(message.id, now):
            taken += 1
            continue
        db.session.commit()
        if services.send(message):
            sent += 1
        else:
            failed += 1
            services.release(message.id, now)
            db.session.commit()
    click.echo(f"Emails sent: {sent}, failed (tried again next run): {failed}, sent by another run: {taken}.")


def init_app(app) -> None:
    app.cli.add_command(pengingat)
