"""The load and fault tier's plumbing, on top of ``bench/`` (gunicorn, the load generator, forms).

A test builds a *stack*: a throw-away database with the schema and a small office
(``bench.seed``), and a gunicorn with several workers serving the real app on a free local
port. Simulated phones fetch the survey page (device cookie, session, signed form token) and
post their answers; a phone whose post is not acknowledged re-sends **the same body** (the
same form nonce), as a browser re-submitting the form does. The database is then compared
with the acknowledgements.

Faults are injected from a forked helper process (``Background``) so that the test process
itself never forks while it has threads of its own.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench import common, forms, loadgen, seed

WORKERS = 4
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
#: Statuses after which a phone re-sends the same form: no answer, bad gateway, unavailable.
RETRYABLE = {0, 502, 503, 504}
#: Seconds gunicorn may take to answer after a (re)start on a busy two-core machine.
READY_LIMIT = 120.0
#: Test counts are multiplied by this (``LOAD_SCALE=0.05`` while developing a test).
SCALE = float(os.environ.get("LOAD_SCALE", "1"))


def scaled(count: int, least: int = 20) -> int:
    return max(least, round(count * SCALE))


def fault_settings() -> dict[str, Any]:
    """Settings for fault tests: a phone may re-send its form a few dozen times in an hour."""
    return {"SURVEY_DEVICE_LIMIT": "100 per hour"}


# ---- the stack ------------------------------------------------------------------------------


@dataclass
class Stack:
    db: common.Database
    office: seed.Office
    settings: dict[str, Any]
    server: common.Server | None = None
    #: every server started on this stack, for the final clean-up
    servers: list[common.Server] = field(default_factory=list)

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    @property
    def tokens(self) -> list[str]:
        return [token for _id, token in self.office.points]

    @property
    def point_ids(self) -> list[int]:
        return [point_id for point_id, _token in self.office.points]

    def start(self, port: int = 0) -> common.Server:
        """Start gunicorn (again, on ``port`` when given) and wait until it answers."""
        env = common.app_environment(self.settings)
        self.server = common.Server("wsgi:app", env, WORKERS, f"load-{self.db.kind}", port)
        self.servers.append(self.server)
        self.server.wait_ready("/healthz", timeout=READY_LIMIT)
        return self.server

    def log_text(self) -> str:
        """Everything the servers of this stack logged so far."""
        parts = []
        for srv in self.servers:
            srv.log.flush()
            parts.append(Path(srv.log.name).read_text(errors="replace"))
        return "\n".join(parts)

    def close(self) -> None:
        for srv in self.servers:
            with contextlib.suppress(Exception):
                srv.stop()
        self.db.drop()


def build_stack(db: common.Database, points: int = 4, **settings: Any) -> Stack:
    """Schema and an office of ``points`` service points on ``db``; the server is not started."""
    app = common.make_app(db)
    common.create_schema(db)
    office = seed.office(app, points=points)
    return Stack(db, office, {**common.app_settings(db), **settings})


# ---- phones ---------------------------------------------------------------------------------


def fetch_posts(
    stack: Stack, count: int, concurrency: int, time_limit: float = 300.0
) -> list[loadgen.Request]:
    """``count`` fresh phones open the survey (spread over the points) and fill it in."""
    rng = random.Random(count)
    tokens = stack.tokens
    gets = [
        loadgen.Request("GET", f"/s/{tokens[n % len(tokens)]}", want_body=True)
        for n in range(count)
    ]
    run = loadgen.run(stack.port, gets, concurrency, time_limit=time_limit)
    statuses = run.statuses()
    assert statuses == {200: count}, f"survey pages: {statuses}"
    posts = []
    for result in run.results:
        page = forms.parse(result.body)
        assert page.action.lower().startswith("/s/"), page.action
        headers = {"Cookie": forms.cookie_header(result.set_cookies)}
        posts.append(loadgen.Request("POST", page.action, forms.answers(page, rng), headers))
    return posts


def nonce_of(result: loadgen.Result) -> str:
    return result.location.rsplit("/thanks/", 1)[1] if "/thanks/" in result.location else ""


@dataclass
class Posting:
    """Every answer each phone got, attempt after attempt, for one list of posts."""

    posts: list[loadgen.Request]
    #: per post, its results in order (one per attempt)
    attempts: list[list[loadgen.Result]]

    @classmethod
    def of(cls, posts: list[loadgen.Request]) -> Posting:
        return cls(posts, [[] for _ in posts])

    def final(self, index: int) -> loadgen.Result | None:
        return self.attempts[index][-1] if self.attempts[index] else None

    def pending(self) -> list[int]:
        """Posts not answered yet or answered with a status worth a re-send."""
        return [
            n
            for n, tries in enumerate(self.attempts)
            if not tries or (tries[-1].status in RETRYABLE)
        ]

    def acknowledged(self) -> list[str]:
        """The nonce of each post whose last answer was the thank-you redirect."""
        finals = [self.final(n) for n in range(len(self.posts))]
        return [nonce_of(r) for r in finals if r is not None and r.status == 303 and nonce_of(r)]

    def extend(self, other: Posting) -> None:
        """Add another group of phones (and their answers) to this one."""
        self.posts.extend(other.posts)
        self.attempts.extend(other.attempts)

    def record_results(self, chosen: list[int], results: list[loadgen.Result]) -> None:
        for result in results:
            self.attempts[chosen[result.index]].append(result)

    def all_results(self) -> list[loadgen.Result]:
        return [r for tries in self.attempts for r in tries]

    def statuses(self) -> dict[int, int]:
        """Statuses of every attempt."""
        counts: dict[int, int] = {}
        for r in self.all_results():
            counts[r.status] = counts.get(r.status, 0) + 1
        return dict(sorted(counts.items()))

    def send(
        self,
        port: int,
        concurrency: int,
        indices: list[int] | None = None,
        time_limit: float = 300.0,
    ) -> loadgen.Run:
        """One round: send the posts ``indices`` (all by default) and record the answers."""
        chosen = list(range(len(self.posts))) if indices is None else indices
        run = loadgen.run(port, [self.posts[n] for n in chosen], concurrency, time_limit=time_limit)
        self.record_results(chosen, run.results)
        return run

    def retry(
        self,
        port: Callable[[], int],
        concurrency: int,
        deadline: float,
        pause: float = 0.5,
    ) -> int:
        """Re-send what is pending, round after round, until nothing is or ``deadline``."""
        rounds = 0
        while (pending := self.pending()) and time.monotonic() < deadline:
            time.sleep(pause)
            left = max(5.0, deadline - time.monotonic())
            self.send(port(), concurrency, pending, time_limit=left)
            rounds += 1
        return rounds


# ---- what the database holds ----------------------------------------------------------------


@dataclass
class Tally:
    planned: int
    acknowledged: int
    rows: int
    distinct_nonces: int
    lost: int  # acknowledged nonces without a row
    unacknowledged_rows: int  # rows whose post never got its thank-you page
    counted: int
    in_rollups: int
    statuses: dict[int, int]

    @property
    def duplicated(self) -> int:
        return self.rows - self.distinct_nonces

    def figures(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "acknowledged": self.acknowledged,
            "rows": self.rows,
            "duplicated": self.duplicated,
            "lost": self.lost,
            "unacknowledged_rows": self.unacknowledged_rows,
            "counted": self.counted,
            "in_rollups": self.in_rollups,
            "statuses": {str(k): v for k, v in self.statuses.items()},
        }

    def assert_exact(self) -> None:
        """Every post acknowledged once, each acknowledgement one row, counted and rolled up."""
        figures = self.figures()
        assert self.acknowledged == self.planned, figures
        assert self.rows == self.planned, figures
        assert self.duplicated == 0, figures
        assert self.lost == 0 and self.unacknowledged_rows == 0, figures
        assert self.counted == self.rows == self.in_rollups, figures
        assert not [s for s in self.statuses if s >= 500 and s not in RETRYABLE], figures


def tally(stack: Stack, posting: Posting) -> Tally:
    acked = posting.acknowledged()
    engine = create_engine(stack.db.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT nonce, is_counted FROM ratings")).all()
            rolled = conn.execute(
                text("SELECT COALESCE(SUM(ratings), 0) FROM rating_rollups")
            ).scalar_one()
    finally:
        engine.dispose()
    nonces = {row[0] for row in rows}
    return Tally(
        planned=len(posting.posts),
        acknowledged=len(acked),
        rows=len(rows),
        distinct_nonces=len(nonces),
        lost=len(set(acked) - nonces),
        unacknowledged_rows=len(nonces - set(acked)),
        counted=sum(1 for row in rows if row[1]),
        in_rollups=int(rolled),
        statuses=posting.statuses(),
    )


def count_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM ratings")).scalar_one())
    finally:
        engine.dispose()


def wait_for_rows(url: str, rows: int, timeout: float = 120.0) -> int:
    """Poll until the database holds ``rows`` ratings (the load is well under way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = count_rows(url)
        if found >= rows:
            return found
        time.sleep(0.1)
    raise TimeoutError(f"fewer than {rows} ratings after {timeout:.0f} s")


def point_codes(stack: Stack) -> list[str]:
    engine = create_engine(stack.db.url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT code FROM service_points ORDER BY id")).scalars())
    finally:
        engine.dispose()


def error_lines(stack: Stack, most: int = 8) -> list[str]:
    """The distinct errors the servers logged (without their time stamps), for a failure."""
    seen: dict[str, None] = {}
    for line in stack.log_text().splitlines():
        if " ERROR " in line or "Traceback" in line:
            seen.setdefault(line.split(" ERROR ", 1)[-1][:300], None)
    return list(seen)[:most]


def tracebacks(stack: Stack) -> list[str]:
    return [line for line in stack.log_text().splitlines() if "Traceback" in line]


# ---- faults from a helper process -----------------------------------------------------------


def _background_main(fn: Callable[..., Any], args: tuple[Any, ...], queue: Any) -> None:
    try:
        queue.put(("ok", fn(*args)))
    except BaseException as exc:  # reported to the test, which fails with it
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


class Background:
    """``fn(*args)`` in a forked process; ``result()`` is what it returned (picklable)."""

    def __init__(self, fn: Callable[..., Any], *args: Any):
        ctx = multiprocessing.get_context("fork")
        self._queue = ctx.Queue()
        self._process = ctx.Process(target=_background_main, args=(fn, args, self._queue))
        self._process.start()

    def result(self, timeout: float) -> Any:
        try:
            kind, value = self._queue.get(timeout=timeout)
        finally:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
        if kind != "ok":
            raise AssertionError(f"background step failed: {value}")
        return value


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(Path(stat).parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting for its parent to reap it does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode(errors="replace")
    finally:
        conn.close()


# ---- a Redis and a PostgreSQL of the test's own ---------------------------------------------


class OwnRedis:
    """``redis-server`` on a free port, without persistence, stopped by ``stop()``."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.port = common.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), *options, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait()

    def _wait(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                with contextlib.suppress(redis.RedisError):
                    if client.ping():
                        return
                time.sleep(0.1)
        finally:
            client.close()
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _pg_bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class OwnPostgres:
    """A PostgreSQL cluster made with initdb in a temporary folder, on a free port.

    Run as the ``postgres`` user when the tests run as root (PostgreSQL refuses root).
    ``stop()``, ``start()`` and ``destroy()`` are safe to call from any process.
    """

    def __init__(self) -> None:
        bindir = _pg_bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL server binaries (initdb) are not installed")
        self.bindir = bindir
        self.port = common.free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cv_load_pg_"))
        self.data = self.dir / "data"
        self.logfile = self.dir / "postgres.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.admin_dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")
            self.start()
        except BaseException:
            self.destroy()
            raise

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [*self._as, str(self.bindir / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
            " -c max_connections=100 -c fsync=off -c shared_buffers=32MB"
        )
        data = str(self.data)
        self._run("pg_ctl", "-D", data, "-l", str(self.logfile), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def database(self, label: str) -> common.Database:
        import psycopg

        name = f"cv_load_{label}_{common.RUN_ID}"
        with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"
        return common.Database("postgresql", url, name)

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            if self.running():
                self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- figures --------------------------------------------------------------------------------


#: The figures recorded in this run, printed at the end of it (``pytest_terminal_summary``).
RECORDED: dict[str, dict[str, Any]] = {}


def record(name: str, figures: dict[str, Any]) -> None:
    """Merge ``figures`` under ``name`` into tests/artifacts/load.json and print them."""
    RECORDED[name] = figures
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "load.json"
    data: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text())
    data[name] = {**figures, "scale": SCALE, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"\n{name}: {json.dumps(figures, sort_keys=True)}")


@contextlib.contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    times: dict[str, float] = {}
    started = time.monotonic()
    try:
        yield times
    finally:
        times["seconds"] = round(time.monotonic() - started, 1)
