"""Host security scans the agent runs itself: `oscap` with a CIS profile, `lynis`, `trivy rootfs`.

Daily (the schedule survives restarts, as qualification's does), and only while no workload holds a GPU,
in a thread of their own so the 30 s health cycle goes on. Each scanner found on the PATH writes its file
into `<spool>/scans/`; each cycle uploads what is waiting there (kept until the control plane answers, so
an outage loses nothing). A scanner that is not installed, or that fails, is reported as such to the
control plane: never as a clean scan, and the node's scan freshness does not improve.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from fleetops import clock
from fleetops.agent.qualify import WeeklySchedule, gpus_idle
from fleetops.wire import GpuReading

log = logging.getLogger("fleetops.agent.scans")
IMPORTS_PATH = "/api/v1/security/imports"
ABSENCES_PATH = "/api/v1/security/absences"
DATASTREAM = "/usr/share/xml/scap/ssg/content/ssg-ubuntu2204-ds.xml"
PROFILE = "xccdf_org.ssgproject.content_profile_cis_level1_server"
DAY_S = 86400.0


@dataclass(frozen=True)
class HostScanner:
    """How to run one scanner: its binary, its command line writing to `out`, the exit codes that mean
    the scan completed (oscap: 2 = some rule failed, a completed scan)."""

    name: str  # the control plane's scanner name
    binary: str
    argv: Callable[[Path, Path], list[str]]  # (binary path, output file) -> command
    suffix: str
    completed: tuple[int, ...] = (0,)
    timeout_s: float = 1800.0


def openscap(profile: str = PROFILE, datastream: str = DATASTREAM) -> HostScanner:
    """`oscap` evaluating `profile` of the SCAP `datastream`: the agent's `--scan-profile` and
    `--scan-datastream` (FLEETOPS_AGENT_SCAN_*); by default CIS Level 1 server of SSG's Ubuntu 22.04
    content. The control plane judges hardening by `security.profile`: the two must name the same."""
    return HostScanner(
        "openscap",
        "oscap",
        lambda exe, out: [
            str(exe),
            "xccdf",
            "eval",
            "--profile",
            profile,
            "--results-arf",
            str(out),
            datastream,
        ],
        ".arf.xml",
        completed=(0, 2),
    )


LYNIS = HostScanner(
    "lynis",
    "lynis",
    lambda exe, out: [
        str(exe),
        "audit",
        "system",
        "--quick",
        "--no-colors",
        "--report-file",
        str(out),
        "--log-file",
        str(out.with_suffix(".log")),
    ],
    ".report.dat",
)
TRIVY = HostScanner(
    "trivy",
    "trivy",
    lambda exe, out: [
        str(exe),
        "rootfs",
        "--quiet",
        "--scanners",
        "vuln",
        "--format",
        "json",
        "--output",
        str(out),
        "/",
    ],
    ".json",
)


def host_scanners(profile: str = PROFILE, datastream: str = DATASTREAM) -> tuple[HostScanner, ...]:
    return (openscap(profile, datastream), LYNIS, TRIVY)


SCANNERS = host_scanners()


@dataclass(frozen=True)
class Outcome:
    scanner: str
    status: str  # "done", "absent" or "failed"
    detail: str = ""
    path: Path | None = None


def run_scanner(
    scanner: HostScanner, directory: Path, which: Callable[[str], str | None] = shutil.which
) -> Outcome:
    """Run one scanner into `directory`; absent and failed are outcomes, not exceptions."""
    exe = which(scanner.binary)
    if exe is None:
        return Outcome(scanner.name, "absent", f"{scanner.binary} not found on PATH")
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    out = directory / f"{scanner.name}-{stamp}{scanner.suffix}"
    try:
        done = subprocess.run(
            scanner.argv(Path(exe), out),
            capture_output=True,
            text=True,
            timeout=scanner.timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Outcome(scanner.name, "failed", f"{scanner.binary}: {exc}")
    if done.returncode not in scanner.completed or not out.exists():
        tail = (done.stderr or done.stdout).strip()[-300:]
        out.unlink(missing_ok=True)
        return Outcome(scanner.name, "failed", f"{scanner.binary} exited {done.returncode}: {tail}")
    return Outcome(scanner.name, "done", path=out)


class HostScans:
    """The daily scan run and the upload of its results, driven by the agent loop's `tick`."""

    def __init__(
        self,
        server: str,
        token: str,
        spool_dir: Path,
        every_s: float = DAY_S,
        scanners: Sequence[HostScanner] = SCANNERS,
        client: httpx.Client | None = None,
    ) -> None:
        self.server, self.scanners = server.rstrip("/"), scanners
        self.directory = spool_dir / "scans"
        self.schedule = WeeklySchedule(spool_dir.parent / "security-scans.json", every_s)
        self.client = client or httpx.Client(timeout=httpx.Timeout(120.0, connect=5.0))
        self.headers = {"Authorization": f"Bearer {token}"}
        self.absences: list[Outcome] = []
        self.running: threading.Thread | None = None
        self._lock = threading.Lock()

    def tick(self, gpus: list[GpuReading]) -> None:
        """Start the day's scans when due and the GPUs are idle; send whatever is waiting."""
        if self.running is None or not self.running.is_alive():
            if self.schedule.due(clock.now()) and gpus_idle(gpus):
                self.schedule.mark(clock.now())
                self.running = threading.Thread(target=self.scan, name="host-scans", daemon=True)
                self.running.start()
            else:
                self.upload()

    def scan(self) -> list[Outcome]:
        self.directory.mkdir(parents=True, exist_ok=True)
        outcomes = [run_scanner(scanner, self.directory) for scanner in self.scanners]
        with self._lock:
            self.absences += [o for o in outcomes if o.status != "done"]
        for outcome in outcomes:
            log.info("scan %s: %s %s", outcome.scanner, outcome.status, outcome.detail)
        return outcomes

    def upload(self) -> int:
        """Send waiting files and absences; keep them when the control plane cannot be reached."""
        sent = 0
        for path in sorted(self.directory.glob("*")) if self.directory.is_dir() else []:
            scanner = path.name.split("-", 1)[0]
            if path.suffix == ".log" or scanner not in {s.name for s in self.scanners}:
                continue
            params = {"scanner": scanner, "filename": path.name}
            if self._post(IMPORTS_PATH, params=params, content=path.read_bytes()):
                path.unlink()
                path.with_suffix(".log").unlink(missing_ok=True)
                sent += 1
        with self._lock:
            waiting, self.absences = self.absences, []
        for outcome in waiting:
            body = {"scanner": outcome.scanner, "status": outcome.status, "detail": outcome.detail}
            if self._post(ABSENCES_PATH, json=body):
                sent += 1
            else:
                with self._lock:
                    self.absences.append(outcome)
        return sent

    def _post(self, path: str, **kwargs: object) -> bool:
        """True when the control plane took it or refused it for good (a refusal is kept there)."""
        try:
            response = self.client.post(self.server + path, headers=self.headers, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            log.warning("scan upload to %s failed: %s", path, exc)
            return False
        if response.status_code >= 500 or response.status_code in (401, 408, 429):
            log.warning("scan upload to %s: HTTP %s, kept for the next cycle", path, response.status_code)
            return False
        return True
