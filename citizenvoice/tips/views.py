"""The anonymous tip box: /tips/new and /tips/follow-up."""

from flask import Blueprint

bp = Blueprint("tips", __name__)
