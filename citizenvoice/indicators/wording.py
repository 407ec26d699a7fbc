"""Criteria in words, for the unit's rights page: "≥ 95 → 100; each point below → −5; …"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _


def _n(value: Any) -> str:
    return f"{float(value):g}"


def _linear(criteria: Mapping[str, Any], higher: bool) -> str:
    target, floor = _n(criteria["target"]), _n(criteria["floor"])
    step, per = _n(criteria["step"]), _n(criteria["per"])
    if higher:
        parts = [
            _("≥ %(target)s → 100", target=target),
            _("each %(per)s below → −%(step)s", per=per, step=step),
            _("below %(floor)s → 0", floor=floor),
        ]
    else:
        parts = [
            _("≤ %(target)s → 100", target=target),
            _("each %(per)s above → −%(step)s", per=per, step=step),
            _("above %(floor)s → 0", floor=floor),
        ]
    if criteria.get("stepwise"):
        parts.append(_("whole steps only"))
    return "; ".join(parts)


def _bands(bands: list[list[float]], higher: bool) -> str:
    ordered = sorted(bands, key=lambda band: band[0], reverse=higher)
    if higher:
        parts = [_("≥ %(t)s → %(s)s", t=_n(t), s=_n(s)) for t, s in ordered]
        parts.append(_("below %(floor)s → 0", floor=_n(ordered[-1][0])))
    else:
        parts = [_("≤ %(t)s → %(s)s", t=_n(t), s=_n(s)) for t, s in ordered]
        parts.append(_("above %(floor)s → 0", floor=_n(ordered[-1][0])))
    return "; ".join(parts)


def describe_criteria(criteria: Mapping[str, Any], direction: str) -> str:
    """The grading rule in one readable line."""
    higher = direction == "higher"
    kind = criteria.get("kind")
    try:
        if kind == "linear":
            return _linear(criteria, higher)
        if kind == "bands":
            return _bands(list(criteria["bands"]), higher)
    except (KeyError, TypeError, ValueError, IndexError):
        return _("(criteria not readable)")
    return _("The value is the score (0–100).")
