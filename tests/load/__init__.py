"""The load and fault tier (``make test-slow``): gunicorn, PostgreSQL and Redis on 127.0.0.1."""
