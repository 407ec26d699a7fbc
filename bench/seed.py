"""A small, realistic setup through the project's own services: a unit, its points, services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Office:
    unit_id: int
    unit_code: str
    #: (id, token) of each service point
    points: list[tuple[int, str]]
    version_id: int
    #: ids of the services every point offers
    service_ids: list[int]

    def point_services(self) -> list[tuple[int, list[int]]]:
        return [(point_id, list(self.service_ids)) for point_id, _token in self.points]


SERVICES = [
    ("business-licence", "Business licence", "营业执照"),
    ("residence-permit", "Residence permit", "居住证"),
    ("social-insurance", "Social insurance", "社会保险"),
]


def office(app: Any, points: int = 2, code: str = "civic-centre") -> Office:
    """A bureau with ``points`` service points offering three services, and the default survey."""
    from citizenvoice.extensions import db
    from citizenvoice.org import services as org
    from citizenvoice.org.models import UnitKind
    from citizenvoice.surveys import services as surveys

    with app.app_context():
        top = org.create_unit(f"{code}-gov", "City government", UnitKind.GOVERNMENT, None, "市政府")
        unit = org.create_unit(
            code, "Civic service centre", UnitKind.BUREAU, top.id, "市民服务中心"
        )
        service_ids = [org.create_service(c, n, z).id for c, n, z in SERVICES]
        made = []
        for n in range(points):
            fields = org.PointFields(
                name=f"Hall {n + 1}",
                name_zh=f"{n + 1}号大厅",
                address="1 People's Road",
                service_ids=service_ids,
            )
            point = org.create_point(unit.id, f"{code}-hall-{n + 1}", fields)
            made.append((point.id, point.token))
        version = surveys.current_version(surveys.default_survey())
        result = Office(unit.id, unit.code, made, version.id, service_ids)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result
