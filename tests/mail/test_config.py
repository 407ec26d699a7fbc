"""SMTP settings: read from CITIZENVOICE_* variables with their types; production refuses to
send a password over an unencrypted connection to another host."""

from __future__ import annotations

import pytest

from citizenvoice.config import ConfigError, check_production, from_environment

STRONG = {"PRODUCTION": True, "SECRET_KEY": "k" * 16 + "0123456789abcdefgh", "WORKERS": 1}


def test_smtp_settings_come_from_the_environment_with_their_types() -> None:
    settings = from_environment(
        {
            "CITIZENVOICE_SMTP_HOST": "smtp.example.org",
            "CITIZENVOICE_SMTP_PORT": "587",
            "CITIZENVOICE_SMTP_STARTTLS": "yes",
            "CITIZENVOICE_SMTP_USER": "citizenvoice",
            "CITIZENVOICE_MAIL_MAX_ATTEMPTS": "3",
        }
    )
    assert settings == {
        "SMTP_HOST": "smtp.example.org",
        "SMTP_PORT": 587,
        "SMTP_STARTTLS": True,
        "SMTP_USER": "citizenvoice",
        "MAIL_MAX_ATTEMPTS": 3,
    }


def test_production_refuses_a_login_without_starttls_to_a_remote_server() -> None:
    remote = {**STRONG, "SMTP_HOST": "smtp.example.org", "SMTP_USER": "cv", "SMTP_PASSWORD": "x"}
    with pytest.raises(ConfigError, match="SMTP_STARTTLS must be on"):
        check_production(remote)
    check_production({**remote, "SMTP_STARTTLS": True})
    check_production({**remote, "SMTP_HOST": "127.0.0.1"})  # a local relay
    check_production({**STRONG, "SMTP_HOST": "smtp.example.org"})  # no login, no password
