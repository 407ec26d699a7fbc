"""Real-browser test harness: Flask served on 127.0.0.1, Debian's Chromium driven by Playwright.

Playwright only drives ``/usr/bin/chromium`` (Debian package ``chromium``, installed by
``scripts/ensure-system-deps``); it never downloads a browser of its own.

Typical use in a test module::

    @pytest.fixture(scope="module")
    def playwright() -> Iterator[Playwright]:
        with playwright_session() as pw:
            yield pw

    def test_rating(app, playwright):
        with serve_app(app) as base_url, launch_chromium(playwright) as context:
            page = context.new_page()
            console = ConsoleCollector(page)
            page.goto(f"{base_url}/s/{token}")
            ...
            assert console.csp_violations == []
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

#: Debian's launcher script for the ``chromium`` package; CITIZENVOICE_CHROMIUM overrides it.
CHROMIUM_PATH = Path(os.environ.get("CITIZENVOICE_CHROMIUM", "/usr/bin/chromium"))

CHROMIUM_ARGS = (
    "--headless",
    # Tests run as root in containers, where Chromium's sandbox cannot start.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Nothing but 127.0.0.1 may be contacted: no update checks, no sync, no pings.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Debian's launcher decides this from free space in /dev/shm and fails to measure it
    # in containers; a small /dev/shm otherwise crashes renderers.
    "--disable-dev-shm-usage",
)

#: A mid-sized phone (390 × 844 CSS pixels at 3× density), touch input, mobile layout.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
#: A staff member's laptop.
DESKTOP: dict[str, Any] = {
    "viewport": {"width": 1366, "height": 768},
    "device_scale_factor": 1,
    "is_mobile": False,
    "has_touch": False,
}

#: Screenshots land here; the folder is created on first use and is git-ignored.
ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "artifacts"

_CSP_MARKERS = ("Content Security Policy", "Refused to")


def require_chromium() -> Path:
    """Return the Chromium path, or skip the test when it is missing (fail when CI=true)."""
    if CHROMIUM_PATH.is_file() and os.access(CHROMIUM_PATH, os.X_OK):
        return CHROMIUM_PATH
    reason = (
        f"Chromium not found at {CHROMIUM_PATH}: run scripts/ensure-system-deps "
        "(Debian packages chromium and zbar-tools)"
    )
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@contextmanager
def playwright_session() -> Iterator[Playwright]:
    """Start Playwright's sync API after checking that Chromium is installed."""
    require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1 on a free port in a background thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-wsgi-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def launch_browser(playwright: Playwright) -> Browser:
    """Launch Debian's Chromium headless; one browser can host many contexts."""
    return playwright.chromium.launch(
        executable_path=require_chromium(),
        headless=True,
        args=list(CHROMIUM_ARGS),
    )


def new_context(
    browser: Browser, javascript_enabled: bool = True, viewport: dict[str, Any] | None = None
) -> BrowserContext:
    """Open a fresh context (own cookies and storage) with the given device preset."""
    device = PHONE if viewport is None else viewport
    return browser.new_context(java_script_enabled=javascript_enabled, **device)


@contextmanager
def launch_chromium(
    playwright: Playwright, javascript_enabled: bool = True, viewport: dict[str, Any] | None = None
) -> Iterator[BrowserContext]:
    """Launch Chromium and yield one context (a phone unless ``viewport`` says otherwise).

    The browser is closed on exit.
    """
    browser = launch_browser(playwright)
    try:
        context = new_context(browser, javascript_enabled, viewport)
        try:
            yield context
        finally:
            context.close()
    finally:
        browser.close()


@dataclass
class ConsoleCollector:
    """Records a page's console messages and uncaught errors from the moment it is created."""

    page: Page
    #: (type, text) of every console message, e.g. ("error", "Refused to execute …").
    messages: list[tuple[str, str]] = field(default_factory=list)
    #: messages of uncaught exceptions thrown by page scripts.
    page_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._record_message)
        self.page.on("pageerror", self._record_error)

    def _record_message(self, message: ConsoleMessage) -> None:
        self.messages.append((message.type, message.text))

    def _record_error(self, error: PlaywrightError) -> None:
        self.page_errors.append(error.message)

    @property
    def csp_violations(self) -> list[str]:
        """Console messages in which Chromium reports a Content Security Policy violation."""
        return [text for _, text in self.messages if any(m in text for m in _CSP_MARKERS)]

    @property
    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions together."""
        return [text for kind, text in self.messages if kind == "error"] + self.page_errors


def save_screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """Save a PNG screenshot of ``page`` as tests/artifacts/<name>.png and return its path."""
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "screenshot"
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{safe_name}.png"
    page.screenshot(path=path, full_page=full_page)
    return path
