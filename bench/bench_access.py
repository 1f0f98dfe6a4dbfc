"""The emergency update rehearsal (64 nodes, 10 % cap, simulated critical CVE) and the access review of
the fixture tailnet, timed on a fresh SQLite database; medians of a few runs.

    .venv/bin/python bench/bench_access.py [nodes] [runs]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.security.access.policy import ReviewPolicy
from fleetops.security.access.service import Files, Source, judge
from fleetops.security.updates.rehearsal import rehearse

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "security" / "access" / "fixtures"


def main(nodes: int = 64, runs: int = 3) -> None:
    times, done = [], None
    for run in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            database = Database(f"sqlite:///{folder}/bench.db")
            upgrade(database)
            started = time.perf_counter()
            done = rehearse(database, nodes, 10.0, cluster=f"staging{run}")
            times.append(time.perf_counter() - started)
            database.dispose()
    assert done is not None
    print(
        f"emergency update, {nodes} nodes, cap 10 %: {done.state}, {done.ticks} ticks, most drained at once "
        f"{done.most_drained} (cap {max(1, nodes // 10)}), left drained {len(done.left_drained)}, "
        f"median {statistics.median(times):.2f} s over {runs} runs"
    )
    files = Files(
        *(
            Source(n, (FIXTURES / n).read_text())
            for n in ("tailnet.hujson", "teleport_roles.yaml", "users.csv")
        )
    )
    judged = []
    for _ in range(20):
        started = time.perf_counter()
        verdict = judge(files, ReviewPolicy())
        judged.append(time.perf_counter() - started)
    print(
        f"access review of the fixture tailnet: {len(verdict.reaches)} paths, {len(verdict.flags)} flags, "
        f"median {statistics.median(judged) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
