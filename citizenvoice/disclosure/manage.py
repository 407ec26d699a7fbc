"""A unit's own dashboard and early warnings (/manage/dashboard)."""

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint

bp = staff_blueprint("dashboard_manage", __name__, "/manage/dashboard", set(Role))
