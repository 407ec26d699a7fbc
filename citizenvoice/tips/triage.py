"""The criticality score of a tip (0–100), computed from what was reported. Pure computation.

The rule, shown to investigators on the list:

* 30 points when a figure or indicator is named (the claim can be checked against a number);
* 15 points when a service point is named (the claim can be checked on site);
* 25 points when evidence is attached;
* 10 points for a detailed account (400 characters or more);
* 5 points for each other tip on the same unit in the last 180 days, at most 20
  (independent reports that corroborate each other).

The total is capped at 100. Scores of 60 or more are "high", 30 or more "medium", else "low".
"""

from __future__ import annotations

from dataclasses import dataclass

DETAILED_CHARS = 400
CORROBORATION_DAYS = 180


@dataclass(frozen=True)
class TipFacts:
    figure_named: bool
    point_named: bool
    evidence_attached: bool
    text_length: int
    other_tips_on_unit: int


def criticality(facts: TipFacts) -> int:
    score = 0
    score += 30 if facts.figure_named else 0
    score += 15 if facts.point_named else 0
    score += 25 if facts.evidence_attached else 0
    score += 10 if facts.text_length >= DETAILED_CHARS else 0
    score += min(20, 5 * max(0, facts.other_tips_on_unit))
    return min(100, score)


def band(score: int) -> str:
    if score >= 60:
        return "high"
    if score >= 30:
        return "medium"
    return "low"
