"""Settings: defaults, then ``instance/config.py``, then ``CITIZENVOICE_*`` variables."""

from __future__ import annotations

import os
from typing import Any

ENV_PREFIX = "CITIZENVOICE_"
_INT_SETTINGS = {
    "PROXY_COUNT",
    "TIPS_RETENTION_DAYS",
    "TIPS_REMINDER_DAYS",
    "TIPS_MAX_FILE_BYTES",
    "WORKERS",
    "DEVICE_WINDOW_HOURS",
    "MIN_SAMPLE",
    "MAX_CONTENT_LENGTH",
    "IP_SALT_RETENTION_DAYS",
    "SMTP_PORT",
    "SMTP_TIMEOUT",
    "MAIL_MAX_ATTEMPTS",
}
_BOOL_SETTINGS = {"DEBUG", "TESTING", "PRODUCTION", "SESSION_COOKIE_SECURE", "SMTP_STARTTLS"}
WEAK_SECRETS = {"", "dev", "change-me", "secret", "dev-only-not-secret"}


class ConfigError(RuntimeError):
    """The configuration is unsafe or inconsistent; the app refuses to start."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Settings that make ``make run`` work with nothing installed."""
    return {
        "SECRET_KEY": "dev-only-not-secret",
        "DATABASE_URL": "sqlite:///" + os.path.join(instance_path, "citizenvoice.sqlite"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "PRODUCTION": False,
        "WORKERS": 1,
        "PROXY_COUNT": 0,
        "BASE_URL": "http://127.0.0.1:5000",
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "DEVICE_WINDOW_HOURS": 24,
        "MIN_SAMPLE": 30,
        "IP_SALT_RETENTION_DAYS": 30,
        "PASSWORD_HASH_METHOD": "scrypt",
        "UPLOAD_FOLDER": os.path.join(instance_path, "uploads"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ["en", "zh"],
        # E-mail (citizenvoice/mail). With SMTP_HOST empty no e-mail is written at all; when set,
        # notifications to staff accounts with an address and private replies to citizens who
        # left an e-mail address go into an outbox that ``flask mail-send`` sends (run it
        # periodically). SMTP_STARTTLS upgrades the connection before SMTP_USER logs in;
        # a refused message is tried MAIL_MAX_ATTEMPTS times in all.
        "SMTP_HOST": "",
        "SMTP_PORT": 25,
        "SMTP_USER": "",
        "SMTP_PASSWORD": "",
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT": 30,
        "MAIL_FROM": "citizenvoice@localhost",
        "MAIL_MAX_ATTEMPTS": 5,
        # Anonymous tips (citizenvoice/tips). TIPS_KEY is a Fernet key (make one with
        # ``Fernet.generate_key()`` from the ``cryptography`` package) that encrypts
        # tip text, messages, notes and files; TIPS_OLD_KEYS lists earlier keys,
        # comma-separated, still accepted for reading until ``flask tips-rotate-key`` has
        # re-encrypted everything. TIPS_RECEIPT_KEY keys the HMAC under which receipts are stored
        # (never rotate it: stored receipts would stop matching). Empty values are derived for
        # development from SECRET_KEY with HKDF-SHA256; production requires explicit values.
        "TIPS_KEY": "",
        "TIPS_OLD_KEYS": "",
        "TIPS_RECEIPT_KEY": "",
        "TIPS_RETENTION_DAYS": 365,
        "TIPS_REMINDER_DAYS": 14,
        "TIPS_MAX_FILE_BYTES": 5 * 1024 * 1024,
        "TIPS_FOLLOWUP_LIMIT": "10 per hour",
        "TIPS_FOLLOWUP_GLOBAL_LIMIT": "600 per minute",
        "TIPS_SUBMIT_LIMIT": "20 per hour",
        "TIPS_SUBMIT_GLOBAL_LIMIT": "600 per hour",
    }


def from_environment(environ: dict[str, str]) -> dict[str, Any]:
    """Read ``CITIZENVOICE_*`` variables, typed by name."""
    settings: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :]
        if key in _INT_SETTINGS:
            settings[key] = int(raw)
        elif key in _BOOL_SETTINGS:
            settings[key] = raw.strip().lower() in {"1", "true", "yes", "on"}
        else:
            settings[key] = raw
    return settings


def check_production(config: dict[str, Any]) -> None:
    """Refuse a production start with DEBUG on, a weak secret or unshared rate limits."""
    if not config.get("PRODUCTION"):
        return
    problems = []
    if config.get("DEBUG"):
        problems.append("DEBUG must be off in production")
    secret = str(config.get("SECRET_KEY") or "")
    if secret in WEAK_SECRETS or len(secret) < 32 or len(set(secret)) < 10:
        problems.append("SECRET_KEY must be a random string of at least 32 characters")
    workers = int(config.get("WORKERS") or 1)
    if workers > 1 and str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory"):
        problems.append(
            "with more than one worker, RATELIMIT_STORAGE_URI must be shared storage (redis://…)"
        )
    # The tip keys are checked whenever the tip settings are present (always in create_app,
    # which merges the defaults first): production never derives them from SECRET_KEY.
    if "TIPS_KEY" in config and not str(config.get("TIPS_KEY") or ""):
        problems.append("TIPS_KEY must be set to a Fernet key (tip encryption)")
    if "TIPS_RECEIPT_KEY" in config and len(str(config.get("TIPS_RECEIPT_KEY") or "")) < 32:
        problems.append("TIPS_RECEIPT_KEY must be a random string of at least 32 characters")
    is_local_smtp = str(config.get("SMTP_HOST") or "") in {"localhost", "127.0.0.1", "::1"}
    if config.get("SMTP_USER") and not config.get("SMTP_STARTTLS") and not is_local_smtp:
        problems.append("SMTP_STARTTLS must be on when SMTP_USER logs in to a remote server")
    if problems:
        raise ConfigError("; ".join(problems))
