"""Survey pages: the list of open surveys, answering, the builder (views.py), and the
results and their downloads (results_views.py), all on one blueprint."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
