"""Fixtures of the mail tests: a real SMTP server on 127.0.0.1."""

from tests.mail.smtp import mail_send, smtp_port, smtp_server

__all__ = ["mail_send", "smtp_port", "smtp_server"]
