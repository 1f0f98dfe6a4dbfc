"""The console end to end: a server over a fleet the test made (no simulator worker changing it), and
the checks every page passes in Chromium at 1440×900 (no horizontal overflow, no console error)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fleetops.auth.choices import Role
from fleetops.auth.service import create_token
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from tests.integration.conftest import Server, wait_for_http
from tests.ports import free_port

WIDTH, HEIGHT = 1440, 900


@contextlib.contextmanager
def quiet_server(directory: Path, fill: Callable[[Database], Any]) -> Iterator[tuple[Server, Any]]:
    """`fleetops serve --no-worker` over a database `fill` made; yields the server and what `fill` made."""
    url = f"sqlite:///{directory / 'fleetops.db'}"
    database = Database(url)
    upgrade(database)
    made = fill(database)
    with database.transaction() as session:
        admin = create_token(session, "test", name="console-admin", role=Role.ADMIN).token
    database.dispose()
    port = free_port()
    env = os.environ | {
        "FLEETOPS_DATABASE_URL": url,
        "FLEETOPS_PORT": str(port),
        "FLEETOPS_SIMULATE": "true",
        "FLEETOPS_LOG_JSON": "false",
    }
    with open(directory / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "fleetops.cli.main", "serve", "--no-worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/login", process)
            yield Server(f"http://127.0.0.1:{port}", admin, url), made
        finally:
            process.terminate()
            process.wait(10)


def watched_page(browser: Any, server: Server, token: str | None = None) -> tuple[Any, list[str]]:
    """A signed-in 1440×900 page, and the list its console errors and failed requests collect in."""
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    page.goto(f"{server.url}/login")
    page.fill("#token", token or server.admin_token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return page, errors


def overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scroll bar)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
