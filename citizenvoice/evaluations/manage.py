"""Staff pages for evaluator assignments and internal evaluations."""

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint

bp = staff_blueprint("evaluations_manage", __name__, "/manage/evaluations", set(Role))
