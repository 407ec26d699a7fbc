"""Public disclosure: dashboards, unit and service-point pages, open data, publication record."""
