"""Reading the survey page as a phone's browser does: the form's fields, cookies and action."""

from __future__ import annotations

import random
from html.parser import HTMLParser
from urllib.parse import urlencode


class FormPage(HTMLParser):
    """The first ``<form method=post>`` of a page: its action, hidden values and choices."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.selects: dict[str, list[str]] = {}
        self.texts: list[str] = []
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self._in_form = False
        self._done = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and "stylesheet" in a.get("rel", "").split():
            self.stylesheets.append(a.get("href", ""))
        if tag == "script":
            self.scripts.append(a.get("src", "(inline)"))
        if tag == "form" and not self._done and a.get("method", "").lower() == "post":
            self._in_form = True
            self.action = a.get("action", "")
        if not self._in_form:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "hidden":
                self.hidden[name] = a.get("value", "")
            elif kind == "radio":
                self.radios.setdefault(name, []).append(a.get("value", ""))
            elif kind in ("text", "email", "tel"):
                self.texts.append(name)
        elif tag == "textarea" and name:
            self.texts.append(name)
        elif tag == "select" and name:
            self._select = name
            self.selects[name] = []
        elif tag == "option" and self._select is not None:
            self.selects[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def parse(html: bytes | str) -> FormPage:
    page = FormPage()
    page.feed(html.decode() if isinstance(html, bytes) else html)
    page.close()
    return page


def answers(page: FormPage, rng: random.Random) -> bytes:
    """The urlencoded body a citizen sends: every scale and yes/no question answered."""
    fields: list[tuple[str, str]] = list(page.hidden.items())
    for name, choices in page.radios.items():
        fields.append((name, rng.choice(choices)))
    for name, options in page.selects.items():
        fields.append((name, options[0] if options else ""))
    fields.extend((name, "") for name in page.texts)
    return urlencode(fields).encode()


def cookie_header(set_cookies: list[str]) -> str:
    """The Cookie header a browser sends back after these Set-Cookie headers."""
    pairs = [header.split(";", 1)[0].strip() for header in set_cookies]
    return "; ".join(p for p in pairs if "=" in p)
