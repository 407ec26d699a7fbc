"""Screening of free-text comments for personal data before anyone else reads them.

:func:`mask_personal_data` replaces each piece of personal data with a neutral token that
names its kind: ``[phone]``, ``[ID number]`` or ``[e-mail]``. The tokens are language
neutral on purpose; the template layer may translate them (e.g. ``[phone]`` → ``[电话]``).

What is masked:

- mainland-China mobile numbers: 11 digits starting ``1[3-9]``, optionally prefixed by
  ``+86``/``0086``/``(+86)`` and split by spaces or dashes (``138 0013 8000``);
- landlines with an area code: ``010-12345678``, ``(0755) 1234567``, ``021 6123 4567``;
- 18-character resident ID numbers (17 digits and a digit or ``X``) whose birth date is a real
  date between 1900 and 2099; the check digit is *not* required, since a mistyped ID number is
  still somebody's ID number;
- e-mail addresses;
- international numbers (``+44 20 7946 0958``, ``0044 …``) and long digit runs grouped like a
  phone number with one kind of separator (``415-555-2671``, ``06 12 34 56 78``): 10 to 15 digits.

What is left alone: ordinary numbers ("waited 45 minutes", "window 3", "2026", "200 yuan"),
dates, the 12345 hotline, and plain digit runs that match none of the shapes above (order or
case numbers that a caseworker needs).

Full-width digits and punctuation (``１３８００１３８０００``) are recognised; the text around a
match, Chinese or not, is kept exactly as written. Masking is idempotent.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

_FULL_WIDTH_OFFSET = 0xFEE0


class PersonalDataKind(enum.Enum):
    """A kind of personal data; the value is the token that replaces it."""

    EMAIL = "[e-mail]"
    ID_NUMBER = "[ID number]"
    PHONE = "[phone]"

    @property
    def mask(self) -> str:
        """The neutral token shown instead of the data."""
        return self.value


@dataclass(frozen=True)
class PersonalDataMatch:
    """Where a piece of personal data sits in the original text (``text[start:end]``)."""

    kind: PersonalDataKind
    start: int
    end: int


def _ascii_fold_table() -> dict[int, str]:
    """One-to-one character map, so positions in the folded text are positions in the original."""
    table = {code: chr(code - _FULL_WIDTH_OFFSET) for code in range(0xFF01, 0xFF5F)}
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63":
        table[ord(dash)] = "-"
    for space in "\u00a0\u2002\u2003\u2009\u202f\u3000":
        table[ord(space)] = " "
    return table


_FOLD = _ascii_fold_table()

_D = "[0-9]"
_NOT_DIGIT_BEFORE = r"(?<![0-9])"
_NOT_DIGIT_AFTER = r"(?![0-9])"

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z])"
)
_ID_NUMBER = re.compile(
    rf"{_NOT_DIGIT_BEFORE}[1-9]{_D}{{5}}(?P<year>(?:19|20){_D}{{2}})(?P<month>{_D}{{2}})"
    rf"(?P<day>{_D}{{2}}){_D}{{3}}[0-9Xx]{_NOT_DIGIT_AFTER}(?![A-Za-z])"
)
_MOBILE = re.compile(
    rf"(?:(?:\+|{_NOT_DIGIT_BEFORE}00)86[ -]?|\(\+?86\)[ -]?|{_NOT_DIGIT_BEFORE})"
    rf"1[3-9]{_D}(?:[ -]?{_D}){{8}}{_NOT_DIGIT_AFTER}"
)
_LANDLINE = re.compile(
    rf"(?:\(0(?:10|2{_D}|[3-9]{_D}{{2}})\)|{_NOT_DIGIT_BEFORE}0(?:10|2{_D}|[3-9]{_D}{{2}}))"
    rf"[ -]?[1-9]{_D}{{2,3}}[ -]?{_D}{{4}}{_NOT_DIGIT_AFTER}"
)
_INTERNATIONAL = re.compile(
    rf"(?:\+|{_NOT_DIGIT_BEFORE}00)[1-9]{_D}{{0,2}}(?:[ -]?\(?{_D}{{1,5}}+\)?){{2,6}}"
    rf"{_NOT_DIGIT_AFTER}"
)
_GROUPED_DIGITS = re.compile(
    rf"{_NOT_DIGIT_BEFORE}\(?{_D}{{2,5}}\)?(?P<sep>[ .-]){_D}{{2,5}}(?:(?P=sep){_D}{{2,5}}){{1,4}}"
    rf"{_NOT_DIGIT_AFTER}"
)
_MIN_PHONE_DIGITS = 10
_MAX_PHONE_DIGITS = 15
_MAX_PASSES = 5


def fold_to_ascii(text: str) -> str:
    """Full-width digits, letters and punctuation as ASCII; same length as ``text``."""
    return text.translate(_FOLD)


def find_personal_data(text: str) -> list[PersonalDataMatch]:
    """Non-overlapping matches of personal data in ``text``, leftmost and longest first."""
    folded = fold_to_ascii(text)
    candidates = [*_emails(folded), *_id_numbers(folded), *_phones(folded)]
    # Leftmost first; at one start the longest wins; at equal spans the more specific kind.
    order = list(PersonalDataKind)
    candidates.sort(key=lambda m: (m.start, -m.end, order.index(m.kind)))
    chosen: list[PersonalDataMatch] = []
    for match in candidates:
        if not chosen or match.start >= chosen[-1].end:
            chosen.append(match)
    return chosen


def has_personal_data(text: str) -> bool:
    """Whether ``text`` holds a phone number, ID number or e-mail address."""
    return bool(find_personal_data(text))


def mask_personal_data(text: str) -> str:
    """``text`` with each piece of personal data replaced by its kind's token (idempotent)."""
    for _ in range(_MAX_PASSES):
        masked = _mask_once(text)
        if masked == text:
            break
        text = masked
    return text


def is_valid_id_checksum(id_number: str) -> bool:
    """Whether an 18-character resident ID number carries the right check character."""
    folded = fold_to_ascii(id_number).upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", folded):
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(digit) * weight for digit, weight in zip(folded, weights, strict=False))
    return "10X98765432"[total % 11] == folded[17]


def _mask_once(text: str) -> str:
    pieces = []
    position = 0
    for match in find_personal_data(text):
        pieces += [text[position : match.start], match.kind.mask]
        position = match.end
    pieces.append(text[position:])
    return "".join(pieces)


def _emails(folded: str) -> list[PersonalDataMatch]:
    return [_match(PersonalDataKind.EMAIL, m) for m in _EMAIL.finditer(folded)]


def _id_numbers(folded: str) -> list[PersonalDataMatch]:
    found = []
    for m in _ID_NUMBER.finditer(folded):
        if _is_birth_date(int(m["year"]), int(m["month"]), int(m["day"])):
            found.append(_match(PersonalDataKind.ID_NUMBER, m))
    return found


def _phones(folded: str) -> list[PersonalDataMatch]:
    found = [_match(PersonalDataKind.PHONE, m) for m in _MOBILE.finditer(folded)]
    found += [_match(PersonalDataKind.PHONE, m) for m in _LANDLINE.finditer(folded)]
    for pattern in (_INTERNATIONAL, _GROUPED_DIGITS):
        for m in pattern.finditer(folded):
            digits = sum(ch.isdigit() for ch in m.group())
            if _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
                found.append(_match(PersonalDataKind.PHONE, m))
    return found


def _is_birth_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _match(kind: PersonalDataKind, m: re.Match[str]) -> PersonalDataMatch:
    return PersonalDataMatch(kind=kind, start=m.start(), end=m.end())
