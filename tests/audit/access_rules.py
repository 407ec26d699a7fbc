from tests.access import Rule, allow

RULES = {
    "audit_manage.trail": Rule(allow("admin", "manager", "official_a", "official_b", "inspector")),
    "audit_manage.verify": Rule(allow("admin", "manager", "inspector")),
}
