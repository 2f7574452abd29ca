"""Browser fixtures: the real application served by uvicorn on a free loopback port, and
Debian's Chromium driven by Playwright (never Playwright's own downloaded browsers).

`scripts/test` installs Debian's `chromium` when it is missing and the machine allows it; when
it could not, it says why in RELANCE_CHROMIUM_INSTALL and the browser tests are skipped with
that reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WEB_DAY, WEB_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--lang=fr-FR"]   # French date fields (jj/mm/aaaa), as a French user sees them
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


class LiveServer:
    """The application under uvicorn in a background thread, on 127.0.0.1 and a free port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.socket]}, daemon=True)

    def start(self) -> LiveServer:
        """Start serving and wait until the server accepts requests."""
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop serving (open keep-alive connections are closed too)."""
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, for the whole session (skipped, with the reason, when
    it is absent and could not be installed)."""
    executable = chromium_path()
    if executable is None:
        reason = os.environ.get("RELANCE_CHROMIUM_INSTALL") or (
            "installation non tentée (lancez scripts/test, qui installe le paquet Debian "
            "« chromium » quand la machine le permet)")
        pytest.skip(f"Chromium absent ({CHROMIUM}) et installation impossible : {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live(web: Any) -> Iterator[LiveServer]:
    """The real application on the test database (companies ACME and BETA, users admin,
    collector, readonly and beta), working date pinned to WEB_DAY, served over HTTP."""
    from relance.entrypoints.web.app import create_app

    server = LiveServer(create_app(web.engine, on=date.fromisoformat(WEB_DAY))).start()
    yield server
    server.stop()


@pytest.fixture
def page(chromium: Any, live: LiveServer) -> Iterator[Any]:
    """A fresh browser tab (own cookies) on the live server, French locale, laptop size."""
    context = chromium.new_context(base_url=live.url, locale="fr-FR",
                                   viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors
    yield tab
    context.close()


def sign_in(tab: Any, username: str = "admin", password: str = WEB_PASSWORD) -> None:
    """Sign in through the real form and land on the company's dashboard."""
    tab.goto("/connexion")
    tab.fill("#identifiant", username)
    tab.fill("#mot_de_passe", password)
    tab.get_by_role("button", name="Se connecter").click()
    tab.wait_for_url("**/c/*/")


def screenshot(tab: Any, name: str, full_page: bool = True) -> Path:
    """Save a PNG of the current page (whole, or what the screen shows) under
    test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=full_page)
    return path
