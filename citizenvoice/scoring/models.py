"""Computed results of a cycle (a working copy, recomputed at will) and published snapshots.

Result rows are keyed by (cycle, unit[, node]) without a surrogate id, so that recomputing a
cycle with the same inputs writes exactly the same rows. Published snapshots are append-only:
a correction is a new version with a reason, and an update or delete of a snapshot is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import Model


class UnitResult(Model):
    """A unit's total, interval and grade in a cycle, with the counts and details behind them."""

    __tablename__ = "unit_results"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    #: The composed total 0-100; empty when every branch had insufficient data.
    total: Mapped[float | None] = mapped_column(Float)
    #: Bounds of the total from the citizen indicators' 95% intervals (see scoring.assembly).
    total_lower: Mapped[float | None] = mapped_column(Float)
    total_upper: Mapped[float | None] = mapped_column(Float)
    #: Grade band code (excellent, good, …) of the total rounded to one decimal.
    grade: Mapped[str | None] = mapped_column(String(40))
    #: The unit's overall citizen satisfaction index (all its and its sub-units' points).
    citizen_index: Mapped[float | None] = mapped_column(Float)
    citizen_lower: Mapped[float | None] = mapped_column(Float)
    citizen_upper: Mapped[float | None] = mapped_column(Float)
    #: The global-weight mean of the internally evaluated indicators' scores.
    internal_score: Mapped[float | None] = mapped_column(Float)
    #: Counted (unflagged) ratings in the cycle's period at the unit's service points.
    ratings_used: Mapped[int] = mapped_column(default=0)
    #: Ratings left out because an open or confirmed flag holds them.
    ratings_flagged: Mapped[int] = mapped_column(default=0)
    #: Distinct evaluators whose submitted evaluations count for the unit.
    evaluators: Mapped[int] = mapped_column(default=0)
    is_divergent: Mapped[bool] = mapped_column(default=False)
    #: Canonical JSON: citizen index, vertical comparison, divergence, sensitivity, feedback.
    details_json: Mapped[str] = mapped_column(Text, default="{}")


class IndicatorResult(Model):
    """A node's (indicator or category) value, score and weights for one unit in a cycle."""

    __tablename__ = "indicator_results"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("indicator_nodes.id"), primary_key=True)
    #: The raw value before the criteria (index, combined evaluation, figure); empty for
    #: categories and for insufficient data.
    value: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    #: Share among siblings after redistributing insufficient siblings' weight (0 to 1).
    effective_weight: Mapped[float] = mapped_column(Float, default=0)
    #: Share of the unit's total (0 to 1).
    global_weight: Mapped[float] = mapped_column(Float, default=0)
    ratings_used: Mapped[int] = mapped_column(default=0)
    ratings_flagged: Mapped[int] = mapped_column(default=0)
    evaluators: Mapped[int] = mapped_column(default=0)
    #: Why there is no value ("small_sample", "no_evaluations", …); empty otherwise.
    note: Mapped[str] = mapped_column(String(40), default="")
    #: Canonical JSON of the inputs (level counts, subject means, figure source).
    inputs_json: Mapped[str] = mapped_column(Text, default="{}")


class Computation(Model):
    """When a cycle's results were last computed, and a fingerprint of what was written."""

    __tablename__ = "result_computations"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    units: Mapped[int] = mapped_column(default=0)
    #: SHA-256 of the canonical JSON of every result row: equal inputs give an equal hash.
    fingerprint: Mapped[str] = mapped_column(String(64), default="")


class SnapshotImmutable(DomainError):
    """A published snapshot cannot be changed or removed; publish a correction instead."""

    status = 409


class Publication(Model):
    """One published version of a cycle's results: frozen canonical JSON and its SHA-256."""

    __tablename__ = "result_publications"
    __audited__ = True
    #: The payload is large; the audit entry and the "results.published" event carry its hash.
    __audit_exclude__ = frozenset({"payload"})
    __table_args__ = (UniqueConstraint("cycle_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    #: 1 for the first publication; each correction adds one.
    version: Mapped[int]
    #: Canonical JSON of every unit's result in the cycle (see scoring.services.snapshot_data).
    payload: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    #: Empty for version 1; why the results were corrected for later versions.
    reason: Mapped[str] = mapped_column(Text, default="")
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    def audit_unit_id(self) -> int | None:
        return None


def _refuse_change(_mapper: Any, _connection: Any, target: Publication) -> None:
    raise SnapshotImmutable(
        _l("A published snapshot cannot be changed; publish a correction instead.")
    )


event.listen(Publication, "before_update", _refuse_change)
event.listen(Publication, "before_delete", _refuse_change)
