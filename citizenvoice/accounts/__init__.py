"""Staff accounts, roles, login and the staff home."""
