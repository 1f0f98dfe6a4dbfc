"""What a GPU node gains from the fleetops-agent distribution over `pip install fleetops`: bytes installed,
distributions installed, install time and the agent's start-up import time, each in a fresh venv.
The import is timed alternately in the two venvs, so both see the same load from other work on the
machine, as wall time and as the interpreter's CPU time (user + system, less sensitive to that load).

Both venvs are made without pip (this interpreter's pip installs into them) so that only what each
distribution brings is counted. Install time includes the wheel build and depends on pip's cache and the
package index: read it as an order of magnitude. Run:

    .venv/bin/python bench/bench_agent_install.py [--runs 15]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT = "import fleetops.agent.cli"  # what `fleetops-agent` imports before it does anything


@dataclass
class Install:
    name: str
    site_bytes: int
    distributions: int
    install_s: float
    python: Path
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    def time_import(self, cwd: Path) -> None:
        before, began = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run([self.python, "-c", IMPORT], check=True, cwd=cwd)
        after, ended = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        self.wall_ms.append((ended - began) * 1000)
        self.cpu_ms.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)


def _pip(python: Path) -> list[str]:
    return [sys.executable, "-m", "pip", "--python", str(python), "-q"]


def _site_packages(env: Path) -> Path:
    return next(env.glob("lib/python*/site-packages"))


def install(name: str, project: Path, work: Path) -> Install:
    env = work / name
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    start = time.perf_counter()
    wheels = work / f"{name}-wheel"
    subprocess.run([*_pip(python), "wheel", "--no-deps", str(project), "-w", str(wheels)], check=True)
    wheel = next(wheels.glob("*.whl"))
    subprocess.run([*_pip(python), "install", "-c", str(ROOT / "constraints.txt"), str(wheel)], check=True)
    install_s = time.perf_counter() - start
    site = _site_packages(env)
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    distributions = len(list(site.glob("*.dist-info")))
    subprocess.run([python, "-c", IMPORT], check=True, cwd=work)  # write the bytecode once, as a node would
    return Install(name, size, distributions, install_s, python)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="interpreter starts timed per install")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleetops-bench-install-") as tmp:
        work = Path(tmp)
        agent = install("fleetops-agent", ROOT / "agent", work)
        full = install("fleetops", ROOT, work)
        for _ in range(args.runs):
            agent.time_import(work)
            full.time_import(work)
    header = ("install", "site-packages", "dists", "install", "import wall p50", "import CPU p50")
    print("{:<16} {:>14} {:>6} {:>9} {:>16} {:>15}".format(*header))
    for result in (agent, full):
        print(
            f"{result.name:<16} {result.site_bytes / 2**20:>10.1f} MiB {result.distributions:>6} "
            f"{result.install_s:>8.1f}s {statistics.median(result.wall_ms):>13.0f} ms "
            f"{statistics.median(result.cpu_ms):>12.0f} ms"
        )
    print(
        f"agent / full: size {agent.site_bytes / full.site_bytes:.2f}x, "
        f"distributions {agent.distributions}/{full.distributions}, import CPU "
        f"{statistics.median(agent.cpu_ms) / statistics.median(full.cpu_ms):.2f}x "
        f"({IMPORT!r}, median of {args.runs}, alternating)"
    )


if __name__ == "__main__":
    main()
