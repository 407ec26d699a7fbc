"""Shared foundations: database base class, errors, security headers, i18n, time."""
