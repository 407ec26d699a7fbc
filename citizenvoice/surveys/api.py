"""Authenticated JSON endpoints for offline kiosks (/api/v1/kiosk)."""

from flask import Blueprint

from citizenvoice.extensions import csrf

bp = Blueprint("surveys_api", __name__, url_prefix="/api/v1/kiosk")
csrf.exempt(bp)
