"""Security checks of ``make security``: bandit on our code, pip-audit on ``requirements.lock``.

Accepted findings live in ``pyproject.toml`` under ``[tool.citizenvoice.security]``, each with
its reason; an accepted entry that no longer matches anything fails too, so the list stays true.

    python scripts/security.py bandit   # 0 medium/high findings beyond the accepted ones
    python scripts/security.py audit    # 0 known vulnerabilities in the locked versions

The audit runs pip-audit against PyPI. When the registry does not serve the per-version JSON
that pip-audit reads (some mirrors only serve ``/pypi/<name>/json``), the packages pip-audit
had to skip are looked up there instead: that document lists the advisories of the project's
latest release, which answers exactly for a package pinned at its latest release; a package
pinned below it is named as not audited, loudly. PyPI unreachable fails under ``CI=true`` and
warns elsewhere (a laptop offline should still be able to run the tests).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCK = ROOT / "requirements.lock"
PYPI = os.environ.get("CITIZENVOICE_PYPI_JSON", "https://pypi.org/pypi")
IS_CI = os.environ.get("CI") == "true"


def settings() -> dict[str, Any]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(pyproject.get("tool", {}).get("citizenvoice", {}).get("security", {}))


# ---- bandit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    test: str
    severity: str
    text: str
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.test} {self.severity}: {self.text}"


def bandit_findings() -> tuple[list[Finding], int]:
    """Medium and high findings, and the number of low ones."""
    command = [str(BIN / "bandit"), "-r", ".", "-c", "pyproject.toml", "-f", "json", "-q"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode not in (0, 1) or not done.stdout.strip():
        sys.exit(f"bandit did not run: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    if report.get("errors"):
        sys.exit(f"bandit could not read some files: {report['errors']}")
    found: list[Finding] = []
    low = 0
    for item in report["results"]:
        if item["issue_severity"] == "LOW":
            low += 1
            continue
        path = os.path.relpath(item["filename"], ROOT)
        lines = (ROOT / path).read_text().splitlines()
        source = lines[item["line_number"] - 1] if item["line_number"] <= len(lines) else ""
        found.append(
            Finding(
                path,
                item["line_number"],
                item["test_id"],
                item["issue_severity"],
                item["issue_text"],
                source,
            )
        )
    return found, low


def check_bandit() -> int:
    accepted = settings().get("bandit_accepted", [])
    found, low = bandit_findings()
    used: set[int] = set()
    new: list[Finding] = []
    for finding in found:
        match = next(
            (
                n
                for n, entry in enumerate(accepted)
                if entry["path"] == finding.path
                and entry["test"] == finding.test
                and entry["line_contains"] in finding.source
            ),
            None,
        )
        if match is None:
            new.append(finding)
        else:
            used.add(match)
    stale = [entry for n, entry in enumerate(accepted) if n not in used]
    print(
        f"bandit: {len(found)} medium/high findings ({len(found) - len(new)} accepted with a"
        f" reason in pyproject.toml), {low} low"
    )
    for finding in new:
        print(f"  NEW {finding}\n      {finding.source.strip()}")
    for entry in stale:
        print(f"  STALE accepted entry matches nothing: {entry['path']} {entry['test']}")
    if new or stale:
        print(
            "bandit: fix the code, or accept the finding in [tool.citizenvoice.security]"
            " bandit_accepted with its reason"
        )
        return 1
    return 0


# ---- pip-audit ----------------------------------------------------------------------------


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in LOCK.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.strip()] = version.strip()
    return pins


def pip_audit(ignored: dict[str, str]) -> dict[str, Any] | None:
    """pip-audit's JSON report on the lock, or None when it could not reach PyPI."""
    command = [
        str(BIN / "pip-audit"),
        "-r",
        str(LOCK),
        "--no-deps",  # every line of the lock is pinned; nothing to resolve
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "--timeout",
        "30",
    ]
    for vuln in ignored:
        command += ["--ignore-vuln", vuln]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        return dict(json.loads(done.stdout))
    except json.JSONDecodeError:
        print(f"pip-audit failed: {done.stderr.strip()[-2000:]}")
        return None


def latest_release(name: str) -> tuple[str, list[dict[str, Any]]]:
    """The project's latest version on PyPI and that release's advisories."""
    url = f"{PYPI}/{name}/json"
    if not url.startswith("https://"):
        raise ValueError(f"not an https URL: {url}")
    # nosec B310: the scheme is checked just above (https only)
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  # nosec B310
        document = json.load(response)
    return str(document["info"]["version"]), list(document.get("vulnerabilities") or [])


def unreachable(reason: str) -> int:
    print(f"pip-audit: PyPI is not reachable ({reason}): the dependencies were NOT audited")
    if IS_CI:
        return 1
    print("pip-audit: not a failure outside CI; CI (CI=true) fails on this")
    return 0


def check_audit() -> int:
    ignored = dict(settings().get("audit_ignore", {}))
    pins = locked()
    report = pip_audit(ignored)
    if report is None:
        return unreachable("pip-audit could not run")
    vulnerable: list[str] = []
    skipped: list[str] = []
    audited = 0
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped.append(dep["name"])
            continue
        audited += 1
        vulnerable += [f"{dep['name']} {dep['version']}: {v['id']}" for v in dep["vulns"]]
    by_latest = 0
    behind: list[str] = []
    for name in skipped:
        try:
            latest, advisories = latest_release(name)
        except (OSError, urllib.error.URLError, ValueError, KeyError) as exc:
            return unreachable(f"{name}: {exc}")
        version = pins.get(name, "")
        if version != latest:
            behind.append(f"{name}=={version} (latest {latest})")
            advisories = []  # the latest release's list says nothing certain about ours
        else:
            by_latest += 1
        for advisory in advisories:
            ids = {advisory.get("id", ""), *advisory.get("aliases", [])}
            if not advisory.get("withdrawn") and not ids & set(ignored):
                vulnerable.append(f"{name} {version}: {advisory.get('id')}")
    print(
        f"pip-audit: {len(pins)} locked packages; {audited} audited by pip-audit,"
        f" {by_latest} through PyPI's project document (pinned at the latest release),"
        f" {len(behind)} not audited; {len(ignored)} accepted advisories"
    )
    for vuln, reason in ignored.items():
        print(f"  accepted {vuln}: {reason}")
    if behind:
        print(
            "  WARNING not audited (the registry serves no per-version advisories and these are"
            " pinned below their latest release): " + ", ".join(behind)
        )
    for line in vulnerable:
        print(f"  VULNERABLE {line}")
    if vulnerable:
        print(
            "pip-audit: upgrade the pin (`make lock` after the upgrade), or accept the advisory"
            " in [tool.citizenvoice.security] audit_ignore with its reason"
        )
        return 1
    print("pip-audit: no known vulnerabilities in the audited packages")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=["bandit", "audit"])
    args = parser.parse_args()
    return check_bandit() if args.check == "bandit" else check_audit()


if __name__ == "__main__":
    raise SystemExit(main())
