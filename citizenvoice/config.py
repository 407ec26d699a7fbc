"""Settings: defaults, then ``instance/config.py``, then ``CITIZENVOICE_*`` variables."""

from __future__ import annotations

import os
from typing import Any

ENV_PREFIX = "CITIZENVOICE_"
_INT_SETTINGS = {
    "PROXY_COUNT",
    "WORKERS",
    "DEVICE_WINDOW_HOURS",
    "MIN_SAMPLE",
    "MAX_CONTENT_LENGTH",
    "IP_SALT_RETENTION_DAYS",
}
_BOOL_SETTINGS = {"DEBUG", "TESTING", "PRODUCTION", "SESSION_COOKIE_SECURE"}
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
        "SMTP_HOST": "",
        "SMTP_PORT": 25,
        "MAIL_FROM": "citizenvoice@localhost",
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
    if problems:
        raise ConfigError("; ".join(problems))
