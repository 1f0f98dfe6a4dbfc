"""A real Slurm on localhost for tests and benchmarks (TESTBED.md): one slurmctld and one slurmd per
node (`slurmd -N nodeNNN`) from a temp dir with auth/none, started and stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fleetops.adapters.slurm.client import SlurmClient
from fleetops.errors import ExternalError
from tests.ports import free_port

NODES = ("node001", "node002")


def slurm_conf(directory: Path, nodes: tuple[str, ...] = NODES) -> str:
    host = socket.gethostname()
    ports = [free_port() for _ in nodes]
    lines = [
        "ClusterName=fleetops-test",
        f"SlurmctldHost={host}",
        f"SlurmctldPort={free_port()}",
        "AuthType=auth/none",
        "CredType=cred/none",
        "SlurmUser=root",
        "SlurmdUser=root",
        f"StateSaveLocation={directory}/state",
        f"SlurmdSpoolDir={directory}/spool/%n",
        f"SlurmctldPidFile={directory}/slurmctld.pid",
        f"SlurmdPidFile={directory}/slurmd-%n.pid",
        f"SlurmctldLogFile={directory}/slurmctld.log",
        f"SlurmdLogFile={directory}/slurmd-%n.log",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "SchedulerType=sched/builtin",
        "SelectType=select/cons_tres",
        "ReturnToService=2",
        "MpiDefault=none",
        "SlurmctldTimeout=30",
        "SlurmdTimeout=30",
    ]
    lines += [
        f"NodeName={n} NodeHostname={host} Port={p} CPUs=1 RealMemory=100 State=UNKNOWN"
        for n, p in zip(nodes, ports, strict=True)
    ]
    lines.append(f"PartitionName=debug Nodes={','.join(nodes)} Default=YES MaxTime=INFINITE State=UP")
    path = directory / "slurm.conf"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def unavailable() -> str | None:
    """Why a real Slurm cannot run here, or None when it can."""
    if not shutil.which("slurmctld") or not shutil.which("slurmd"):
        return "Slurm not installed: `apt-get install -y slurm-wlm` (make test does)"
    if os.geteuid() != 0:
        return "slurmd must run as root here (SlurmdUser=root)"
    return None


@contextmanager
def local_slurm(
    directory: Path, timeout_s: float = 60, nodes: tuple[str, ...] = NODES
) -> Iterator[SlurmClient]:
    """Start the daemons, wait until every node is IDLE, yield a client; always stop what it started."""
    for sub in ("state", "spool"):
        (directory / sub).mkdir(exist_ok=True)
    conf = slurm_conf(directory, nodes)
    env = {**os.environ, "SLURM_CONF": conf}
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [subprocess.Popen(["slurmctld", "-D", "-i"], **quiet)]  # type: ignore[call-overload]
    processes += [subprocess.Popen(["slurmd", "-D", "-N", n], **quiet) for n in nodes]  # type: ignore[call-overload]
    client = SlurmClient(conf, timeout_s=10)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if all(client.status(n).accepts_work for n in nodes):
                    break
            except ExternalError:
                pass  # slurmctld still starting
            time.sleep(0.5)
        else:
            log = directory / "slurmctld.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise TimeoutError(f"Slurm nodes did not become IDLE within {timeout_s:g} s: {tail}")
        yield client
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
