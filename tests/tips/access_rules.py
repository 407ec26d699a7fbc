from tests.access import EVERYONE, Rule, allow

TIP_STAFF = allow("admin", "manager", "inspector")
MANAGERS = allow("admin", "manager")


def extend_world(world):
    from citizenvoice.tips import services
    from citizenvoice.tips.services import Evidence

    tip, receipt = services.submit_tip(
        world.unit_a.id,
        "The satisfaction rate of 99% was typed in by hand.",
        "satisfaction 99%",
        evidence=[Evidence("txt", b"register extract")],
    )
    world.extra["tip"] = tip
    world.extra["receipt"] = receipt


def _tip(w):
    return {"tip_id": w.extra["tip"].id}


RULES = {
    "tips.new": Rule(EVERYONE),
    "tips.follow_up": Rule(EVERYONE),
    "tips.reply": Rule(EVERYONE),
    "tips_manage.tips": Rule(TIP_STAFF),
    "tips_manage.detail": Rule(TIP_STAFF, params=_tip),
    "tips_manage.assign": Rule(
        MANAGERS, params=_tip, data=lambda w: {"investigator": w.users["inspector"].id}
    ),
    "tips_manage.status": Rule(TIP_STAFF, params=_tip, data=lambda w: {"status": "triaged"}),
    "tips_manage.note": Rule(TIP_STAFF, params=_tip, data=lambda w: {"body": "Check the log."}),
    "tips_manage.message": Rule(TIP_STAFF, params=_tip, data=lambda w: {"body": "Which weeks?"}),
    "tips_manage.evidence": Rule(
        TIP_STAFF, params=lambda w: {**_tip(w), "file_id": w.extra["tip"].files[0].id}
    ),
}
