"""Real components, started by the tests themselves and stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ports import free_port


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@dataclass
class Server:
    url: str
    admin_token: str
    database_url: str


@pytest.fixture(scope="module")
def fleetops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`fleetops demo` as a user runs it: migrate, seed 700 nodes, serve on a free port."""
    port = free_port()
    db_url = f"sqlite:///{tmp_path_factory.mktemp('server') / 'fleetops.db'}"
    env = os.environ | {
        "FLEETOPS_DATABASE_URL": db_url,
        "FLEETOPS_PORT": str(port),
        "FLEETOPS_LOG_JSON": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "fleetops.cli.main", "demo", "--nodes", "700"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    token = ""
    for raw in process.stdout:
        line = raw.decode().strip()
        if line.startswith("fo_"):
            token = line
            break
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/login", process)
        yield Server(url, token, db_url)
    finally:
        process.terminate()
        process.wait(10)


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("Debian chromium is not installed: `make test` installs it")
    return path


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (`executable_path`: Playwright never downloads a browser)."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def sign_in(browser: Any, server: Server, token: str | None = None) -> Any:
    """A new page, signed in at /login the way a person does (an anonymous visit is sent there first)."""
    page = browser.new_page()
    page.goto(f"{server.url}/")
    assert page.url.endswith("/login")
    page.fill("#token", token or server.admin_token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return page


@contextlib.contextmanager
def sushy_emulator(directory: Path, systems: int, **settings: object) -> Iterator[str]:
    """`sushy-emulator --fake` on a free port: `systems` fake systems, all Off, plus `SUSHY_EMULATOR_*`
    settings (e.g. `FEATURE_SET="minimum"`, a BMC without managers or virtual media). Yields its URL."""
    fake = [
        {
            "uuid": f"00000000-0000-0000-0000-{i:012d}",
            "name": f"node{i:03d}",
            "power_state": "Off",
            "external_notifier": False,
            "nics": [{"mac": f"00:5c:52:31:3a:{i:02x}", "ip": f"10.0.0.{i}"}],
        }
        for i in range(systems)
    ]
    settings = {"FAKE_SYSTEMS": fake, "STATE_DIR": str(directory / "state"), **settings}
    lines = [f"SUSHY_EMULATOR_{name} = {value!r}" for name, value in settings.items()]
    config = directory / "emulator.conf"
    config.write_text("\n".join(lines) + "\n")
    port = free_port()
    binary = Path(sys.executable).parent / "sushy-emulator"
    with open(directory / "emulator.log", "wb") as log:
        process = subprocess.Popen(
            [str(binary), "--fake", "-i", "127.0.0.1", "-p", str(port), "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/redfish/v1/Systems", process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
