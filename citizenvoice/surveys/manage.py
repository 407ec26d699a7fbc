"""Staff pages for surveys, QR posters, tickets, kiosks, flags and the rating stream."""

from citizenvoice.accounts.models import Role
from citizenvoice.core.access import staff_blueprint

bp = staff_blueprint("surveys_manage", __name__, "/manage/surveys", set(Role))
