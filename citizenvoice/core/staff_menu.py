"""What each role sees on the staff home: (endpoint, label, explanation)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from citizenvoice.accounts.models import Role


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: LazyString
    explanation: LazyString
    roles: frozenset[Role]

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


A, M, OFF, E, X, INS = (
    Role.ADMIN,
    Role.MANAGER,
    Role.UNIT_OFFICIAL,
    Role.EVALUATOR,
    Role.EXPERT,
    Role.INSPECTOR,
)

ITEMS: list[MenuItem] = [
    MenuItem(
        "org_manage.units",
        _l("Units and service points"),
        _l("The unit tree, service points, their QR codes and the service catalogue."),
        frozenset({A, M, OFF}),
    ),
    MenuItem(
        "accounts_manage.users",
        _l("Staff accounts"),
        _l("Create accounts, assign roles and units, deactivate accounts."),
        frozenset({A}),
    ),
    MenuItem(
        "audit_manage.trail",
        _l("Audit trail"),
        _l("Every change made by staff, in a tamper-evident chain."),
        frozenset({A, M, OFF, INS}),
    ),
]

#: Modules of later domains that add their items with ``register``; imported lazily.
EXTRA_MODULES: list[str] = []


def register(item: MenuItem) -> None:
    if all(existing.endpoint != item.endpoint for existing in ITEMS):
        ITEMS.append(item)


def menu_for(role: Role) -> list[MenuItem]:
    for module in EXTRA_MODULES:
        importlib.import_module(module)
    return [item for item in ITEMS if role in item.roles]
