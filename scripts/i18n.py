"""Translation catalogue tools.

    python scripts/i18n.py missing            # msgids used in code or templates with no Chinese yet
    python scripts/i18n.py missing --po FILE  # write them as empty entries into FILE (to translate)

Messages are extracted from citizenvoice/**.py and templates/**.html; every domain keeps its
catalogue in citizenvoice/<domain>/translations/zh/LC_MESSAGES/messages.po and they are merged.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}


def used_messages() -> Iterator[tuple[str, str]]:
    """(msgid, where) for every translatable string in the code and the templates."""
    sources = [
        (ROOT / "citizenvoice", [("**.py", "python")]),
        (ROOT / "templates", [("**.html", "jinja2.ext:babel_extract")]),
    ]
    for directory, method_map in sources:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(directory), method_map, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                yield msgid, f"{directory.name}/{filename}:{lineno}"


def translated_messages() -> dict[str, str]:
    known: dict[str, str] = {}
    for po_path in sorted(
        (ROOT / "citizenvoice").glob("*/translations/zh/LC_MESSAGES/messages.po")
    ):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            text = message.string[0] if isinstance(message.string, tuple) else message.string
            if text and not message.fuzzy:
                known[msgid] = text
    return known


def missing() -> dict[str, str]:
    known = translated_messages()
    result: dict[str, str] = {}
    for msgid, where in used_messages():
        if msgid not in known:
            result.setdefault(msgid, where)
    return result


def main(argv: list[str]) -> int:
    gaps = missing()
    if "--po" in argv:
        target = Path(argv[argv.index("--po") + 1])
        catalog = Catalog(locale="zh")
        if target.exists():
            with target.open("rb") as handle:
                catalog = read_po(handle)
        for msgid, where in gaps.items():
            catalog.add(
                msgid, "", locations=[(where.rsplit(":", 1)[0], int(where.rsplit(":", 1)[1]))]
            )
        with target.open("wb") as handle:
            write_po(handle, catalog, width=100)
        print(f"{len(gaps)} message(s) added to {target}")
        return 0
    for msgid, where in gaps.items():
        print(f"{where}: {msgid!r}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
