"""Figures corrected by upheld result appeals.

The reviewer of an appeal against a result may enter the corrected value of a self-reported
figure of the appealing unit. Like any later submission, the corrected value is a new version
of the figure (the unit's own is kept, superseded); the audit entry names the appeal. Scoring
then reads the corrected value, and a published cycle gets a new version whose note says what
was corrected (see ``decide_appeal``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from citizenvoice.audit.services import record_event
from citizenvoice.casework.models import Appeal, AppealKind
from citizenvoice.core.db import utcnow
from citizenvoice.core.errors import DomainError
from citizenvoice.extensions import db
from citizenvoice.indicators.figures import add_version
from citizenvoice.indicators.models import DataSource, IndicatorNode, SelfReportedFigure


class CorrectionError(DomainError):
    """A corrected value that cannot be accepted; ``field`` names the form field."""

    def __init__(self, message: object, field: str = "value") -> None:
        super().__init__(str(message))
        self.field = field


@dataclass(frozen=True)
class FigureCorrection:
    """The reviewer's corrected value of one of the unit's self-reported figures."""

    indicator_id: int
    value: float


def current_figures(cycle_id: int, unit_id: int) -> list[SelfReportedFigure]:
    """The unit's current self-reported figures in the cycle (those an appeal may correct)."""
    return list(
        db.session.scalars(
            select(SelfReportedFigure)
            .join(IndicatorNode, IndicatorNode.id == SelfReportedFigure.indicator_id)
            .where(
                SelfReportedFigure.cycle_id == cycle_id,
                SelfReportedFigure.unit_id == unit_id,
                SelfReportedFigure.is_superseded.is_(False),
                IndicatorNode.data_source == DataSource.SELF_REPORTED,
            )
            .order_by(IndicatorNode.position, IndicatorNode.id)
        )
    )


def _is_verified(figure: SelfReportedFigure) -> bool:
    """Whether scoring uses an inspection's verified value instead of this figure."""
    from citizenvoice.scoring.services import VERIFIED_FIGURE_SOURCES

    key = (figure.unit_id, figure.indicator_id)
    return any(
        (unit_id, indicator_id) == key
        for source in VERIFIED_FIGURE_SOURCES
        for unit_id, indicator_id, _value in source(figure.cycle_id)
    )


def check_value(indicator: IndicatorNode, value: float) -> None:
    """A figure must be a finite number; a score read as it is ("direct") lies in 0 to 100."""
    if not math.isfinite(value):
        raise CorrectionError(_l("Enter a number."))
    if indicator.criteria.get("kind", "direct") == "direct" and not 0 <= value <= 100:
        raise CorrectionError(_l("This indicator's value is a score from 0 to 100."))


def figure_to_correct(appeal: Appeal, correction: FigureCorrection) -> SelfReportedFigure:
    """The unit's figure the correction replaces, or raise :class:`CorrectionError`."""
    if appeal.kind is not AppealKind.RESULT:
        raise CorrectionError(_l("Only an appeal against a result corrects a figure."))
    figure = next(
        (
            f
            for f in current_figures(appeal.cycle_id, appeal.unit_id)
            if f.indicator_id == correction.indicator_id
        ),
        None,
    )
    if figure is None:
        raise CorrectionError(
            _l("Choose an indicator for which the unit reported a figure."), "indicator_id"
        )
    if _is_verified(figure):
        raise CorrectionError(
            _l(
                "An inspection verified this figure and its verified value counts; the "
                "inspection corrects it with a new verification."
            ),
            "indicator_id",
        )
    check_value(figure.indicator, correction.value)
    return figure


def record_correction(
    appeal: Appeal, figure: SelfReportedFigure, value: float, reviewer_id: int
) -> SelfReportedFigure:
    """Supersede the unit's figure by the corrected value (both kept; flushes)."""
    corrected = add_version(
        figure, utcnow(),
        cycle_id=figure.cycle_id, unit_id=figure.unit_id, indicator_id=figure.indicator_id,
        value=value, note=f"Corrected on appeal {appeal.id}: {appeal.decision_reasons}",
        submitted_by_id=reviewer_id, is_late=figure.is_late,
    )  # fmt: skip
    record_event(
        "figure.corrected", "self_reported_figures", corrected.id, figure.unit_id,
        appeal_id=appeal.id, indicator_id=figure.indicator_id, reported=figure.value,
        corrected=value, version=corrected.version,
    )  # fmt: skip
    return corrected


def correction_note(appeal: Appeal, figure: SelfReportedFigure, value: float) -> str:
    """The public reason of the new version: the appeal, the reported and the corrected value."""
    return (
        f"Appeal {appeal.id} upheld: {appeal.decision_reasons} {figure.unit.name} reported "
        f"{figure.value:g} for {figure.indicator.name}; the reviewer corrected it to {value:g}. "
        "The corrected value replaces the reported figure."
    )
