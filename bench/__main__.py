"""``python -m bench [--only NAME[,NAME]] [--quick] [--db sqlite|postgresql|both]``.

Runs the benchmark cases, writes ``bench/results/latest.json`` and ``latest.md`` and prints the
summary. Each case runs in turn (never two loads at once); a failing case is recorded as an
error and the others still run. See ``bench/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common

RESULTS = Path(__file__).resolve().parent / "results"
CASES = [
    "throughput",
    "throughput_uniform",
    "dashboard",
    "unit_load",
    "recompute",
    "page_weight",
    "qr",
]
#: The throughput cases and the mix of answers each one's phones post (``throughput.MIXES``).
THROUGHPUT_MIXES = {"throughput": "city", "throughput_uniform": "uniform"}
#: Cases that use a database each time they run, and on which databases by default.
DEFAULT_DATABASES = {
    "throughput": ("sqlite", "postgresql"),
    "throughput_uniform": ("sqlite", "postgresql"),
    "dashboard": ("sqlite", "postgresql"),
    "unit_load": ("sqlite", "postgresql"),
    # A 2,000-unit city runs on PostgreSQL; ``--db sqlite`` measures SQLite too.
    "recompute": ("postgresql",),
}


def log(message: str) -> None:
    print(message, flush=True)


def _case(name: str, kind: str | None, quick: bool) -> dict[str, Any]:
    if name in THROUGHPUT_MIXES:
        from bench import throughput

        return throughput.run(str(kind), quick, log, THROUGHPUT_MIXES[name])
    if name == "dashboard":
        from bench import dashboard

        return dashboard.run(str(kind), quick, log)
    if name == "unit_load":
        from bench import readers

        return readers.run(str(kind), quick, log)
    if name == "recompute":
        from bench import recompute

        return recompute.run(str(kind), quick, log)
    if name == "page_weight":
        from bench import page

        return page.page_weight()
    if name == "qr":
        from bench import page

        return page.qr_versions()
    raise ValueError(name)


def _databases(name: str, choice: str) -> list[str | None]:
    if name not in DEFAULT_DATABASES:
        return [None]
    if choice == "both":
        return list(DEFAULT_DATABASES[name])
    return [choice]


def _timed(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.monotonic()
    try:
        result = call()
    except Exception as exc:
        result = {
            "status": "error",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=6).splitlines()[-8:],
            "met": False,
        }
    result["case_seconds"] = round(time.monotonic() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help="comma-separated cases: " + ", ".join(CASES))
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (seconds, for development)"
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    names = CASES if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    pg = common.pg_reachable()
    started = time.monotonic()
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": "quick" if args.quick else "full",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "cases": {},
    }
    for name in names:
        for kind in _databases(name, args.db):
            key = f"{name}.{kind}" if kind else name
            log(f"{key} ({report['mode']}) …")
            if kind == "postgresql" and not pg:
                report["cases"][key] = {"status": "skipped", "reason": "PostgreSQL unreachable"}
                continue
            result = _timed(functools.partial(_case, name, kind, args.quick))
            report["cases"][key] = result
            log(f"{key}: {headline(key, result)}  [{result['case_seconds']} s]")
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["total_seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    summary = markdown(report)
    (RESULTS / "latest.md").write_text(summary)
    log("")
    log(summary)
    return 0


def headline(key: str, r: dict[str, Any]) -> str:
    """One line: the figure, its goal and whether it is met."""
    status = r.get("status")
    if status in ("error", "skipped"):
        return f"{status.upper()}: {r.get('error') or r.get('reason')}"
    name = key.split(".")[0]
    if name in THROUGHPUT_MIXES:
        lat = r["latency_ms"]["real"]
        c = r["checks"]["real"]
        cases = r["workload"]["opening_a_case"]
        return (
            f"real {r['real_rps']}/s vs bare {r['bare_rps']}/s = {r['ratio']} (goal {r['goal']});"
            f" {r['mix']} mix, {round(100 * cases)}% of posts opened a case;"
            f" real p50 {lat['p50']} ms p99 {lat['p99']} ms;"
            f" rows {c['rows']} = acknowledged {c['acknowledged']}, lost {c['lost']},"
            f" duplicated {c['duplicated']}, 5xx {c['status_5xx']}"
        )
    if name == "dashboard":
        s = r["stand_in"]
        stand_in = (
            f"stand-in rollup query {s['rollup_query_ratio']}×"
            f" ({s['rollup_query_ms']['big']} vs {s['rollup_query_ms']['small']} ms),"
            f" raw scan {s['raw_scan_ratio']}×"
        )
        if status == "pending":
            return f"PENDING (no /units/ page yet); {stand_in}"
        return (
            f"{r['page']}: {r['median_ms']['big']} vs {r['median_ms']['small']} ms ="
            f" {r['ratio']}× (goal {r['goal']}); {stand_in}"
        )
    if name == "unit_load":
        srv, cli = r["server_ms"], r["client_ms"]
        return (
            f"{r['page']} with {r['ratings']} ratings, {r['readers']} readers on"
            f" {r['workers']} workers: server p95 {srv['p95']} ms (p50 {srv['p50']}, p99"
            f" {srv['p99']}); readers' p95 {cli['p95']} ms; {r['pages_per_s']} pages/s;"
            f" statuses {r['statuses']}"
        )
    if name == "recompute":
        if status == "pending":
            return f"PENDING ({r.get('reason')}); data ready: {r['load']['ratings']} ratings"
        return (
            f"compute_cycle {r['compute_seconds']} s for {r['units']} units ×"
            f" {r['indicators']} indicators × {r['ratings']} ratings ="
            f" {r['ratings_per_s']} ratings/s; {r['ratio_to_raw_scan']}× one raw scan"
        )
    if name == "page_weight":
        return (
            f"{r['total_bytes']} bytes (HTML {r['html_bytes']} + CSS"
            f" {sum(r['css_bytes'].values())}; {r['total_gzip_bytes']} gzipped),"
            f" scripts {len(r['scripts'])} (goal {r['goal']})"
        )
    if name == "qr":
        return (
            f"version {r['version_at_40_chars']} at M for a 40-character base URL"
            f" (goal {r['goal']})"
        )
    return json.dumps(r)[:200]


def _met(r: dict[str, Any]) -> str:
    if r.get("status") in ("pending", "skipped"):
        return r["status"]
    if r.get("status") == "error":
        return "error"
    met = r.get("met")
    return "—" if met is None else "yes" if met else "**no**"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# CitizenVoice benchmark results",
        "",
        f"Run {report['started_at']} ({report['mode']} sizes), {report['total_seconds']} s,"
        f" {report['machine']['cpus']} CPUs, load average"
        f" {report['machine']['load_average_at_start'][0]} → "
        f"{report['machine']['load_average_at_end'][0]}. Every figure is a ratio or a count"
        " measured side by side in this run; see bench/README.md.",
        "",
        "| Case | Result | Met |",
        "|---|---|---|",
    ]
    for key, r in report["cases"].items():
        lines.append(f"| {key} | {headline(key, r).replace('|', '/')} | {_met(r)} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
