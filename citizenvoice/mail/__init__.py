"""E-mail through SMTP: an outbox written with the event, sent by ``flask mail-send``."""
