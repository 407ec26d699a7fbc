"""Staff pages for cases, improvement plans and appeals (/manage/casework)."""

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint

bp = staff_blueprint("casework_manage", __name__, "/manage/casework", set(Role))
