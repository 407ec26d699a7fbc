"""Staff pages for cycles, the indicator tree, consultations and self-reported figures."""

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint

bp = staff_blueprint("indicators_manage", __name__, "/manage/indicators", set(Role))
