"""CitizenVoice: government performance judged by the people who are served."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from citizenvoice.config import check_production, defaults, from_environment

ROOT = Path(__file__).resolve().parent.parent

#: Every blueprint, registered in this order: (module, attribute).
BLUEPRINTS: list[tuple[str, str]] = [
    ("citizenvoice.core.views", "bp"),
    ("citizenvoice.accounts.views", "bp"),
    ("citizenvoice.core.manage", "bp"),
    ("citizenvoice.accounts.manage", "bp"),
    ("citizenvoice.org.manage", "bp"),
    ("citizenvoice.audit.manage", "bp"),
    ("citizenvoice.surveys.views", "bp"),
    ("citizenvoice.surveys.manage", "bp"),
    ("citizenvoice.surveys.api", "bp"),
    ("citizenvoice.indicators.manage", "bp"),
    ("citizenvoice.evaluations.manage", "bp"),
    ("citizenvoice.scoring.manage", "bp"),
    ("citizenvoice.disclosure.views", "bp"),
    ("citizenvoice.disclosure.api", "bp"),
    ("citizenvoice.disclosure.manage", "bp"),
    ("citizenvoice.inspections.manage", "bp"),
    ("citizenvoice.integrity.manage", "bp"),
    ("citizenvoice.casework.manage", "bp"),
    ("citizenvoice.tips.views", "bp"),
    ("citizenvoice.tips.manage", "bp"),
]

#: Model modules, imported so that metadata and migrations see every table.
MODEL_MODULES = [
    "citizenvoice.org.models",
    "citizenvoice.accounts.models",
    "citizenvoice.audit.models",
    "citizenvoice.surveys.models",
    "citizenvoice.indicators.models",
    "citizenvoice.evaluations.models",
    "citizenvoice.scoring.models",
    "citizenvoice.integrity.models",
    "citizenvoice.inspections.models",
    "citizenvoice.disclosure.models",
    "citizenvoice.casework.models",
    "citizenvoice.tips.models",
    "citizenvoice.mail.models",
]


def load_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)


def _configure(app: Flask, config: dict[str, Any] | None) -> None:
    app.config.update(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(from_environment(dict(os.environ)))
    if config:
        app.config.update(config)
    check_production(app.config)
    url = app.config["DATABASE_URL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    from citizenvoice.core.db import postgres_engine_options, sqlite_engine_options

    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        sqlite_engine_options() if url.startswith("sqlite") else postgres_engine_options(),
    )
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "citizenvoice")
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_CONTENT_LENGTH"])


def _init_extensions(app: Flask) -> None:
    from citizenvoice.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")

    @login_manager.user_loader
    def load_user(token: str) -> Any:
        from sqlalchemy import select

        from citizenvoice.accounts.models import User

        return db.session.scalar(
            select(User).where(User.login_token == token, User.is_active.is_(True))
        )


def _request_hooks(app: Flask) -> None:
    from flask_login import current_user

    from citizenvoice.audit.services import SYSTEM, Actor, current_actor
    from citizenvoice.core.db import write_intent

    @app.before_request
    def _transaction_intent() -> None:
        write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.before_request
    def _audit_actor() -> None:
        # Only a signed-in session can hold a staff member; a citizen's request does not load
        # the login machinery at all (nor rewrite the citizen's session cookie).
        actor = SYSTEM
        signed_in = "_user_id" in session
        if signed_in and request.endpoint != "static" and current_user.is_authenticated:
            actor = Actor(current_user.id, current_user.username)
        current_actor.set(actor)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error pages and CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    _configure(app, config)
    from citizenvoice.surveys.edge import RatingIntake

    # Inside ProxyFix, so that the edge sees the client address as the views do.
    app.wsgi_app = RatingIntake(app, app.wsgi_app)  # type: ignore[method-assign]
    if app.config["PROXY_COUNT"]:
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    load_models()
    _init_extensions(app)
    from citizenvoice.core.errors import init_errors
    from citizenvoice.core.i18n import init_i18n
    from citizenvoice.core.security import init_security

    init_i18n(app)
    init_security(app)
    init_errors(app)
    _request_hooks(app)
    for module, attr in BLUEPRINTS:
        app.register_blueprint(getattr(importlib.import_module(module), attr))
    from citizenvoice.cli import register_cli

    register_cli(app)
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    return app
