"""A small closed-loop HTTP load generator: processes × threads, one connection per thread.

Each client (a thread) sends its share of the requests one after the other on its own
``http.client`` connection, kept alive when the server allows it (gunicorn's sync workers
close it after each response; ``http.client`` then reconnects by itself). Every request has a
socket timeout and the whole run a deadline, so a stuck server cannot hang the benchmark.
Times come from ``time.perf_counter`` (CLOCK_MONOTONIC, comparable across processes).
"""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from dataclasses import dataclass, field

#: Connection errors are retried this many times (a phone re-sends the same form).
RETRIES = 2


@dataclass
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: keep the response body (form pages are parsed; posts only need status and headers)
    want_body: bool = False


@dataclass
class Result:
    index: int
    status: int  # 0: no response (connection error or timeout)
    started: float
    finished: float
    retries: int = 0
    location: str = ""
    set_cookies: list[str] = field(default_factory=list)
    body: bytes = b""
    error: str = ""

    @property
    def latency(self) -> float:
        return self.finished - self.started


@dataclass
class Run:
    results: list[Result]
    #: first start to last finish, seconds
    elapsed: float

    @property
    def completed(self) -> int:
        return sum(1 for r in self.results if r.status)

    @property
    def throughput(self) -> float:
        return self.completed / self.elapsed if self.elapsed > 0 else 0.0

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return dict(sorted(counts.items()))


def _send(conn: http.client.HTTPConnection, req: Request) -> http.client.HTTPResponse:
    headers = {"Host": "127.0.0.1", "User-Agent": "cv-bench/1", **req.headers}
    if req.body:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    conn.request(req.method, req.path, body=req.body or None, headers=headers)
    return conn.getresponse()


def _client(
    port: int,
    work: list[tuple[int, Request]],
    out: list[Result],
    deadline: float,
    timeout: float,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    for index, req in work:
        if time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        result = Result(index, 0, started, started)
        for attempt in range(RETRIES + 1):
            try:
                resp = _send(conn, req)
                body = resp.read()
                result.status = resp.status
                result.location = resp.getheader("Location") or ""
                result.set_cookies = resp.msg.get_all("Set-Cookie") or []
                if req.want_body:
                    result.body = body
                if resp.will_close:
                    conn.close()
                break
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                result.retries = attempt + 1
                result.error = f"{type(exc).__name__}: {exc}"
                if time.perf_counter() > deadline:
                    break
        result.finished = time.perf_counter()
        out.append(result)
    conn.close()


def _process(
    port: int,
    shares: list[list[tuple[int, Request]]],
    start_at: float,
    deadline: float,
    timeout: float,
    queue: multiprocessing.Queue,
) -> None:
    outs: list[list[Result]] = [[] for _ in shares]
    threads = [
        threading.Thread(target=_client, args=(port, share, out, deadline, timeout), daemon=True)
        for share, out in zip(shares, outs, strict=True)
    ]
    delay = start_at - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.perf_counter()) + timeout + 5)
    queue.put([r for out in outs for r in out])


def run(
    port: int,
    requests: list[Request],
    concurrency: int,
    processes: int = 2,
    time_limit: float = 300.0,
    timeout: float = 30.0,
) -> Run:
    """Send ``requests`` with ``concurrency`` clients spread over ``processes`` processes."""
    if not requests:
        return Run([], 0.0)
    concurrency = max(1, min(concurrency, len(requests)))
    processes = max(1, min(processes, concurrency))
    shares: list[list[tuple[int, Request]]] = [[] for _ in range(concurrency)]
    for index, req in enumerate(requests):
        shares[index % concurrency].append((index, req))
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    # Start everyone at the same instant, once the processes exist.
    start_at = time.perf_counter() + 0.3 + 0.05 * processes
    deadline = start_at + time_limit
    procs = [
        ctx.Process(
            target=_process,
            args=(port, shares[p::processes], start_at, deadline, timeout, queue),
            daemon=True,
        )
        for p in range(processes)
    ]
    for proc in procs:
        proc.start()
    results: list[Result] = []
    for _ in procs:
        results.extend(queue.get(timeout=time_limit + timeout + 60))
    for proc in procs:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    results.sort(key=lambda r: r.index)
    if not results:
        return Run([], 0.0)
    elapsed = max(r.finished for r in results) - min(r.started for r in results)
    return Run(results, elapsed)
