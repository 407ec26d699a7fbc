"""Malformed input for every POST route: never a 5xx, never a row written for invalid input.

Every POST endpoint in ``app.url_map`` is exercised as the first persona the role matrix allows
(see ``conftest.PERSONA_PREFERENCE``) with the fixed corpus ``BODIES`` below (22 bodies). The form's
field names come from the rule's ``data`` and from the ``name=`` attributes of the page that the
same URL serves on GET.

Row checks (row counts of every table before/after, one query):
- bodies in ``INVALID`` (every field NUL-laden, 1 MB long, or not UTF-8) must write nothing at all;
- for any other body that did write rows, every new text value that contains one of our markers
  must be exactly a value we sent (no silent truncation or mangling) and no stored text may contain
  a NUL byte.
Excluded from the row checks: ``ip_salts`` (a daily salt created lazily on the first public request)
and ``audit_entries`` (follows the rows it records). Endpoints with no fields at all (pure action
buttons such as ``integrity_manage.scan`` or ``scoring_manage.compute``) are exempt from the
"nothing written" rule since no body can be invalid for them; they still must never 5xx.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from tests.access import World
from tests.hostile.conftest import (
    client_for,
    form_field_names,
    pick_persona,
    url_of,
)
from tests.test_role_matrix import RULES

RTL = "\u202eevil\u202c \u200f\u05e9\u05dc\u05d5\u05dd"
UNICODE = "名字 😀 Ω \u0301e\u0308 \ufeff"
MEGA = "A" * 1_000_000
MARKERS = ("\u202e", "😀", "名字", "\x00", "<script>")


def _all(fields: list[str], value: Any) -> MultiDict:
    return MultiDict([(f, value) for f in fields])


def _repeat(fields: list[str], base: dict[str, Any]) -> MultiDict:
    pairs = []
    for f in fields:
        pairs += [(f, base.get(f, "1")), (f, "2")]
    return MultiDict(pairs)


#: name -> builder(fields, base data) returning form data, or raw bytes as body.
BODIES: dict[str, Any] = {
    "missing": lambda fields, base: MultiDict(),
    "empty": lambda fields, base: _all(fields, ""),
    "whitespace": lambda fields, base: _all(fields, " \t\u3000\u00a0 "),
    "nul": lambda fields, base: _all(fields, "a\x00b"),
    "control": lambda fields, base: _all(fields, "\x01\x07\x1b[31m"),
    "megabyte": lambda fields, base: _all(fields, MEGA),
    "rtl": lambda fields, base: MultiDict({**base, **dict.fromkeys(fields[:1], RTL)}),
    "unicode": lambda fields, base: MultiDict({**base, **dict.fromkeys(fields[:1], UNICODE)}),
    "negative": lambda fields, base: _all(fields, "-1"),
    "huge_int": lambda fields, base: _all(fields, "9" * 40),
    "huge_negative": lambda fields, base: _all(fields, "-" + "9" * 40),
    "float_overflow": lambda fields, base: _all(fields, "1e309"),
    "nan": lambda fields, base: _all(fields, "NaN"),
    "bad_date": lambda fields, base: _all(fields, "2026-02-30"),
    "repeated": _repeat,
    "array_names": lambda fields, base: MultiDict([(f + "[]", "1") for f in fields]),
    "xss": lambda fields, base: _all(fields, "<script>alert(1)</script>"),
    "sql": lambda fields, base: _all(fields, "' OR 1=1 --"),
    "base_missing_one": lambda fields, base: MultiDict(dict(list(base.items())[1:])),
    "invalid_utf8": b"x=%FF%FE%00",
    "json_body": "json",
    "multipart_garbage": "multipart",
}
INVALID = {"nul", "megabyte", "invalid_utf8", "control"}
EXCLUDED_TABLES = {"ip_salts", "audit_entries"}


def post_endpoints() -> list[str]:
    from tests.conftest import BASE_CONFIG, create_app

    app = create_app({**BASE_CONFIG, "DATABASE_URL": "sqlite://"})
    return sorted({r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or set())})


#: Known defects in code still being written by its owners: xfail (not strict) until fixed.
#: Forms known to mishandle hostile input, with the reason (empty: none).
KNOWN_DEFECTS: dict[str, str] = {}

POST_ENDPOINTS = [
    pytest.param(e, marks=pytest.mark.xfail(reason=KNOWN_DEFECTS[e], strict=False))
    if e in KNOWN_DEFECTS
    else e
    for e in post_endpoints()
]


def _new_texts(app: Flask, before_max: dict[str, int]) -> list[tuple[str, str, str]]:
    """Text values of rows added since ``before_max`` (integer ``id`` tables only)."""
    from citizenvoice.extensions import db

    found = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in EXCLUDED_TABLES or "id" not in table.c:
                continue
            rows = conn.execute(
                table.select().where(table.c.id > before_max.get(table.name, 0))
            ).mappings()
            for row in rows:
                for column, value in row.items():
                    if isinstance(value, str):
                        found.append((table.name, column, value))
    return found


def _snapshot() -> tuple[dict[str, int], dict[str, int]]:
    """(rows per table, highest id per table), in one round trip."""
    from citizenvoice.extensions import db

    parts = []
    for t in db.metadata.sorted_tables:
        top = "COALESCE(MAX(id), 0)" if "id" in t.c else "0"
        parts.append(f"SELECT '{t.name}', COUNT(*), {top} FROM \"{t.name}\"")
    db.session.remove()
    with db.engine.connect() as conn:
        rows = list(conn.execute(text(" UNION ALL ".join(parts))))
    return {r[0]: int(r[1]) for r in rows}, {r[0]: int(r[2]) for r in rows}


def _send(client: Any, url: str, name: str, fields: list[str], base: dict[str, Any]) -> Any:
    body = BODIES[name]
    if isinstance(body, bytes):
        return client.post(
            url, data=body, content_type="application/x-www-form-urlencoded", buffered=True
        )
    if body == "json":
        return client.post(url, json={f: [{"$ne": None}] for f in fields} or {"x": None})
    if body == "multipart":
        from io import BytesIO

        data: dict[str, Any] = {f: (BytesIO(b"\x00\xff" * 100), "../../etc/passwd") for f in fields}
        data.setdefault("file", (BytesIO(b"\x89PNG\x00"), "a.exe"))
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=body(fields, base), buffered=True)


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_hostile_bodies(app: Flask, world: World, endpoint: str) -> None:
    if endpoint not in RULES:
        pytest.skip(f"{endpoint} is not in the role matrix yet (test_role_matrix fails for it)")
    rule = RULES[endpoint]
    persona = pick_persona(endpoint)
    url = url_of(app, world, endpoint)
    base = {k: str(v) for k, v in rule.data(world).items()}
    fields = list(base)
    probe = client_for(app, world, persona)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    if any("GET" in (r.methods or set()) for r in rules):
        page = probe.get(url)
        if page.status_code == 200 and page.mimetype == "text/html":
            fields += [f for f in form_field_names(page.get_data(as_text=True)) if f not in fields]
    failures = []
    snapshot = _snapshot()
    for name in BODIES:
        # A fresh login after logging out; otherwise one session serves every body.
        client = client_for(app, world, persona) if endpoint == "accounts.logout" else probe
        counts, max_ids = snapshot
        response = _send(client, url, name, fields, base)
        snapshot = _snapshot()
        if response.status_code >= 500:
            failures.append(f"{name}: HTTP {response.status_code}")
            continue
        after = snapshot[0]
        changed = {
            t: after[t] - counts[t]
            for t in after
            if after[t] != counts[t] and t not in EXCLUDED_TABLES
        }
        if not changed:
            continue
        if name in INVALID and fields:
            failures.append(f"{name}: HTTP {response.status_code} but wrote rows {changed}")
            continue
        sent = set(
            fields and [str(v) for v in BODIES[name](fields, base).values()]
            if callable(BODIES[name])
            else []
        )
        for table, column, value in _new_texts(app, max_ids):
            if "\x00" in value:
                failures.append(f"{name}: NUL stored in {table}.{column}")
            elif any(m in value for m in MARKERS) and not any(
                v == value or (any(m in v for m in MARKERS) and v in value) for v in sent
            ):
                # Equal to a value sent, or a document (a JSON payload) embedding one verbatim.
                failures.append(f"{name}: {table}.{column} stored {value[:60]!r}, not as sent")
    assert not failures, f"{endpoint} as {persona} at {url}:\n" + "\n".join(failures)
