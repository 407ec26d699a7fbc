"""Public closed-loop figures: cases, replies on time, verdicts, commitments and appeals.

Three aggregate statements whatever the number of units (one over cases, one over appeals,
one over improvement plans), either summed over a set of units (a unit's page shows its
subtree) or grouped per unit (the open data lists every unit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy import case as when

from citizenvoice.casework.models import Appeal, AppealStatus, Case, CaseStatus, ImprovementPlan
from citizenvoice.extensions import db


@dataclass(frozen=True)
class CaseFigures:
    opened: int = 0
    replied: int = 0
    on_time: int = 0
    solved: int = 0
    reopened: int = 0
    appeals_filed: int = 0
    appeals_upheld: int = 0
    appeals_rejected: int = 0
    commitments: int = 0
    commitments_completed: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.replied if self.replied else None

    def as_dict(self) -> dict[str, int]:
        return {
            "cases_opened": self.opened,
            "cases_replied": self.replied,
            "cases_replied_on_time": self.on_time,
            "cases_solved_in_citizens_view": self.solved,
            "cases_reopened": self.reopened,
            "commitments": self.commitments,
            "commitments_completed": self.commitments_completed,
            "appeals_filed": self.appeals_filed,
            "appeals_upheld": self.appeals_upheld,
            "appeals_rejected": self.appeals_rejected,
        }


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(when((condition, 1), else_=0)), 0)


def _case_counts() -> list[ColumnElement[Any]]:
    return [
        func.count(Case.id).label("opened"),
        _count_if(Case.replied_at.is_not(None)).label("replied"),
        _count_if(Case.replied_on_time.is_(True)).label("on_time"),
        _count_if(Case.status == CaseStatus.SOLVED).label("solved"),
        _count_if(Case.reopen_count > 0).label("reopened"),
    ]


def _appeal_counts() -> list[ColumnElement[Any]]:
    return [
        func.count(Appeal.id).label("appeals_filed"),
        _count_if(Appeal.status == AppealStatus.UPHELD).label("appeals_upheld"),
        _count_if(Appeal.status == AppealStatus.REJECTED).label("appeals_rejected"),
    ]


def _plan_counts() -> list[ColumnElement[Any]]:
    return [
        func.count(ImprovementPlan.id).label("commitments"),
        _count_if(ImprovementPlan.progress == 100).label("commitments_completed"),
    ]


def _queries(unit_ids: Iterable[int] | None, per_unit: bool) -> list[Select[Any]]:
    queries = []
    for model, counts in (
        (Case, _case_counts()),
        (Appeal, _appeal_counts()),
        (ImprovementPlan, _plan_counts()),
    ):
        unit_column = model.unit_id
        query = select(*([unit_column.label("unit_id")] if per_unit else []), *counts)
        if unit_ids is not None:
            query = query.where(unit_column.in_(list(unit_ids)))
        queries.append(query.group_by(unit_column) if per_unit else query)
    return queries


def _figures_of(values: dict[str, int]) -> CaseFigures:
    return CaseFigures(**{f.name: int(values.get(f.name) or 0) for f in fields(CaseFigures)})


def figures(unit_ids: set[int]) -> CaseFigures:
    """The figures of a set of units taken together (a unit's page: its subtree)."""
    values: dict[str, int] = {}
    for query in _queries(unit_ids, per_unit=False):
        row = db.session.execute(query).mappings().one()
        values.update(row)
    return _figures_of(values)


def figures_per_unit(unit_ids: Iterable[int] | None = None) -> dict[int, CaseFigures]:
    """Each unit's own figures (None: every unit), in three statements however many units.

    Units without any case, appeal or plan are present with zeros when asked for by id.
    """
    values: dict[int, dict[str, int]] = {unit_id: {} for unit_id in unit_ids or ()}
    for query in _queries(unit_ids, per_unit=True):
        for row in db.session.execute(query).mappings():
            values.setdefault(int(row["unit_id"]), {}).update(row)
    return {unit_id: _figures_of(counts) for unit_id, counts in values.items()}
