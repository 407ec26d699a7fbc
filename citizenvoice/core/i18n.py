"""Languages: English and Simplified Chinese.

Chosen from ?lang=, then a cookie, then the browser's Accept-Language.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, g, has_request_context, request
from werkzeug.datastructures import LanguageAccept

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
LANG_COOKIE = "lang"
LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}


def select_locale() -> str:
    if not has_request_context():  # the CLI speaks the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    return choose_language(
        request.args.get("lang") or request.cookies.get(LANG_COOKIE),
        request.accept_languages,
        current_app.config["LANGUAGES"],
        str(current_app.config["BABEL_DEFAULT_LOCALE"]),
    )


def choose_language(
    asked: str | None, accepted: LanguageAccept, languages: list[str], default: str
) -> str:
    """The language of a request: asked for (``?lang=`` or the cookie), else the browser's."""
    if asked in languages:
        return str(asked)
    best = accepted.best_match([*languages, "zh-CN", "zh-Hans"])
    if best and best.lower().startswith("zh"):
        return "zh"
    return best or default


def translation_directories() -> list[str]:
    """Each domain package keeps its catalogue in ``<package>/translations``."""
    return sorted(str(p) for p in PACKAGE_ROOT.glob("*/translations") if p.is_dir())


def compile_catalogues(directories: list[str]) -> None:
    """Compile every ``.po`` whose ``.mo`` is missing or older (atomic, safe for many workers)."""
    for directory in directories:
        for po_path in Path(directory).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            fd, tmp = tempfile.mkstemp(dir=po_path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as mo_file:
                write_mo(mo_file, catalog)
            os.replace(tmp, mo_path)


def remember_language(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked and asked in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANG_COOKIE,
            asked,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def init_i18n(app: Flask) -> None:
    from citizenvoice.extensions import babel

    directories = translation_directories()
    compile_catalogues(directories)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(remember_language)

    @app.before_request
    def _fresh_locale() -> None:
        # Flask-Babel caches the locale on the app context, which an outer context (the CLI,
        # tests) can share across requests; each request chooses its own language.
        from flask_babel import refresh

        refresh()

    @app.context_processor
    def language_context() -> dict[str, object]:
        from flask_babel import get_locale

        current = str(get_locale() or "en")
        g.lang = current
        return {"current_lang": current, "language_names": LANGUAGE_NAMES}
