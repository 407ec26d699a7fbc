"""Merge translations from a Python mapping into a domain's catalogue.

    python scripts/write_po.py citizenvoice/<domain> FILE.py

FILE.py defines ``T = {msgid: msgstr}`` (a 1-tuple msgstr for plural messages) and optionally
``PLURALS = {msgid: msgid_plural}``. Existing entries are kept unless FILE.py changes them.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def main(domain: str, source: str) -> None:
    data = runpy.run_path(source)
    target = Path(domain) / "translations/zh/LC_MESSAGES/messages.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(
        locale="zh",
        project="CitizenVoice",
        version="1",
        charset="utf-8",
        copyright_holder="CitizenVoice",
        msgid_bugs_address="citizenvoice@localhost",
        last_translator="CitizenVoice",
        language_team="CitizenVoice",
        fuzzy=False,
    )
    if target.exists():
        with target.open("rb") as handle:
            catalog = read_po(handle)
    catalog.fuzzy = False
    plurals = data.get("PLURALS", {})
    for msgid, msgstr in data["T"].items():
        if isinstance(msgstr, tuple):
            catalog.add((msgid, plurals[msgid]), msgstr)
        else:
            catalog.add(msgid, msgstr)
    with target.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, omit_header=False)
    print(f"{len(data['T'])} message(s) written to {target}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
