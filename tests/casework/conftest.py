"""Fixtures of the casework tests: a frozen clock for the case services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

# A real SMTP server on 127.0.0.1 for the case e-mail tests.
from tests.mail.smtp import mail_send, smtp_port, smtp_server

__all__ = ["mail_send", "smtp_port", "smtp_server"]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Freeze ``utcnow`` of the case and appeal services at the given moment (call again to
    move it)."""
    from citizenvoice.casework import appeals, common, services

    def set_to(moment: datetime) -> None:
        for module in (services, appeals, common):
            monkeypatch.setattr(module, "utcnow", lambda: moment)

    return set_to
