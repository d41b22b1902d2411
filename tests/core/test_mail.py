"""Mail goes out only when SMTP is configured, and a server that is down breaks nothing."""

from lms.core.mail import mail_configured, send_mail


def test_without_smtp_nothing_is_sent(ctx):
    assert not mail_configured()
    assert send_mail("a@example.go.id", "Subject", "Body") is False


def test_a_message_reaches_the_smtp_server(ctx, smtp_server):
    assert send_mail("pegawai@example.go.id", "Kode aktivasi", "Kode Anda: ABCD-EFGH") is True
    [message] = smtp_server.to("pegawai@example.go.id")
    assert message["Subject"] == "Kode aktivasi"
    assert "ABCD-EFGH" in message.get_payload(decode=True).decode()


def test_a_server_that_does_not_answer_gives_false_not_an_error(app, ctx):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TIMEOUT=2)
    try:
        assert send_mail("a@example.go.id", "Subject", "Body") is False
    finally:
        app.config.update(SMTP_HOST="")
