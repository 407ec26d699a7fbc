"""Open data: /api/v1/… (JSON and CSV) and /api/v1/openapi.json."""

from flask import Blueprint

from citizenvoice.extensions import csrf

bp = Blueprint("open_data", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
