from __future__ import annotations

from tests.access import STAFF, Rule, allow

MANAGERS = allow("admin", "manager")

RULES = {
    "evaluations_manage.mine": Rule(STAFF),
    "evaluations_manage.assignments": Rule(
        MANAGERS, params=lambda w: {"cycle_id": w.extra["cycle"].id}
    ),
    "evaluations_manage.evaluate": Rule(
        allow("evaluator"),
        params=lambda w: {"assignment_id": w.extra["assignment"].id},
        data=lambda w: {"score": "80", "justification": "x" * 30, "action": "save"},
    ),
    "evaluations_manage.reopen": Rule(
        MANAGERS,
        params=lambda w: {"assignment_id": w.extra["assignment"].id},
        data=lambda w: {"reason": "A second look is needed"},
    ),
}
