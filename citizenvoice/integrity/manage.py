"""Integrity analytics for staff: detector findings, flags and inspection candidates."""

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint

bp = staff_blueprint(
    "integrity_manage", __name__, "/manage/integrity", {Role.ADMIN, Role.MANAGER, Role.INSPECTOR}
)
