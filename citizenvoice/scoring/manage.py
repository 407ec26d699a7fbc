"""Staff pages to compute, review and publish results (/manage/scoring)."""

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint

bp = staff_blueprint("scoring_manage", __name__, "/manage/scoring", set(Role))
