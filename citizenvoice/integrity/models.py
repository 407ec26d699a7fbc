"""Stored detector findings: each pattern is stored once and never deleted."""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import Model


class FindingSubject(enum.StrEnum):
    RATINGS = "ratings"
    FIGURES = "figures"


class StoredFinding(Model):
    """One detector finding as the integrity scan stored it (a pattern, never a verdict)."""

    __tablename__ = "integrity_findings"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of what identifies the pattern (kind, place, records); the scan stores it once.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    #: ``FindingKind`` value of the detector, e.g. "burst".
    kind: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[FindingSubject] = mapped_column(
        Enum(FindingSubject, native_enum=False, length=10)
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_nodes.id"))
    #: JSON list of the rating or figure ids involved.
    record_ids_json: Mapped[str] = mapped_column(Text, default="[]")
    statistic: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    #: JSON of the detector's message parameters (numbers the explanation quotes).
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    #: Rating flags this finding created (0 for kinds without a matching flag kind).
    flags_created: Mapped[int] = mapped_column(Integer, default=0)
    #: A figure finding is a candidate for the next inspection plan.
    is_inspection_candidate: Mapped[bool] = mapped_column(default=False)
    #: A figure finding on an indicator whose problem the unit had put in its improvement plan
    #: before the scan found it: shown as self-identified and no risk signal for inspections.
    is_self_identified: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def record_ids(self) -> list[int]:
        return [int(i) for i in json.loads(self.record_ids_json)]

    @property
    def params(self) -> dict[str, Any]:
        value = json.loads(self.params_json)
        return value if isinstance(value, dict) else {}

    def audit_unit_id(self) -> int | None:
        return self.unit_id
