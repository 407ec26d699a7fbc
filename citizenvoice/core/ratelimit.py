"""Keys for flask-limiter that never put a raw client address into the limiter storage."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request


def client_key() -> str:
    """A keyed hash of the client address (after ProxyFix, when configured)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    addr = (request.remote_addr or "unknown").encode()
    return "c:" + hmac.new(secret, addr, hashlib.sha256).hexdigest()[:32]


def keyed(value: str, purpose: str) -> str:
    """A keyed hash of any value (an account name, a device id) for use as a limiter key."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{purpose}:{digest[:32]}"
