"""The citizen's flow: /s/<token>, /t/<ticket>, /f/<code>."""

from flask import Blueprint

bp = Blueprint("surveys", __name__)
