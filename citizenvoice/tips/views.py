"""The anonymous tip box: /tips/new and /tips/follow-up.

Read ``tips/privacy.py`` first: what these views can see of a request is cut down before they
run. The views log nothing, never put a receipt in a URL, and use no Flask session.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from citizenvoice.extensions import csrf, limiter
from citizenvoice.tips import privacy, receipts, services
from citizenvoice.tips.forms import STATUS_LABELS, FollowUpForm, NewTipForm, ReplyForm
from citizenvoice.tips.models import Author, Tip, TipOutcome

bp = Blueprint("tips", __name__, url_prefix="/tips")
limiter.exempt(bp)
csrf.exempt(bp)
bp.record_once(privacy.install)
bp.before_request(privacy.load_client)
bp.after_request(privacy.save_client)

NO_COOKIE = _l(
    "Your browser did not send the tip box's cookie. Please allow cookies for this site "
    "and send again."
)
OUTCOME_PUBLIC = {
    TipOutcome.SUBSTANTIATED: _l("Substantiated: the figures were found to be faked."),
    TipOutcome.UNSUBSTANTIATED: _l("Not substantiated."),
    TipOutcome.REFERRED: _l("Referred to another authority."),
}


def _read_upload(field: Any) -> list[services.Evidence]:
    """The checked evidence of a file field (none when empty); raises TipError when refused."""
    upload = field.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        return []
    limit = int(current_app.config["TIPS_MAX_FILE_BYTES"])
    data = upload.stream.read(limit + 1)
    return [services.check_evidence(upload.filename, data)]


def _unit_choices(form: NewTipForm, lang: str) -> None:
    form.unit.choices = [(0, "—")] + [
        (unit.id, unit.display_name(lang)) for unit in services.active_units()
    ]
    form.service_point.choices = [(0, _("(none)"))] + [
        (p.id, f"{p.unit.display_name(lang)} · {p.display_name(lang)}")
        for p in services.active_points()
    ]


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    form = NewTipForm()
    _unit_choices(form, _lang())
    if not form.nonce.data:
        form.nonce.data = secrets.token_urlsafe(24)
    if not form.validate_on_submit():
        return render_template("tips/new.html", form=form)
    if form.website.data:  # honeypot: look like success, store nothing
        return render_template("tips/receipt.html", receipt=receipts.new_receipt())
    if not privacy.client_known():
        form.body.errors = [str(NO_COOKIE)]
        return render_template("tips/new.html", form=form), 400
    if services.already_sent(form.nonce.data or ""):
        return render_template("tips/already_sent.html")
    if privacy.throttled("submit"):
        return render_template("tips/new.html", form=form, throttled=True), 429
    try:
        evidence = _read_upload(form.evidence)
    except services.TipError as exc:
        form.evidence.errors = [str(exc)]
        return render_template("tips/new.html", form=form), 400
    try:
        _tip, receipt = services.submit_tip(
            form.unit.data,
            form.body.data or "",
            form.figure.data or "",
            form.service_point.data or None,
            evidence,
            form.nonce.data or "",
        )
    except services.TipError as exc:
        services.rollback()
        form.unit.errors = [str(exc)]
        return render_template("tips/new.html", form=form), 400
    services.commit()
    privacy.count("submit")
    return render_template("tips/receipt.html", receipt=receipt)


def _status_page(tip: Tip, reply: ReplyForm | None = None, sent: bool = False) -> str:
    reply = reply or ReplyForm(formdata=None)
    messages = [
        (m.author is Author.REPORTER, m.sent_on, services.text_of(m.body_enc)) for m in tip.messages
    ]
    return render_template(
        "tips/status.html",
        tip=tip,
        body=services.body_of(tip),
        figure=services.figure_of(tip),
        status_label=STATUS_LABELS[tip.status],
        outcome=str(OUTCOME_PUBLIC[tip.outcome]) if tip.outcome else None,
        messages=messages,
        reply=reply,
        sent=sent,
        closed=tip.status.value == "closed",
    )


def _lookup(receipt: str) -> tuple[Tip | None, int]:
    """The tip of a receipt, counting wrong receipts; (None, status) when not found or refused.

    Without the tip cookie there is nothing to count wrong receipts against, so the receipt is
    not even looked at (400); a browser over its allowance is refused before the lookup (429).
    """
    if not privacy.client_known():
        return None, 400
    if privacy.throttled("followup"):
        return None, 429
    tip = services.find_by_receipt(receipt)
    if tip is None:
        privacy.count("followup")
        return None, 200
    return tip, 200


def _refused(form: FollowUpForm, status: int) -> Any:
    if status == 429:
        return render_template("tips/follow_up.html", form=form, throttled=True), 429
    if status == 400:
        form.receipt.errors = [str(NO_COOKIE)]
        return render_template("tips/follow_up.html", form=form), 400
    form.receipt.errors = [_("No tip has this receipt. Please check what you typed.")]
    return render_template("tips/follow_up.html", form=form)


@bp.route("/follow-up", methods=["GET", "POST"])
def follow_up() -> Any:
    form = FollowUpForm()
    if not form.validate_on_submit():
        return render_template("tips/follow_up.html", form=form)
    tip, status = _lookup(form.receipt.data or "")
    if tip is None:
        return _refused(form, status)
    reply = ReplyForm(formdata=None)
    reply.receipt.data = form.receipt.data
    return _status_page(tip, reply)


@bp.route("/follow-up/reply", methods=["POST"])
def reply() -> Any:
    form = ReplyForm()
    lookup = FollowUpForm(formdata=None)
    if not form.receipt.data:
        return render_template("tips/follow_up.html", form=lookup)
    tip, status = _lookup(form.receipt.data)
    if tip is None:
        return _refused(lookup, status)
    if not form.validate():
        return _status_page(tip, form), 400
    try:
        evidence = _read_upload(form.evidence)
        services.reporter_reply(tip, form.body.data or "", evidence)
    except services.TipError as exc:
        services.rollback()
        form.body.errors = [str(exc)]
        return _status_page(tip, form), 400
    services.commit()
    fresh = ReplyForm(formdata=None)
    fresh.receipt.data = form.receipt.data
    return _status_page(tip, fresh, sent=True)
