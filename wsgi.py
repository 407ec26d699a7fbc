"""gunicorn entry point: ``gunicorn wsgi:app``."""

from citizenvoice import create_app

app = create_app()
