"""Receipts: what a reporter keeps to follow a tip up. Pure computation.

A receipt is 20 bytes (160 bits) from :mod:`secrets`, written in RFC 4648 base32 as 8 groups of
4 characters (``ABCD-EFGH-…``). Reading it back forgives case, spaces, dashes and the look-alike
digits 0, 1 and 8 (read as O, I and B).
"""

from __future__ import annotations

import base64
import secrets

RECEIPT_BYTES = 20
RECEIPT_CHARS = 32
GROUP = 4
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def new_receipt() -> str:
    """A fresh receipt, grouped for reading (8 groups of 4 characters)."""
    raw = base64.b32encode(secrets.token_bytes(RECEIPT_BYTES)).decode("ascii")
    return group(raw)


def group(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def normalize(text: str) -> str | None:
    """The 32 characters of a receipt as typed, or None if it cannot be one."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\r\n").translate(_LOOKALIKES)
    if len(cleaned) != RECEIPT_CHARS or not set(cleaned) <= _ALPHABET:
        return None
    return cleaned
