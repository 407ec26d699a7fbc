from tests.access import EVERYONE, STAFF, Rule

RULES = {
    "static": Rule(EVERYONE, params=lambda w: {"filename": "css/site.css"}),
    "core.home": Rule(EVERYONE),
    "core.health": Rule(EVERYONE),
    "accounts.login": Rule(EVERYONE),
    "accounts.logout": Rule(STAFF),
    "manage_home.index": Rule(STAFF),
}
