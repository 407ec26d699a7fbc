"""Reading the survey page as a phone's browser does: the form's fields, cookies and action."""

from __future__ import annotations

import random
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode

from citizenvoice.surveys import demo
from citizenvoice.surveys.models import QuestionKind


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
    """The urlencoded body of a phone that answers every scale and yes/no question, each at
    random (so about half report being asked for gifts, and most posts open a case)."""
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


#: The satisfaction of the office the benchmark's citizens visit (``surveys.demo``: 0 awful,
#: 1 excellent; the demo's offices range from 0.45 to 0.9, most between 0.55 and 0.8).
CITY_QUALITY = 0.7


@dataclass(frozen=True)
class FormQuestion:
    """A question as the page shows it: radios named ``q_<code>``, five levels or yes/no."""

    name: str
    code: str
    kind: QuestionKind


def questions(page: FormPage) -> list[FormQuestion]:
    return [
        FormQuestion(
            name, name[2:], QuestionKind.SCALE if len(set(choices)) == 5 else QuestionKind.YES_NO
        )
        for name, choices in page.radios.items()
        if name.startswith("q_")
    ]


def citizen_answers(page: FormPage, rng: random.Random, quality: float = CITY_QUALITY) -> bytes:
    """The urlencoded body of a citizen who rates as the demo's citizens do
    (``surveys.demo``) after a visit to an office of ``quality``: the overall level, the
    questions they answer, the service they came for, and now and then a comment or a phone
    number for a reply (with consent)."""
    overall = demo.citizen_level(rng, quality)
    comment = demo.citizen_comment(rng, overall)
    contact = demo.citizen_contact(rng, overall)
    offered = [value for value in page.selects.get("service", []) if value not in ("", "0")]
    service = demo.citizen_service(rng, offered)
    fields: list[tuple[str, str]] = [*page.hidden.items(), ("overall", str(overall))]
    fields += [
        (q.name, str(value)) for q, value in demo.citizen_answers(rng, overall, questions(page))
    ]
    fields.append(("service", service or "0"))
    texts = {"comment": comment or "", "contact_details": contact or ""}
    fields.extend((name, texts.get(name, "")) for name in page.texts)
    if contact:
        fields.append(("consent", "y"))
    return urlencode(fields).encode()
