"""Demo data of the surveys domain: the default survey and a year of ratings.

About 100,000 ratings across the city's service points with office-hour and weekday rhythm,
clearly better and worse units, comments (a few with phone numbers, masked), contact details,
and two planted abuse patterns that end up flagged. Rows go in with Core ``insert()``
executemany in chunks; rollups are then rebuilt with one GROUP BY.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, insert, select, text

from citizenvoice.casework.services import INTEGRITY_QUESTION
from citizenvoice.core.db import utcnow
from citizenvoice.extensions import db
from citizenvoice.integrity.masking import mask_personal_data
from citizenvoice.org.models import ServicePoint
from citizenvoice.surveys import services
from citizenvoice.surveys.models import (
    FlagKind,
    FlagStatus,
    Question,
    QuestionKind,
    Rating,
    RatingAnswer,
    RatingContact,
    RatingFlag,
)
from citizenvoice.surveys.qr import TOKEN_ALPHABET
from citizenvoice.surveys.rollups import recompute_rollups

DAYS = 365
#: Ratings a point gets on an ordinary weekday, on average.
WEEKDAY_MEAN = 6.2
WEEKDAY_FACTOR = [1.1, 1.0, 1.0, 1.0, 0.9, 0.3, 0.12]
#: Local office hours (UTC+8) with two peaks; stored times are naive UTC.
HOUR_WEIGHTS = {9: 3, 10: 5, 11: 4, 12: 1, 13: 1, 14: 4, 15: 5, 16: 3, 17: 1}
UTC_OFFSET = 8
CHUNK = 5000
#: Mean satisfaction per unit (0..1); the rest are drawn at random between 0.55 and 0.8.
QUALITY = {
    "service-centre": 0.9,
    "medical-insurance": 0.85,
    "east-street": 0.82,
    "housing": 0.45,
    "natural-resources": 0.5,
    "public-security": 0.62,
}
GOOD_COMMENTS = [
    "Quick and friendly, thank you.",
    "The staff explained everything clearly.",
    "Done in one visit, very efficient.",
    "工作人员很热情，办事效率高。",
    "一次就办好了，非常满意。",
    "流程清楚，等候时间短。",
]
BAD_COMMENTS = [
    "Waited almost two hours and the window closed early.",
    "Nobody told me which documents to bring; I have to come back again.",
    "The staff member was on the phone the whole time.",
    "等了两个小时，窗口还提前下班。",
    "材料要求说不清楚，跑了三趟。",
    "工作人员态度冷淡。",
]
PHONE_COMMENTS = [
    "Please call me back on 139 1234 5678, my case is still open.",
    "请回电 13812345678，我的材料被退回了。",
    "My number is +86 138-0013-8000, nobody answered the hotline.",
]


# ---- how the demo's citizens rate (the benchmark's simulated phones rate the same way) ------


def citizen_level(rng: random.Random, quality: float) -> int:
    """Overall level 1..5 drawn around ``quality`` (0 = awful, 1 = excellent)."""
    score = min(max(rng.gauss(quality, 0.2), 0.0), 0.999)
    return 1 + int(score * 5)


Asked = TypeVar("Asked", bound="QuestionLike")
Chosen = TypeVar("Chosen")


class QuestionLike(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def kind(self) -> QuestionKind: ...


def citizen_answers(
    rng: random.Random, overall: int, questions: Iterable[Asked]
) -> list[tuple[Asked, int]]:
    """The questions a citizen who rated ``overall`` answers, with the answers: many answer
    only the overall question and most skip one now and then; the levels follow the overall
    one, and few report being asked for gifts or fees (the integrity question)."""
    if rng.random() < 0.35:  # many people answer only the overall question
        return []
    answered = []
    for question in questions:
        if rng.random() < 0.15:
            continue
        if question.kind is QuestionKind.SCALE:
            value = min(max(overall + rng.choice((-1, 0, 0, 0, 1)), 1), 5)
        elif question.code == INTEGRITY_QUESTION:
            value = 1 if rng.random() < 0.004 * (6 - overall) else 0
        else:
            value = 1 if rng.random() < 0.2 + 0.15 * overall else 0
        answered.append((question, value))
    return answered


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _code(rng: random.Random) -> str:
    return "".join(rng.choice(TOKEN_ALPHABET) for _ in range(services.FOLLOW_UP_LENGTH))


def _moment(rng: random.Random, day: date) -> datetime:
    hours, weights = zip(*HOUR_WEIGHTS.items(), strict=True)
    local_hour = rng.choices(hours, weights)[0]
    local = datetime.combine(day, datetime.min.time()) + timedelta(
        hours=local_hour, minutes=rng.randrange(60), seconds=rng.randrange(60)
    )
    return local - timedelta(hours=UTC_OFFSET)


class Builder:
    """Collects rows for Core inserts; ids are assigned here so answers can refer to them."""

    def __init__(self, rng: random.Random, version_id: int, questions: list[Question]) -> None:
        self.rng = rng
        self.version_id = version_id
        self.questions = questions
        self.next_id = (db.session.scalar(select(func.max(Rating.id))) or 0) + 1
        self.ratings: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.flags: list[dict[str, Any]] = []

    def rating(self, point: ServicePoint, moment: datetime, overall: int, **kw: Any) -> int:
        rng = self.rng
        comment = kw.pop("comment", None)
        contact = kw.pop("contact", None)
        flag = kw.pop("flag", None)
        rating_id = self.next_id
        self.next_id += 1
        services_ = kw.pop("services", None) or []
        self.ratings.append(
            {
                "id": rating_id,
                "service_point_id": point.id,
                "service_id": getattr(citizen_service(rng, services_), "id", None),
                "survey_version_id": self.version_id,
                "overall": overall,
                "created_at": moment,
                "is_verified": False,
                "is_counted": flag is None,
                "has_contact": contact is not None,
                "comment": comment,
                "comment_masked": mask_personal_data(comment) if comment else None,
                "follow_up_code": _code(rng) if comment or contact else None,
                "device_hash": kw.pop("device_hash", None) or _hex(rng),
                "ip_hash": kw.pop("ip_hash", None) or _hex(rng),
                "answered_seconds": kw.pop("answered_seconds", round(rng.uniform(12, 150), 1)),
                "nonce": None,
                "ticket_id": None,
                "kiosk_id": None,
                "client_id": None,
            }
        )
        self._answers(rating_id, overall)
        if contact:
            self.contacts.append(
                {"rating_id": rating_id, "name": "", "details": contact, "consented_at": moment}
            )
        if flag is not None:
            self.flags.append(
                {
                    "rating_id": rating_id,
                    "kind": flag,
                    "status": FlagStatus.OPEN,
                    "created_at": moment,
                    "reason": "",
                }
            )
        return rating_id

    def _answers(self, rating_id: int, overall: int) -> None:
        for question, value in citizen_answers(self.rng, overall, self.questions):
            self.answers.append(
                {"rating_id": rating_id, "question_id": question.id, "value": value}
            )

    def write(self) -> None:
        connection = db.session.connection()
        for model, rows in (
            (Rating, self.ratings),
            (RatingAnswer, self.answers),
            (RatingContact, self.contacts),
            (RatingFlag, self.flags),
        ):
            for chunk in _chunks(rows):
                # Core executemany on the connection: one statement per chunk, no ORM work.
                connection.execute(insert(model), chunk)
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('ratings', 'id'), :last)"),
                {"last": self.next_id - 1},
            )
        db.session.flush()


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def citizen_comment(rng: random.Random, overall: int) -> str | None:
    """The comment a citizen who rated ``overall`` leaves, if any (more often after a bad
    visit; a few give a phone number, which the platform masks)."""
    if rng.random() > (0.16 if overall <= 2 else 0.05):
        return None
    if rng.random() < 0.03:
        return rng.choice(PHONE_COMMENTS)
    return rng.choice(BAD_COMMENTS if overall <= 3 else GOOD_COMMENTS)


def citizen_contact(rng: random.Random, overall: int) -> str | None:
    """The phone number a citizen leaves for a reply, if any (a few after a bad visit)."""
    if overall <= 2 and rng.random() < 0.1:
        return f"13{rng.randrange(10**9):09d}"
    return None


def citizen_service(rng: random.Random, offered: Sequence[Chosen]) -> Chosen | None:
    """The service a citizen says they came for, among those ``offered``; most say."""
    return rng.choice(offered) if offered and rng.random() < 0.7 else None


def _ordinary(builder: Builder, point: ServicePoint, quality: float, today: date) -> None:
    rng = builder.rng
    ip_pool = [_hex(rng) for _ in range(40)]  # a point's visitors share a few networks
    for offset in range(DAYS, 0, -1):
        day = today - timedelta(days=offset)
        season = 1 + 0.15 * math.sin(2 * math.pi * day.timetuple().tm_yday / 365)
        for _ in range(_poisson(rng, WEEKDAY_MEAN * WEEKDAY_FACTOR[day.weekday()] * season)):
            overall = citizen_level(rng, quality)
            comment = citizen_comment(rng, overall)
            contact = citizen_contact(rng, overall)
            builder.rating(
                point,
                _moment(rng, day),
                overall,
                comment=comment,
                contact=contact,
                ip_hash=rng.choice(ip_pool),
                services=list(point.services),
            )


def _abuse(builder: Builder, points: list[ServicePoint], today: date) -> None:
    """One device rating one point 20 times in a day; a burst of identical top ratings."""
    rng = builder.rng
    target, burst_point = points[len(points) // 3], points[2 * len(points) // 3]
    day = today - timedelta(days=12)
    device, start = _hex(rng), datetime.combine(day, datetime.min.time()) + timedelta(hours=2)
    for n in range(20):
        builder.rating(
            target,
            start + timedelta(minutes=17 * n),
            5,
            device_hash=device,
            flag=None if n == 0 else FlagKind.DUPLICATE_DEVICE,
        )
    ip, start = _hex(rng), start + timedelta(days=3)
    for n in range(40):
        builder.rating(
            burst_point,
            start + timedelta(seconds=11 * n),
            5,
            ip_hash=ip,
            answered_seconds=round(rng.uniform(1.0, 2.5), 1),
            flag=FlagKind.BURST,
        )


def build_demo(city: Any) -> None:
    """The default survey and about 100,000 ratings over the past year (flushes)."""
    survey = services.default_survey()
    version = services.current_version(survey)
    questions = list(version.questions)
    builder = Builder(city.rng, version.id, questions)
    today = utcnow().date()
    qualities = {code: QUALITY.get(code, city.rng.uniform(0.55, 0.8)) for code in city.units}
    code_of = {unit.id: code for code, unit in city.units.items()}
    for point in city.points:
        _ordinary(builder, point, qualities[code_of[point.unit_id]], today)
    _abuse(builder, city.points, today)
    builder.write()
    recompute_rollups()
