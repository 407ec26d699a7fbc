"""Routes of the surveys domain in the role matrix."""

from __future__ import annotations

from tests.access import EVERYONE, Rule, World, allow

MANAGERS = allow("admin", "manager")
UNIT_A = allow("admin", "manager", "official_a")
STREAM = allow("admin", "manager", "official_a", "official_b")


def extend_world(world: World) -> None:
    from citizenvoice.extensions import db
    from citizenvoice.surveys import channels, services

    services.default_survey()
    version = services.version_for_point(world.point_a)
    rating = services.submit_rating(
        world.point_a,
        version,
        services.Submission(overall=2, comment="slow", nonce="world-nonce", is_honeypot=True),
    )
    _batch, codes = channels.create_ticket_batch(world.point_a, 2, None)
    kiosk, key = channels.create_kiosk(world.point_a, "Lobby tablet")
    db.session.flush()
    world.extra.update(
        survey_id=version.survey_id,
        rating=rating,
        flag=rating.flags[0] if rating.flags else None,
        ticket=codes[0],
        kiosk=kiosk,
        kiosk_key=key,
    )


RULES = {
    "surveys.rate": Rule(EVERYONE, params=lambda w: {"token": w.point_a.token}),
    "surveys.ticket": Rule(EVERYONE, params=lambda w: {"ticket": w.extra["ticket"]}),
    "surveys.thanks": Rule(EVERYONE, params=lambda w: {"nonce": "world-nonce"}),
    "surveys.follow_up": Rule(
        EVERYONE, params=lambda w: {"code": w.extra["rating"].follow_up_code}
    ),
}

RULES.update(
    {
        "surveys_manage.stream": Rule(STREAM),
        "surveys_manage.export_csv": Rule(STREAM),
        "surveys_manage.rating_detail": Rule(
            UNIT_A, params=lambda w: {"rating_id": w.extra["rating"].id}
        ),
        "surveys_manage.flags": Rule(MANAGERS),
        "surveys_manage.decide_flag": Rule(
            MANAGERS,
            params=lambda w: {"flag_id": w.extra["flag"].id},
            data=lambda w: {"decision": "clear", "reason": "checked the queue"},
        ),
    }
)

RULES.update(
    {
        "surveys_manage.points": Rule(STREAM),
        "surveys_manage.poster": Rule(UNIT_A, params=lambda w: {"point_id": w.point_a.id}),
        "surveys_manage.poster_sheet": Rule(UNIT_A, params=lambda w: {"unit_id": w.unit_a.id}),
        "surveys_manage.qr_png_download": Rule(UNIT_A, params=lambda w: {"point_id": w.point_a.id}),
        "surveys_manage.qr_svg_download": Rule(UNIT_A, params=lambda w: {"point_id": w.point_a.id}),
        "surveys_manage.regenerate": Rule(UNIT_A, params=lambda w: {"point_id": w.point_a.id}),
        "surveys_manage.tickets": Rule(
            UNIT_A, params=lambda w: {"point_id": w.point_a.id}, data=lambda w: {"size": "3"}
        ),
        "surveys_manage.kiosks": Rule(
            UNIT_A, params=lambda w: {"point_id": w.point_a.id}, data=lambda w: {"name": "Tab"}
        ),
        # Only a kiosk key opens the kiosk API; no persona's login does (403 JSON).
        "surveys_api.post_ratings": Rule(allow()),
    }
)

RULES.update(
    {
        "surveys_manage.surveys": Rule(MANAGERS, data=lambda w: {"code": "", "name": ""}),
        "surveys_manage.survey_detail": Rule(
            MANAGERS, params=lambda w: {"survey_id": w.extra["survey_id"]}
        ),
        "surveys_manage.question_save": Rule(
            MANAGERS,
            params=lambda w: {"survey_id": w.extra["survey_id"]},
            data=lambda w: {
                "prefix": "new",
                "new-code": "extra",
                "new-kind": "yes_no",
                "new-text": "Was the room clean?",
            },
        ),
        "surveys_manage.question_remove": Rule(
            MANAGERS,
            params=lambda w: {"survey_id": w.extra["survey_id"]},
            data=lambda w: {"code": "gifts"},
        ),
        "surveys_manage.survey_assign": Rule(
            MANAGERS,
            params=lambda w: {"survey_id": w.extra["survey_id"]},
            data=lambda w: {"point_id": w.point_a.id},
        ),
    }
)

RULES.update(
    {
        # Without a replied case the verdict is refused with 400 (the page re-renders).
        "surveys.follow_up_verdict": Rule(
            EVERYONE,
            params=lambda w: {"code": w.extra["rating"].follow_up_code},
            data=lambda w: {"verdict": "solved"},
        ),
    }
)
