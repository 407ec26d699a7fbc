"""The demo city: ``flask --app citizenvoice demo`` builds it into an empty database.

Each domain adds its own part through a ``build_demo(city)`` function listed in DEMO_STEPS.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field

import click
from sqlalchemy import func, select

from citizenvoice.accounts import services as accounts
from citizenvoice.accounts.models import Role, User
from citizenvoice.audit.services import Actor, acting_as
from citizenvoice.extensions import db
from citizenvoice.org import services as org
from citizenvoice.org.models import Service, ServicePoint, Unit, UnitKind

DEMO_PASSWORD = "citizenvoice-demo"  # noqa: S105 (published demo password, demo data only)
#: Later domains append "module:function" entries; each receives the DemoCity.
DEMO_STEPS: list[str] = [
    "citizenvoice.surveys.demo:build_demo",
    "citizenvoice.indicators.demo:build_demo",
    "citizenvoice.evaluations.demo:build_demo",
    "citizenvoice.scoring.demo:build_demo",
    "citizenvoice.casework.demo:build_demo",
    "citizenvoice.inspections.demo:build_demo",
    "citizenvoice.disclosure.demo:build_demo",
    "citizenvoice.tips.demo:build_demo",
]

UNITS = [
    # code, English, Chinese, kind, parent
    ("city", "Riverside City Government", "河滨市人民政府", UnitKind.GOVERNMENT, None),
    ("service-centre", "Government Service Centre", "市政务服务中心", UnitKind.OFFICE, "city"),
    ("market", "Market Regulation Bureau", "市场监督管理局", UnitKind.BUREAU, "city"),
    ("public-security", "Public Security Bureau", "公安局", UnitKind.BUREAU, "city"),
    (
        "hrss",
        "Human Resources and Social Security Bureau",
        "人力资源和社会保障局",
        UnitKind.BUREAU,
        "city",
    ),
    ("civil-affairs", "Civil Affairs Bureau", "民政局", UnitKind.BUREAU, "city"),
    (
        "housing",
        "Housing and Urban-Rural Development Bureau",
        "住房和城乡建设局",
        UnitKind.BUREAU,
        "city",
    ),
    ("natural-resources", "Natural Resources Bureau", "自然资源局", UnitKind.BUREAU, "city"),
    ("health", "Health Commission", "卫生健康委员会", UnitKind.DEPARTMENT, "city"),
    ("medical-insurance", "Medical Insurance Bureau", "医疗保障局", UnitKind.BUREAU, "city"),
    ("transport", "Transport Bureau", "交通运输局", UnitKind.BUREAU, "city"),
    ("education", "Education Bureau", "教育局", UnitKind.BUREAU, "city"),
    ("east", "East District Government", "东城区人民政府", UnitKind.DISTRICT, "city"),
    ("west", "West District Government", "西城区人民政府", UnitKind.DISTRICT, "city"),
    ("north", "North District Government", "北城区人民政府", UnitKind.DISTRICT, "city"),
    ("east-street", "East District Street Offices", "东城区街道办事处", UnitKind.OFFICE, "east"),
]

SERVICES = [
    ("business-licence", "Business licence registration", "营业执照登记", "market"),
    ("food-permit", "Food business permit", "食品经营许可", "market"),
    ("household-registration", "Household registration transfer", "户口迁移", "public-security"),
    ("id-card", "Resident ID card application", "居民身份证办理", "public-security"),
    ("vehicle-registration", "Motor vehicle registration", "机动车登记", "public-security"),
    ("social-insurance", "Social insurance enrolment", "社会保险参保登记", "hrss"),
    ("pension", "Pension claims", "养老金申领", "hrss"),
    ("marriage", "Marriage registration", "婚姻登记", "civil-affairs"),
    ("living-allowance", "Minimum living allowance", "最低生活保障", "civil-affairs"),
    ("building-permit", "Construction permit", "建筑工程施工许可", "housing"),
    ("property-registration", "Real estate registration", "不动产登记", "natural-resources"),
    ("medical-reimbursement", "Medical insurance reimbursement", "医保报销", "medical-insurance"),
    ("birth-certificate", "Birth medical certificate", "出生医学证明", "health"),
    ("school-enrolment", "School enrolment", "入学登记", "education"),
    ("taxi-licence", "Taxi driver licence", "出租车驾驶员证", "transport"),
]

#: (unit code, number of service points)
POINTS = {
    "service-centre": 10,
    "market": 4,
    "public-security": 6,
    "hrss": 5,
    "civil-affairs": 4,
    "housing": 3,
    "natural-resources": 3,
    "health": 3,
    "medical-insurance": 4,
    "transport": 3,
    "education": 2,
    "east": 4,
    "west": 4,
    "north": 3,
    "east-street": 4,
}
HOURS = [
    "mon-fri 08:30-12:00,13:30-17:30",
    "mon-fri 09:00-17:00; sat 09:00-12:00",
    "mon-fri 08:00-18:00; sat-sun 09:00-16:00",
]

STAFF = [
    ("admin", "City administrator", Role.ADMIN, None),
    ("manager", "Performance Office manager", Role.MANAGER, None),
    ("official", "Market Regulation Bureau official", Role.UNIT_OFFICIAL, "market"),
    ("official-east", "East District official", Role.UNIT_OFFICIAL, "east"),
    ("evaluator", "Evaluator (People's Congress deputy)", Role.EVALUATOR, "health"),
    ("expert", "Performance management expert", Role.EXPERT, None),
    ("inspector", "Inspector", Role.INSPECTOR, "civil-affairs"),
]


@dataclass
class DemoCity:
    rng: random.Random
    units: dict[str, Unit] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    points: list[ServicePoint] = field(default_factory=list)
    staff: dict[str, User] = field(default_factory=dict)


def _build_org(city: DemoCity) -> None:
    for code, name, name_zh, kind, parent in UNITS:
        parent_id = city.units[parent].id if parent else None
        city.units[code] = org.create_unit(code, name, kind, parent_id, name_zh)
    for code, name, name_zh, _unit in SERVICES:
        city.services[code] = org.create_service(code, name, name_zh)
    window = 0
    for unit_code, count in POINTS.items():
        unit = city.units[unit_code]
        offered = [
            s for c, s in city.services.items() if {x[0]: x[3] for x in SERVICES}[c] == unit_code
        ]
        for n in range(1, count + 1):
            window += 1
            fields = org.PointFields(
                name=f"{unit.name} — window {n}",
                name_zh=f"{unit.name_zh} {n}号窗口",
                address=f"{window} Riverside Avenue",
                opening_hours=city.rng.choice(HOURS),
                service_ids=[
                    s.id for s in (offered or city.rng.sample(list(city.services.values()), 2))
                ],
            )
            city.points.append(org.create_point(unit.id, f"{unit_code}-{n}", fields))


def _build_staff(city: DemoCity) -> None:
    for username, display, role, unit_code in STAFF:
        unit_id = city.units[unit_code].id if unit_code else None
        # example.org is reserved for examples (RFC 2606): no demo e-mail reaches anyone.
        city.staff[username] = accounts.create_user(
            username, DEMO_PASSWORD, role, display, unit_id, email=f"{username}@example.org"
        )


def build_demo(seed: int = 2026, steps: list[str] | None = None) -> DemoCity:
    """Build the whole demo city (flushes; the caller commits)."""
    # Seeded so that the demo city is the same on every machine; not for security.
    city = DemoCity(rng=random.Random(seed))  # noqa: S311
    with acting_as(Actor(None, "cli:demo")):
        _build_org(city)
        _build_staff(city)
        for step in DEMO_STEPS if steps is None else steps:
            module, function = step.split(":")
            getattr(importlib.import_module(module), function)(city)
    return city


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(Unit.id)))


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
def demo_command(if_empty: bool) -> None:
    """Load the demo city (units, service points, staff accounts and each domain's data)."""
    if not database_is_empty():
        if if_empty:
            click.echo("The database already has data; the demo city was not loaded.")
            return
        raise click.ClickException("The database is not empty; the demo needs an empty database.")
    click.echo("Building the demo city…")
    city = build_demo()
    db.session.commit()
    click.echo(f"Demo city ready: {len(city.units)} units, {len(city.points)} service points.")
    click.echo(f"Staff accounts (password for all: {DEMO_PASSWORD}):")
    for username, display, role, _unit in STAFF:
        click.echo(f"  {username:<14} {role.value:<14} {display}")
