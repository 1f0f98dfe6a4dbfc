"""A real NetBox for the integration test and the benchmark: installed, migrated once, cloned per test.

NetBox 4.7 runs from PyPI in its own Python 3.12 virtualenv (fleetops runs 3.11), cached under
~/.cache/fleetops-netbox/<version>/ (FLEETOPS_NETBOX_CACHE moves it) so that only the first run pays the
pip install (~75 s). Its 336 migrations cost ~4.5 CPU-minutes: they run once, into a template database
whose dump is cached beside the venv; every later run restores the dump (seconds) and each test gets a
fresh `CREATE DATABASE ... TEMPLATE` copy (0.3 s) behind the same running server, which keeps no
connection open (CONN_MAX_AGE = 0). PostgreSQL (Debian's) and `redis-server` are private instances on
free ports, stopped by the PIDs started here.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.ports import free_port

VERSION = "4.7"
USER, PASSWORD = "admin", "fleetops-test-password"
CONFIGURATION = """
ALLOWED_HOSTS = ['*']
DATABASES = {{'default': {{'ENGINE': 'django.db.backends.postgresql', 'NAME': {db!r}, 'USER': 'postgres',
    'PASSWORD': '', 'HOST': {socket!r}, 'PORT': '{pg_port}', 'CONN_MAX_AGE': 0}}}}
REDIS = {{'tasks': {{'HOST': '127.0.0.1', 'PORT': {redis_port}, 'DATABASE': 0, 'SSL': False}},
    'caching': {{'HOST': '127.0.0.1', 'PORT': {redis_port}, 'DATABASE': 1, 'SSL': False}}}}
SECRET_KEY = 'fleetops-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz'
API_TOKEN_PEPPERS = {{1: 'fleetops-test-pepper-0123456789-abcdefghijklmnopqrstuvwxyz'}}
CENSUS_REPORTING_ENABLED = False
RELEASE_CHECK_URL = None
"""


class Unavailable(RuntimeError):
    """The machine lacks a piece (Python 3.12, PostgreSQL, redis-server): the caller skips, naming it."""


def _python312() -> str:
    found = shutil.which("python3.12") or next(
        iter(sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))), None
    )
    if found is None:
        raise Unavailable("no Python 3.12 (python3.12 or pyenv's 3.12) for NetBox's virtualenv")
    return found


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, args))} failed: {done.stderr[-2000:] or done.stdout[-2000:]}")
    return done.stdout


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One process at a time fills the cache (two test workers, a benchmark beside the tests)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def install(cache: Path | None = None) -> Path:
    """NetBox's venv, installed on first use; a marker says the install finished (else it is redone)."""
    root = cache or Path(os.environ.get("FLEETOPS_NETBOX_CACHE", "~/.cache/fleetops-netbox")).expanduser()
    venv = root / VERSION / "venv"
    with _locked(venv.parent):
        if not (venv / ".fleetops-installed").exists():
            shutil.rmtree(venv, ignore_errors=True)
            _run(_python312(), "-m", "venv", venv)
            _run(venv / "bin" / "pip", "install", "--quiet", f"netbox=={VERSION}.*")
            (venv / ".fleetops-installed").touch()
    return venv


@dataclass
class NetboxServer:
    venv: Path
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fleetops-netbox-")))
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    url: str = ""
    token: str = ""
    workers: int = 2  # gunicorn's: as many as the sync's batches in flight at once (bench/bench_assets.py)

    def start(self) -> None:
        self.pg_port, self.redis_port, self.port = free_port(), free_port(), free_port()
        self._postgres()
        self._spawn(
            "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", log="redis.log",
        )  # fmt: skip
        self.root = self.work / "root"
        _run(self.venv / "bin" / "python", self.venv / "bin" / "netbox", "setup", "--target", self.root)
        self._template()
        self.fresh()
        self._configure("netbox")
        self._spawn(
            self.venv / "bin" / "python", "-m", "gunicorn", "netbox.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--timeout", "300", "--no-control-socket", log="netbox.log",
            env=self._env(),
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait()

    def _postgres(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise Unavailable("Debian's postgresql is not installed: `make test` installs it")
        binary = Path(found[-1]).parent
        if shutil.which("redis-server") is None:
            raise Unavailable("redis-server is not installed: `make test` (scripts/testbed.sh) installs it")
        self.pg_dir = self.work / "pg"
        self.pg_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
            shutil.chown(self.pg_dir, "postgres")
        self.pg_bin = binary
        _run(*_as_postgres(), binary / "initdb", "-D", self.pg_dir / "data", "-U", "postgres", "--auth=trust")
        options = f"-p {self.pg_port} -k {self.pg_dir} -c listen_addresses='' -c fsync=off"
        _run(*_as_postgres(), binary / "pg_ctl", "-D", self.pg_dir / "data", "-l", self.pg_dir / "log", "-w",
             "-o", options, "start")  # fmt: skip

    def psql(self, sql: str) -> str:
        return _run(
            self.pg_bin / "psql", "-h", self.pg_dir, "-p", str(self.pg_port), "-U", "postgres", "-tAc", sql
        )

    def _template(self) -> None:
        """Restore the cached migrated database, or migrate once and cache its dump for the next runs."""
        exact = (
            _run(self.venv / "bin" / "python", self.venv / "bin" / "netbox", "version").strip().split()[-1]
        )
        dump = self.venv.parent / f"template-{exact}.dump"
        self.psql("CREATE DATABASE netbox_template")
        connect = ["-h", str(self.pg_dir), "-p", str(self.pg_port), "-U", "postgres", "-d", "netbox_template"]
        with _locked(dump.parent):
            if dump.exists():
                _run(self.pg_bin / "pg_restore", "--no-owner", *connect, dump)
                return
            self._configure("netbox_template")
            self.manage("migrate", "--no-input")
            env = self._env() | {"DJANGO_SUPERUSER_PASSWORD": PASSWORD}
            self.manage("createsuperuser", "--no-input", "--username", USER, "--email", "a@b.test", env=env)
            _run(self.pg_bin / "pg_dump", "-Fc", *connect, "-f", f"{dump}.partial")
            os.replace(f"{dump}.partial", dump)

    def fresh(self) -> None:
        """A new NetBox database cloned from the template (the server keeps no connection to drop)."""
        self.psql("DROP DATABASE IF EXISTS netbox WITH (FORCE)")
        self.psql("CREATE DATABASE netbox TEMPLATE netbox_template")
        if self.url:
            self._wait()

    def _configure(self, database: str) -> None:
        text = CONFIGURATION.format(
            db=database, socket=str(self.pg_dir), pg_port=self.pg_port, redis_port=self.redis_port
        )
        (self.root / "conf" / "configuration.py").write_text(text)

    def _env(self) -> dict[str, str]:
        return os.environ | {"NETBOX_ROOT": str(self.root), "DJANGO_SETTINGS_MODULE": "netbox.settings"}

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        return _run(self.venv / "bin" / "python", self.venv / "bin" / "netbox", *args, env=env or self._env())

    def _spawn(self, *args: str | Path, log: str, env: dict[str, str] | None = None) -> None:
        with open(self.work / log, "wb") as out:
            self.processes.append(
                subprocess.Popen([str(a) for a in args], stdout=out, stderr=subprocess.STDOUT, env=env)
            )

    def _wait(self, timeout: float = 120.0) -> None:
        """Until NetBox answers, then a v2 token provisioned for the admin of this database."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                answer = httpx.post(
                    f"{self.url}/api/users/tokens/provision/",
                    json={"username": USER, "password": PASSWORD},
                    timeout=30,
                )
                if answer.status_code == 201:
                    body = answer.json()
                    self.token = f"nbt_{body['key']}.{body['token']}"
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                log = (self.work / "netbox.log").read_text()[-3000:]
                raise RuntimeError(f"NetBox did not come up at {self.url}: {log}")
            time.sleep(0.5)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        if hasattr(self, "pg_bin"):
            subprocess.run(
                [*_as_postgres(), str(self.pg_bin / "pg_ctl"), "-D", str(self.pg_dir / "data"), "-m", "fast",
                 "-w", "stop"], capture_output=True,
            )  # fmt: skip
        shutil.rmtree(self.work, ignore_errors=True)
