"""A stand-in `nvidia-smi` executable put first on PATH, so the agent's real subprocess call runs.

It appends its arguments to a log and answers `-r` as the real one does: "was successfully reset" and exit
0, or "In use by another client" and exit 255, or it hangs (`mode`); `-pm` answers "All done."."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

SCRIPT = """#!{python}
import pathlib, sys, time
here = pathlib.Path(__file__).parent
with open(here / "calls.log", "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
mode = (here / "mode").read_text().strip() if (here / "mode").exists() else "ok"
if "-r" in sys.argv:
    if mode == "hang":
        time.sleep(30)
    if mode == "in_use":
        print("The following GPUs could not be reset:\\n  GPU 00000000:48:00.0: In use by another client",
              file=sys.stderr)
        sys.exit(255)
    print("GPU 00000000:48:00.0 was successfully reset.")
    sys.exit(0)
print("All done.")
"""


class FakeSmi:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def calls(self) -> list[str]:
        log = self.folder / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def resets(self) -> list[str]:
        return [call for call in self.calls() if call.startswith("-r")]

    def mode(self, mode: str) -> None:
        (self.folder / "mode").write_text(mode)


def install(folder: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSmi:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "nvidia-smi"
    script.write_text(SCRIPT.format(python=sys.executable))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return FakeSmi(folder)
