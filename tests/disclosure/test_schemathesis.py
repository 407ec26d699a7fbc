"""schemathesis against /api/v1/openapi.json: 0 server errors, 0 schema violations.

Skipped when schemathesis is not installed (it is not yet a declared test dependency). Its
pytest plugin does not run under this pytest, so the operations are driven with Hypothesis.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")


def test_open_data_conforms_to_its_openapi_document(
    app: Flask, published: dict[str, Any], make_user: Any
) -> None:
    from datetime import date

    from citizenvoice.accounts.models import Role
    from citizenvoice.casework import services as casework
    from citizenvoice.extensions import db

    # A commitment, so that /commitments answers with rows to validate, not an empty list.
    plan = casework.create_plan(
        make_user(Role.MANAGER), published["unit"].id, published["cycle"].id,
        published["nodes"]["sat"].id, "Queues are too long", "Open a second window",
        "Head of office", date(2026, 12, 31), self_identified=True,
    )  # fmt: skip
    casework.update_progress(plan, 100, "")
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checked = []
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = operation.as_strategy(modes[0]) | operation.as_strategy(modes[1])

        @given(case=strategy)
        @settings(
            max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: Any) -> None:
            case.call_and_validate()

        check()
        checked.append(operation.label)
    assert len(checked) >= 12, checked
