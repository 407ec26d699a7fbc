"""Staff pages for triaging and investigating tips."""

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint

bp = staff_blueprint(
    "tips_manage", __name__, "/manage/tips", {Role.ADMIN, Role.INSPECTOR, Role.MANAGER}
)
