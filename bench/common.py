"""Shared plumbing: throw-away databases, the app's settings, gunicorn servers, small statistics.

Every database the benchmark makes is its own: a file under a fresh temporary directory
(SQLite) or a PostgreSQL database named ``cv_bench_<random>``, dropped at the end.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DB_PREFIX = "cv_bench_"
#: One secret per benchmark run: the bench process forges nothing with it, but both the
#: app servers and the in-process apps must agree on it.
SECRET_KEY = secrets.token_urlsafe(48)
RUN_ID = secrets.token_hex(4)


class BenchError(RuntimeError):
    """A case cannot run (a server did not start, a database is unreachable)."""


# ---- databases ------------------------------------------------------------------------------


@dataclass
class Database:
    """A throw-away database: ``url`` for SQLAlchemy, ``dsn`` for the raw driver."""

    kind: str  # "sqlite" or "postgresql"
    url: str
    name: str
    path: Path | None = None
    _tmpdir: str | None = field(default=None, repr=False)

    @property
    def dsn(self) -> str:
        """psycopg connection string (PostgreSQL) or file path (SQLite)."""
        if self.kind == "sqlite":
            assert self.path is not None
            return str(self.path)
        return self.url.replace("postgresql+psycopg://", "postgresql://", 1)

    def drop(self) -> None:
        if self.kind == "sqlite":
            if self._tmpdir:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
            return
        _pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _pg_admin(sql: str) -> None:
    import psycopg

    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def pg_reachable() -> bool:
    try:
        _pg_admin("SELECT 1")
    except Exception:
        return False
    return True


def new_database(kind: str, label: str) -> Database:
    """An empty database of ``kind``; ``label`` shows in its name."""
    name = f"{DB_PREFIX}{label}_{RUN_ID}_{secrets.token_hex(3)}"
    if kind == "sqlite":
        tmpdir = tempfile.mkdtemp(prefix=name + "_")
        path = Path(tmpdir) / "bench.sqlite"
        return Database("sqlite", f"sqlite:///{path}", name, path, tmpdir)
    if kind != "postgresql":
        raise ValueError(kind)
    _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return Database("postgresql", f"{base}/{name}", name)


@contextlib.contextmanager
def database(kind: str, label: str, keep: bool = False) -> Iterator[Database]:
    db = new_database(kind, label)
    try:
        yield db
    finally:
        if not keep:
            db.drop()


# ---- the application's settings -------------------------------------------------------------


def app_settings(db: Database) -> dict[str, Any]:
    """Settings of the app under test: production mode, real rate limits raised for the load.

    The survey limits are the ones the surveys views read (``SURVEY_*_LIMIT``); the load comes
    from one address, so the per-address limits are raised; the per-device limit stays as
    configured because every simulated phone has its own device cookie and rates once.
    ``SURVEY_MIN_SECONDS`` is 0 because the simulated phones answer faster than people do.
    """
    from cryptography.fernet import Fernet

    return {
        "DATABASE_URL": db.url,
        "SECRET_KEY": SECRET_KEY,
        "PRODUCTION": True,
        "WORKERS": 4,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"cv_bench_{RUN_ID}",
        "SURVEY_IP_LIMIT": "10000000 per hour",
        "SURVEY_PAGE_LIMIT": "10000000 per hour",
        "SURVEY_MIN_SECONDS": "0",
        "TIPS_KEY": Fernet.generate_key().decode(),
        "TIPS_RECEIPT_KEY": secrets.token_urlsafe(48),
        "BASE_URL": "https://ratings.example-city.gov.cn",
    }


def app_environment(settings: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZENVOICE_")}
    for key, value in settings.items():
        env["CITIZENVOICE_" + key] = "1" if value is True else "0" if value is False else str(value)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def make_app(db: Database, **extra: Any) -> Any:
    """An in-process app on ``db`` (for seeding and for single-client timings)."""
    from citizenvoice import create_app

    settings = app_settings(db)
    settings.update(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_ENABLED=False, WORKERS=1)
    settings.update(extra)
    return create_app(settings)


def create_schema(db: Database) -> None:
    """The schema as a city's database gets it: ``flask db upgrade``, the migrations in order.

    Not ``create_all``: it creates a table's indexes in no fixed order, and on a table without
    statistics PostgreSQL's planner breaks a cost tie between two indexes by that order (the
    repeat-device check would read the point's index in some runs and not in others). Run as
    the CLI in a process of its own, whose logging setup stays out of the benchmark's.
    """
    env = app_environment(app_settings(db))
    command = [sys.executable, "-m", "flask", "--app", "citizenvoice", "db", "upgrade"]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"flask db upgrade failed: {done.stderr[-2000:]}")


# ---- gunicorn -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A gunicorn master with ``workers`` sync workers on ``port`` (by default a free one)."""

    def __init__(self, app_spec: str, env: dict[str, str], workers: int, label: str, port: int = 0):
        self.port = port or free_port()
        self.label = label
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix=f"cv_bench_{label}_", suffix=".log", delete=False
        )
        command = [
            GUNICORN,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            app_spec,
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, path: str = "/", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.label} server exited: {self.tail()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", path)
                status = conn.getresponse().status
                if status < 500:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise BenchError(f"{self.label} server not ready after {timeout:.0f} s: {self.tail()}")

    def tail(self, lines: int = 20) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def errors(self) -> list[str]:
        """Tracebacks and errors the workers logged (an empty log is the goal)."""
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace")
        return [line for line in text.splitlines() if "Error" in line or "Traceback" in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


@contextlib.contextmanager
def server(app_spec: str, env: dict[str, str], workers: int, label: str) -> Iterator[Server]:
    srv = Server(app_spec, env, workers, label)
    try:
        yield srv
    finally:
        srv.stop()


# ---- small statistics -----------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return percentile(values, 50)


def clock() -> float:
    return time.perf_counter()
