from tests.access import Rule, allow

RULES = {
    "accounts_manage.users": Rule(allow("admin")),
    "accounts_manage.user_new": Rule(allow("admin")),
    "accounts_manage.user_edit": Rule(
        allow("admin"),
        params=lambda w: {"user_id": w.users["evaluator"].id},
        data=lambda w: {"display_name": "Evaluator", "email": "evaluator@example.org"},
    ),
    "accounts_manage.user_active": Rule(
        allow("admin"), params=lambda w: {"user_id": w.users["evaluator"].id}
    ),
}
