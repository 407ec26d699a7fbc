"""The unit tree, service points and the service catalogue."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Enum, Float, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.core.db import utcnow
from citizenvoice.extensions import Model


class UnitKind(enum.StrEnum):
    GOVERNMENT = "government"
    DEPARTMENT = "department"
    BUREAU = "bureau"
    DISTRICT = "district"
    OFFICE = "office"


class Bilingual:
    """Names kept in English and Simplified Chinese; the page shows the reader's language."""

    name: str
    name_zh: str | None

    def display_name(self, lang: str) -> str:
        if lang == "zh" and self.name_zh:
            return self.name_zh
        return self.name


class Unit(Bilingual, Model):
    __tablename__ = "units"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short, stable public code used in URLs and imports (e.g. "market-regulation").
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(Enum(UnitKind, native_enum=False, length=20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    #: Deactivated units keep their history and ratings; they just stop taking new ones.
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")
    service_points: Mapped[list[ServicePoint]] = relationship(
        back_populates="unit", order_by="ServicePoint.name"
    )

    def audit_unit_id(self) -> int | None:
        return self.id

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


service_point_services = Table(
    "service_point_services",
    Model.metadata,
    Column("service_point_id", ForeignKey("service_points.id"), primary_key=True),
    Column("service_id", ForeignKey("services.id"), primary_key=True),
)


class Service(Bilingual, Model):
    __tablename__ = "services"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Service {self.code}>"


class ServicePoint(Bilingual, Model):
    __tablename__ = "service_points"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    #: Opening hours as JSON: {"mon": [["08:30", "12:00"], ["13:30", "17:30"]], ...}.
    opening_hours: Mapped[str] = mapped_column(Text, default="{}")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: The opaque, case-insensitive token behind the QR code (/s/<token>).
    token: Mapped[str] = mapped_column(String(16), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="service_points")
    services: Mapped[list[Service]] = relationship(
        secondary=service_point_services, order_by="Service.name"
    )

    def audit_unit_id(self) -> int | None:
        return self.unit_id

    def __repr__(self) -> str:
        return f"<ServicePoint {self.code}>"


class RetiredPointToken(Model):
    """A QR token that was replaced; its URL answers 410 instead of showing a form."""

    __tablename__ = "retired_point_tokens"

    token: Mapped[str] = mapped_column(String(16), primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)
