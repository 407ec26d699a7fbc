"""Encryption at rest for tips, and the keyed hash under which receipts are stored.

Pure computation: keys come in as plain settings, nothing here imports Flask or the database.

* Tip text, messages, notes and evidence files are encrypted with Fernet (AES-128-CBC with
  HMAC-SHA256) under a :class:`~cryptography.fernet.MultiFernet`: the first key encrypts, every key
  decrypts. Rotation: put a new key in ``TIPS_KEY``, move the old one to ``TIPS_OLD_KEYS``, run
  ``flask --app citizenvoice tips-rotate-key`` (everything is re-encrypted under the new key), then
  drop the old key.
* A Fernet token carries the time it was made. Tokens are made with the time rounded down to the
  day (:func:`day_start`), so ciphertexts reveal no more than the dates stored beside them.
* Receipts are stored as HMAC-SHA256 under ``TIPS_RECEIPT_KEY``; looking a receipt up by its hash
  compares keyed digests, so the lookup leaks nothing useful through timing.
* Empty keys are derived from ``SECRET_KEY`` with HKDF-SHA256 (development only; the production
  profile refuses to start without explicit keys).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "TipCrypto", "day_start"]

_SALT = b"citizenvoice-tips-v1"


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose).derive(
        secret.encode()
    )


def day_start(now: datetime | None = None) -> int:
    """Seconds since the epoch at 00:00 UTC of today (or of ``now``)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


def _split_keys(raw: Any) -> list[str]:
    if isinstance(raw, list | tuple):
        return [str(k).strip() for k in raw if str(k).strip()]
    return [k.strip() for k in str(raw or "").split(",") if k.strip()]


class TipCrypto:
    """The tip box's keys, built from the settings."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        secret = str(config.get("SECRET_KEY") or "")
        current = str(config.get("TIPS_KEY") or "").strip()
        if not current:
            current = base64.urlsafe_b64encode(_derive(secret, b"tips-encryption")).decode()
        self.keys = [current, *_split_keys(config.get("TIPS_OLD_KEYS"))]
        self._box = MultiFernet([Fernet(key.encode()) for key in self.keys])
        receipt_key = str(config.get("TIPS_RECEIPT_KEY") or "")
        self._receipt_key = (
            receipt_key.encode() if receipt_key else _derive(secret, b"tips-receipts")
        )
        self._form_key = _derive(secret + "|" + self.keys[0], b"tips-forms")

    # -- encryption ---------------------------------------------------------------------------

    def encrypt_bytes(self, data: bytes) -> bytes:
        return self._box.encrypt_at_time(data, day_start())

    def decrypt_bytes(self, token: bytes) -> bytes:
        return self._box.decrypt(token)

    def encrypt(self, text: str) -> str:
        return self.encrypt_bytes(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self.decrypt_bytes(token.encode("ascii")).decode("utf-8")

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt under the newest key (the token keeps its day-rounded time)."""
        return self._box.rotate(token)

    def is_current(self, token: bytes) -> bool:
        try:
            Fernet(self.keys[0].encode()).decrypt(token)
        except InvalidToken:
            return False
        return True

    # -- keyed hashes ---------------------------------------------------------------------------

    def receipt_hash(self, normalized_receipt: str) -> str:
        return hmac.new(
            self._receipt_key, normalized_receipt.encode("ascii"), hashlib.sha256
        ).hexdigest()

    def nonce_hash(self, nonce: str) -> str:
        return hmac.new(self._receipt_key, b"nonce:" + nonce.encode(), hashlib.sha256).hexdigest()

    def form_token(self, client_id: str) -> str:
        """The anti-forgery token of a browser's tip forms, bound to its tip cookie."""
        return hmac.new(self._form_key, b"csrf:" + client_id.encode(), hashlib.sha256).hexdigest()

    def limiter_key(self, client_id: str) -> str:
        """What the limiter storage sees of a browser: a keyed hash of its random cookie id."""
        digest = hmac.new(self._form_key, b"limit:" + client_id.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]
