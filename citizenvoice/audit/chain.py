"""Pure hash-chain functions: canonical payloads, entry hashes and chain verification."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64


def plain(value: Any) -> Any:
    """A JSON-safe form of a column value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def canonical(data: Mapping[str, Any]) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=plain
    )


def entry_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + payload).encode()).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    seq: int
    payload: str
    prev_hash: str
    hash: str
    #: The queryable columns, which must agree with the payload.
    columns: Mapping[str, Any]


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    head: str = GENESIS


def verify_chain(entries: Iterable[StoredEntry]) -> ChainReport:
    """Walk entries in ``seq`` order and report the first link that does not hold."""
    prev, expected_seq, checked = GENESIS, 1, 0
    for entry in entries:
        problem = _check_entry(entry, prev, expected_seq)
        if problem:
            return ChainReport(False, checked, entry.seq, problem, prev)
        prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    return ChainReport(True, checked, head=prev)


def _check_entry(entry: StoredEntry, prev: str, expected_seq: int) -> str | None:
    if entry.seq != expected_seq:
        return f"entry {expected_seq} is missing (found {entry.seq})"
    if entry.prev_hash != prev:
        return "does not link to the previous entry"
    if entry_hash(entry.prev_hash, entry.payload) != entry.hash:
        return "content does not match its hash"
    try:
        data = json.loads(entry.payload)
    except ValueError:
        return "payload is not valid JSON"
    for name, value in entry.columns.items():
        if data.get(name) != plain(value):
            return f"column {name} differs from the hashed payload"
    return None
