"""Staff pages for inspection plans, visits, sample surveys and figure verification."""

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint

bp = staff_blueprint(
    "inspections_manage",
    __name__,
    "/manage/inspections",
    {Role.ADMIN, Role.MANAGER, Role.INSPECTOR},
)
