"""Self-reported figures: versions, lateness, evidence upload safety."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest

from citizenvoice.core.errors import InvalidTransition, NotFound
from citizenvoice.extensions import db
from citizenvoice.indicators import figures
from citizenvoice.indicators.models import CycleState, DataSource, Evidence

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def setting(app, make_unit, make_cycle, make_node):
    a, b = make_unit("unit-a"), make_unit("unit-b")
    cycle = make_cycle(state=CycleState.COLLECTING, units=[a, b])
    node = make_node(cycle, code="on-time", source=DataSource.SELF_REPORTED)
    return {"cycle": cycle, "a": a, "b": b, "node": node, "root": app.config["UPLOAD_FOLDER"]}


def submit(setting, value=98.0, uploads=(), unit=None):
    return figures.submit_figure(
        setting["node"], (unit or setting["a"]).id, value, "From the case register",
        list(uploads), None, setting["root"],
    )  # fmt: skip


def test_every_submission_is_kept_and_changes_are_visible(setting) -> None:
    first = submit(setting, 97.0)
    second = submit(setting, 99.5)
    db.session.commit()
    assert first.is_superseded and first.superseded_at and not first.is_changed
    assert not second.is_superseded and second.version == 2 and second.is_changed
    current = figures.current_figure(setting["cycle"], setting["a"].id, setting["node"].id)
    assert current is second
    assert [f.value for f in figures.figure_history(setting["cycle"])] == [97.0, 99.5]


def test_figures_after_the_deadline_are_marked_late(setting) -> None:
    assert not submit(setting).is_late
    setting["cycle"].self_report_deadline = datetime.now() - timedelta(days=1)
    assert submit(setting).is_late


def test_figures_only_for_self_reported_indicators_of_participating_units(
    setting, make_unit, make_node
) -> None:
    with pytest.raises(NotFound):
        submit(setting, unit=make_unit())
    other = make_node(setting["cycle"], code="rated", source=DataSource.CITIZEN_RATING)
    with pytest.raises(NotFound):
        figures.submit_figure(other, setting["a"].id, 1, "", [], None, setting["root"])


@pytest.mark.parametrize("state", [CycleState.PLANNING, CycleState.REVIEWING, CycleState.PUBLISHED])
def test_figures_are_refused_outside_collection(setting, state) -> None:
    setting["cycle"].state = state
    with pytest.raises(InvalidTransition):
        submit(setting)


def test_evidence_is_stored_under_a_random_name(setting) -> None:
    figure = submit(
        setting,
        uploads=[
            figures.Upload("../../etc/passwd.pdf", PDF),
            figures.Upload("photo.PNG", PNG),
            figures.Upload("counts.csv", b"month,cases\n7,120\n"),
            figures.Upload("C:\\Users\\me\\季度报表.pdf", PDF),
        ],
    )
    db.session.commit()
    names = [e.original_name for e in figure.evidence]
    assert names == ["passwd.pdf", "photo.PNG", "counts.csv", "季度报表.pdf"]
    folder = os.path.join(setting["root"], "evidence")
    for evidence in figure.evidence:
        assert evidence.stored_name not in names and len(evidence.stored_name) >= 36
        path = figures.evidence_path(evidence, setting["root"])
        assert os.path.dirname(path) == os.path.realpath(folder)
    assert sorted(os.listdir(folder)) == sorted(e.stored_name for e in figure.evidence)
    assert [e.content_type for e in figure.evidence] == [
        "application/pdf",
        "image/png",
        "text/csv",
        "application/pdf",
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.html", b"<html></html>", "Only PDF"),
        ("report.pdf.exe", PDF, "Only PDF"),
        ("noextension", PDF, "Only PDF"),
        ("report\x00.pdf", PDF, "not allowed"),
        ("report.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "does not match"),
        ("photo.png", b"<svg onload=alert(1)>", "does not match"),
        ("data.csv", b"<html><script>alert(1)</script></html>", "does not match"),
        ("data.csv", b"a,b\x00c", "does not match"),
        ("data.csv", b"\xff\xfe\xfa", "UTF-8"),
        ("empty.pdf", b"", "empty"),
        ("big.pdf", PDF + b"0" * figures.MAX_EVIDENCE_BYTES, "larger than 5 MB"),
    ],
)
def test_unsafe_uploads_are_refused_and_nothing_is_written(setting, name, data, message) -> None:
    with pytest.raises(figures.FigureError, match=message):
        submit(setting, uploads=[figures.Upload(name, data)])
    db.session.rollback()
    assert db.session.query(Evidence).count() == 0
    folder = os.path.join(setting["root"], "evidence")
    assert not os.path.exists(folder) or os.listdir(folder) == []


def test_a_tampered_stored_name_is_not_served(setting) -> None:
    figure = submit(setting, uploads=[figures.Upload("a.pdf", PDF)])
    evidence = figure.evidence[0]
    evidence.stored_name = "../../../../etc/passwd"
    with pytest.raises(NotFound):
        figures.evidence_path(evidence, setting["root"])
