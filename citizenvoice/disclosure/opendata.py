"""The open data sets: stable field names, types and descriptions (the data dictionary).

Everything the API publishes is listed here; the OpenAPI document, the dictionary endpoint
and the CSV column order are all generated from these definitions, so they cannot drift apart.
Field descriptions are documentation of the data, kept in English like the field names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Months with fewer counted ratings than this at a service point publish only the count.
MIN_CELL = 5


@dataclass(frozen=True)
class Field:
    name: str
    #: JSON Schema type: "string", "integer", "number" or "boolean"
    type: str
    description: str
    nullable: bool = False
    format: str | None = None

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": [self.type, "null"] if self.nullable else self.type,
            "description": self.description,
        }
        if self.format:
            schema["format"] = self.format
        return schema


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "title": self.title,
            "description": self.description,
            "properties": {f.name: f.schema() for f in self.fields},
            "required": [f.name for f in self.fields],
            "additionalProperties": False,
        }

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


def _s(name: str, description: str, nullable: bool = False, fmt: str | None = None) -> Field:
    return Field(name, "string", description, nullable, fmt)


def _i(name: str, description: str, nullable: bool = False) -> Field:
    return Field(name, "integer", description, nullable)


def _n(name: str, description: str, nullable: bool = True) -> Field:
    return Field(name, "number", description, nullable)


UNIT_CODE = _s("unit_code", "Code of the unit (stable; use it to join data sets).")
CYCLE_CODE = _s("cycle_code", "Code of the evaluation cycle, e.g. 2026-q3.")
VERSION = _i("version", "Publication version: 1 for the first publication, +1 per correction.")

UNITS = Dataset(
    "units",
    "Unit",
    "An evaluated organisation (department, bureau, district government); units form a tree.",
    (
        _s("code", "Stable code of the unit."),
        _s("name", "Name in English."),
        _s("name_zh", "Name in Simplified Chinese.", nullable=True),
        _s("kind", "government, department, bureau, district or office."),
        _s("parent_code", "Code of the parent unit; null at the top of the tree.", nullable=True),
    ),
)
SERVICES = Dataset(
    "services",
    "Service",
    "An item of the service catalogue, offered at service points.",
    (
        _s("code", "Stable code of the service."),
        _s("name", "Name in English."),
        _s("name_zh", "Name in Simplified Chinese.", nullable=True),
    ),
)
POINTS = Dataset(
    "service_points",
    "Service point",
    "A physical place of service (office, window, counter) belonging to a unit.",
    (
        _s("code", "Stable code of the service point."),
        _s("name", "Name in English."),
        _s("name_zh", "Name in Simplified Chinese.", nullable=True),
        UNIT_CODE,
        _s("address", "Street address as published by the unit."),
        _s("services", "Codes of the services offered here, separated by single spaces."),
        _n("latitude", "WGS 84 latitude in degrees, when known."),
        _n("longitude", "WGS 84 longitude in degrees, when known."),
    ),
)
CYCLES = Dataset(
    "cycles",
    "Published cycle",
    "An evaluation period whose results are published. Unpublished cycles are never listed.",
    (
        _s("code", "Code of the cycle."),
        _s("name", "Name in English."),
        _s("name_zh", "Name in Simplified Chinese.", nullable=True),
        _s("kind", "quarter or year."),
        _s("period_start", "First day of the period.", fmt="date"),
        _s("period_end", "Last day of the period.", fmt="date"),
        _i("latest_version", "The latest publication version of the cycle."),
        _s("published_at", "When the latest version was published (UTC).", fmt="date-time"),
        _s("sha256", "SHA-256 of the latest version's snapshot."),
    ),
)
RESULTS = Dataset(
    "results",
    "Unit result",
    "A unit's published total, interval and grade in a cycle (one publication version).",
    (
        CYCLE_CODE,
        VERSION,
        UNIT_CODE,
        _s("unit_name", "Name of the unit in English, as published."),
        _s("unit_name_zh", "Name of the unit in Simplified Chinese, as published.", nullable=True),
        _n("total", "Total score 0-100; null when every branch had insufficient data."),
        _n("total_lower", "Lower bound of the total's 95% interval."),
        _n("total_upper", "Upper bound of the total's 95% interval."),
        _s(
            "grade",
            "excellent, good, satisfactory or needs_improvement; null without a total.",
            nullable=True,
        ),
        _n("citizen_index", "Citizen satisfaction index 0-100 over all the unit's service points."),
        _n("citizen_lower", "Lower bound of the satisfaction index's 95% Wilson interval."),
        _n("citizen_upper", "Upper bound of the satisfaction index's 95% Wilson interval."),
        _n("internal_score", "Weighted mean of the internally evaluated indicators' scores."),
        _i("ratings_used", "Counted (unflagged) ratings behind the satisfaction index."),
        _i("ratings_flagged", "Ratings held out of the figures by an open or confirmed flag."),
        _i("evaluators", "Distinct internal evaluators whose evaluations count."),
        Field(
            "is_divergent",
            "boolean",
            "True when internal evaluations exceed citizen satisfaction by more than the margin.",
        ),
    ),
)
INDICATORS = Dataset(
    "indicator_results",
    "Indicator result",
    "A unit's published value and score for one node (indicator or category) of the tree.",
    (
        CYCLE_CODE,
        VERSION,
        UNIT_CODE,
        _s("indicator_code", "Code of the indicator or category within the cycle."),
        _s("parent_code", "Code of the parent category; null at the top.", nullable=True),
        _s("kind", "indicator or category."),
        _s("indicator_name", "Name of the node in English."),
        _s(
            "data_source",
            "citizen_rating, internal_evaluation, self_reported or inspection_verified; "
            "null for categories.",
            nullable=True,
        ),
        _n("weight", "Weight in percent of the parent (as set in the indicator system)."),
        _n("value", "Raw value before the criteria; null for categories or insufficient data."),
        _n("score", "Score 0-100 after the criteria; null for insufficient data."),
        _n("lower", "Lower bound of the score's 95% interval (citizen indicators)."),
        _n("upper", "Upper bound of the score's 95% interval (citizen indicators)."),
        _n("effective_weight", "Share among siblings after redistributing missing siblings."),
        _n("global_weight", "Share of the unit's total, 0 to 1."),
        _i("ratings_used", "Counted ratings behind a citizen indicator."),
        _i("ratings_flagged", "Ratings held out by flags for a citizen indicator."),
        _i("evaluators", "Internal evaluators behind an internally evaluated indicator."),
        _s("note", "Why there is no value (small_sample, no_evaluations, no_figure, …)."),
    ),
)
PUBLICATIONS = Dataset(
    "publications",
    "Publication",
    "One publication or correction of a cycle's results, with its snapshot hash.",
    (
        CYCLE_CODE,
        VERSION,
        _s("published_at", "When it was published (UTC).", fmt="date-time"),
        _s("reason", "Why the results were corrected; empty for version 1."),
        _s("sha256", "SHA-256 of the snapshot bytes served at snapshot_url."),
        _i("audit_seq", "Sequence number of the audit chain entry that recorded it.", True),
        _s("audit_hash", "Hash of that audit chain entry.", nullable=True),
        _s("snapshot_url", "Where to download the snapshot exactly as stored.", fmt="uri"),
    ),
)
AGGREGATES = Dataset(
    "rating_aggregates",
    "Monthly rating aggregate",
    "Counted ratings of one service point in one month (UTC), from the daily rollups. "
    f"Months with fewer than {MIN_CELL} ratings publish only the count. Individual ratings "
    "and comments are never published here.",
    (
        _s("point_code", "Code of the service point."),
        UNIT_CODE,
        _s("month", "The month, YYYY-MM."),
        _i("ratings", "Counted (unflagged) ratings."),
        _i("verified", f"Ratings given with a single-use ticket; null below {MIN_CELL}.", True),
        _i("very_satisfied", "Ratings answering very satisfied (100 points).", True),
        _i("satisfied", "Ratings answering satisfied (75 points).", True),
        _i("basically_satisfied", "Ratings answering basically satisfied (50 points).", True),
        _i("dissatisfied", "Ratings answering dissatisfied (25 points).", True),
        _i("very_dissatisfied", "Ratings answering very dissatisfied (0 points).", True),
        _n("mean_points", "Mean of the answers' points (0-100); null below the minimum cell."),
    ),
)

CLOSED_LOOP = Dataset(
    "closed_loop",
    "Answers to citizens",
    "Per unit (its own service points): cases opened from bad ratings, requests for a reply and "
    "integrity reports; replies on time; the citizens' verdicts; improvement commitments; "
    "appeals against ratings and results.",
    (
        UNIT_CODE,
        _i("cases_opened", "Cases opened."),
        _i("cases_replied", "Cases the unit replied to."),
        _i("cases_replied_on_time", "Cases whose first reply came by the working-day deadline."),
        _i("cases_solved_in_citizens_view", "Cases the citizen marked as solved."),
        _i("cases_reopened", "Cases the citizen reopened as not solved."),
        _i("commitments", "Improvement plans (commitments) of the unit."),
        _i("commitments_completed", "Improvement plans at 100 per cent."),
        _i("appeals_filed", "Appeals the unit filed."),
        _i("appeals_upheld", "Appeals upheld (rating excluded or result corrected)."),
        _i("appeals_rejected", "Appeals rejected, with reasons recorded."),
    ),
)

COMMITMENTS = Dataset(
    "commitments",
    "Improvement commitment",
    "One improvement commitment of a unit: what it committed to do about an indicator, by "
    "when, and how far it has got; the commitments its public page lists. The person "
    "responsible, the problem statement, the evidence and reviewers' comments are not "
    "published. A commitment in a cycle whose results are not yet published names neither "
    "the cycle nor the indicator (unpublished cycles never appear publicly).",
    (
        UNIT_CODE,
        _s(
            "cycle_code",
            "Code of the cycle the commitment belongs to; null while that cycle is unpublished.",
            nullable=True,
        ),
        _s(
            "indicator_code",
            "Code of the indicator it addresses, within the cycle; null while the cycle is "
            "unpublished.",
            nullable=True,
        ),
        _s("indicator_name", "Name of that indicator in English; null as above.", nullable=True),
        _s("indicator_name_zh", "Name of that indicator in Simplified Chinese.", nullable=True),
        _s("action", "What the unit committed to do, in its own words."),
        _s("due_on", "The day it is due.", fmt="date"),
        _i("progress", "Per cent done, 0-100, as reported by the unit."),
        _s(
            "status",
            "completed (100 per cent), overdue (unfinished after its due day, UTC) or in_progress.",
        ),
        _s("completed_on", "The day it reached 100 per cent (UTC); null until then.", True, "date"),
        Field(
            "self_identified",
            "boolean",
            "True when the unit named the problem itself before a tip, an inspection or a "
            "detector found it (see the methodology page).",
        ),
    ),
)

APPEALS = Dataset(
    "appeals",
    "Appeal statistics",
    "Per unit and published cycle: the appeals the unit filed against a rating or a result, and "
    "how they were decided. Appeals of a cycle appear once the cycle's results are published.",
    (
        UNIT_CODE,
        CYCLE_CODE,
        _s("kind", "rating (against one rating) or result (against an indicator result or grade)."),
        _i("filed", "Appeals filed."),
        _i("upheld", "Appeals upheld: the rating excluded (kept, marked) or the result corrected."),
        _i("rejected", "Appeals rejected, with the reviewer's reasons recorded."),
        _i("pending", "Appeals not decided yet."),
    ),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        UNITS,
        SERVICES,
        POINTS,
        CYCLES,
        RESULTS,
        INDICATORS,
        PUBLICATIONS,
        AGGREGATES,
        CLOSED_LOOP,
        COMMITMENTS,
        APPEALS,
    )
}
