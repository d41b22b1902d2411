"""Email, when the agency has an SMTP server (``SMTP_HOST``). Without one nothing is
sent: activation codes are handed out on paper and reminders stay in the app."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def _message(to: str, subject: str, body: str) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = formataddr((config.get("SMTP_FROM_NAME") or "", config["SMTP_FROM"]))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=config["SMTP_FROM"].rpartition("@")[2] or None)
    message.set_content(body)
    return message


def _connect() -> smtplib.SMTP:
    config = current_app.config
    if config.get("SMTP_SSL"):
        return smtplib.SMTP_SSL(
            config["SMTP_HOST"],
            config["SMTP_PORT"],
            timeout=config["SMTP_TIMEOUT"],
            context=ssl.create_default_context(),
        )
    smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
    if config.get("SMTP_STARTTLS"):
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def send_mails(messages: list[tuple[str, str, str]]) -> list[bool]:
    """Send (to, subject, body) messages over one connection; for each, whether it was
    sent. A mail server that is down or refuses gives False (and a log line), never an
    error, so it never breaks the page or command that sends."""
    config = current_app.config
    sent = [False] * len(messages)
    if not config.get("SMTP_HOST") or not messages:
        return sent
    try:
        with _connect() as smtp:
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            for i, (to, subject, body) in enumerate(messages):
                if not to:
                    continue
                try:
                    smtp.send_message(_message(to, subject, body))
                    sent[i] = True
                except smtplib.SMTPRecipientsRefused as exc:
                    log.warning("mail to %s refused: %s", to, exc)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail not sent (%d of %d sent): %s", sum(sent), len(messages), exc)
    return sent


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send one plain-text message; False (and a log line) when it could not be sent."""
    return bool(to) and send_mails([(to, subject, body)])[0]
