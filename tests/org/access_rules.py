from tests.access import Rule, allow

MANAGERS = allow("admin", "manager")
UNIT_A = allow("admin", "manager", "official_a")

RULES = {
    "org_manage.units": Rule(allow("admin", "manager", "official_a", "official_b")),
    "org_manage.unit_detail": Rule(UNIT_A, params=lambda w: {"unit_id": w.unit_a.id}),
    "org_manage.unit_new": Rule(MANAGERS),
    "org_manage.unit_edit": Rule(MANAGERS, params=lambda w: {"unit_id": w.unit_a.id}),
    "org_manage.unit_active": Rule(MANAGERS, params=lambda w: {"unit_id": w.unit_a.id}),
    "org_manage.point_new": Rule(UNIT_A, query=lambda w: {"unit": w.unit_a.id}),
    "org_manage.point_edit": Rule(UNIT_A, params=lambda w: {"point_id": w.point_a.id}),
    "org_manage.point_active": Rule(UNIT_A, params=lambda w: {"point_id": w.point_a.id}),
    "org_manage.service_list": Rule(MANAGERS),
    "org_manage.service_new": Rule(MANAGERS),
    "org_manage.service_edit": Rule(MANAGERS, params=lambda w: {"service_id": w.service.id}),
    "org_manage.import_csv": Rule(MANAGERS),
}
