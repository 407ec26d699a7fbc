"""Public dashboards and pages: /units/…, /points/…, methodology, publication record."""

from flask import Blueprint

bp = Blueprint("disclosure", __name__)
