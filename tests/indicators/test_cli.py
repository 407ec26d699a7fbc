from citizenvoice.extensions import db
from citizenvoice.indicators import services
from tests.indicators.conftest import cycle_fields


def test_export_then_import_from_the_command_line(
    app, runner, make_cycle, make_node, tmp_path
) -> None:
    from citizenvoice.indicators.models import NodeKind

    source = make_cycle("2026-q1")
    category = make_node(source, kind=NodeKind.CATEGORY, code="quality")
    make_node(source, parent=category, code="on-time")
    result = runner.invoke(args=["indicators-export", "2026-q1", "--format", "json"])
    assert result.exit_code == 0 and '"on-time"' in result.output
    path = tmp_path / "tree.json"
    path.write_text(result.output, encoding="utf-8")
    target = services.create_cycle(cycle_fields("2026-q2"))
    db.session.commit()
    result = runner.invoke(args=["indicators-import", "2026-q2", str(path)])
    assert result.exit_code == 0, result.output
    assert [n.code for n in services.tree_nodes(target)] == ["quality", "on-time"]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,kind,name,weight\nx,indicator,X,abc\n", encoding="utf-8")
    result = runner.invoke(args=["indicators-import", "2026-q2", str(bad)])
    assert result.exit_code == 1 and "line 2: 'weight' must be a number" in result.output
    assert runner.invoke(args=["indicators-export", "nope"]).exit_code == 1
