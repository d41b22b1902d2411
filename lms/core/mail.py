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


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send one plain-text message; False (and a log line) when it could not be sent,
    so a mail server that is down never breaks the page or command that sends."""
    config = current_app.config
    if not config.get("SMTP_HOST") or not to:
        return False
    message = EmailMessage()
    message["From"] = formataddr((config.get("SMTP_FROM_NAME") or "", config["SMTP_FROM"]))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=config["SMTP_FROM"].rpartition("@")[2] or None)
    message.set_content(body)
    try:
        if config.get("SMTP_SSL"):
            connection = smtplib.SMTP_SSL(
                config["SMTP_HOST"],
                config["SMTP_PORT"],
                timeout=config["SMTP_TIMEOUT"],
                context=ssl.create_default_context(),
            )
        else:
            connection = smtplib.SMTP(
                config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]
            )
        with connection as smtp:
            if config.get("SMTP_STARTTLS") and not config.get("SMTP_SSL"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to %s not sent: %s", to, exc)
        return False
    return True
