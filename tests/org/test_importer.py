from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.org.models import ServicePoint, Unit

GOOD = """type,code,name,name_zh,parent,kind,address,opening_hours,latitude,longitude
point,tax-1,Tax window 1,税务1号窗口,tax,,1 Main St,mon-fri 09:00-17:00,31.2,121.5
unit,tax,Tax Bureau,税务局,city,bureau,,,,
unit,city,City Government,市政府,,government,,,,
"""

BAD = """type,code,name,name_zh,parent,kind,address,opening_hours,latitude,longitude
unit,city,City Government,市政府,,government,,,,
unit,Bad Code,Tax Bureau,,city,bureau,,,,
unit,health,Health,,nowhere,bureau,,,,
point,p1,Window,,city,,,mon 17:00-09:00,,
point,p2,Window,,city,,,,91,10
unit,city,Again,,,government,,,,
"""


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_good_file_imports_in_any_order(runner, tmp_path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["import-units", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated" in result.output
    tax = db.session.scalar(select(Unit).where(Unit.code == "tax"))
    assert tax.parent.code == "city" and tax.name_zh == "税务局"
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == "tax-1"))
    assert point.unit_id == tax.id and point.latitude == 31.2 and len(point.token) == 12
    # Importing again updates instead of duplicating.
    result = runner.invoke(args=["import-units", str(path)])
    assert "0 created, 3 updated" in result.output
    assert count(Unit) == 2 and count(ServicePoint) == 1


def test_bad_file_reports_every_row_and_writes_nothing(runner, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    result = runner.invoke(args=["import-units", str(path)])
    assert result.exit_code != 0
    for line, text in [
        (3, "code must use"),
        (4, 'parent unit "nowhere"'),
        (5, "opening hours"),
        (6, "coordinates are out of range"),
        (7, "code repeats line 2"),
    ]:
        assert f"line {line}: {text}" in result.output, result.output
    assert "nothing was imported" in result.output
    assert count(Unit) == 0 and count(ServicePoint) == 0


def test_cycle_and_missing_columns_are_refused(runner, tmp_path) -> None:
    path = tmp_path / "cycle.csv"
    path.write_text("type,code,name,parent,kind\nunit,a,A,b,bureau\nunit,b,B,a,bureau\n")
    result = runner.invoke(args=["import-units", str(path)])
    assert "cycle" in result.output and count(Unit) == 0
    path.write_text("code,name\nx,y\n")
    result = runner.invoke(args=["import-units", str(path)])
    assert "line 1: missing columns: parent, type" in result.output


def test_nul_bytes_and_non_utf8_are_refused(runner, tmp_path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"type,code,name,parent\nunit,a\x00,A,\n")
    assert "NUL" in runner.invoke(args=["import-units", str(path)]).output
    path.write_bytes("type,code,name,parent\nunit,a,名,\n".encode("gb18030"))
    assert "not UTF-8" in runner.invoke(args=["import-units", str(path)]).output


def test_large_file_imports_with_progress(runner, tmp_path) -> None:
    rows = ["type,code,name,parent,kind,opening_hours", "unit,root,Root,,government,"]
    rows += [f"unit,u{i},Unit {i},root,department," for i in range(300)]
    rows += [f"point,p{i},Point {i},u{i % 300},,mon-fri 09:00-17:00" for i in range(600)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows) + "\n")
    result = runner.invoke(args=["import-units", str(path)])
    assert result.exit_code == 0, result.output
    assert count(Unit) == 301 and count(ServicePoint) == 600


def test_upload_in_the_staff_area(client, login_as) -> None:
    import io

    from citizenvoice.accounts.models import Role

    login_as(Role.MANAGER)
    response = client.post(
        "/manage/org/import",
        data={"file": (io.BytesIO(BAD.encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was imported" in text and "Line 7" in text
    response = client.post(
        "/manage/org/import",
        data={"file": (io.BytesIO(GOOD.encode()), "u.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and count(Unit) == 2
