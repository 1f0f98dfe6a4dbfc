"""The control plane's image definition, read as text: no Docker daemon runs here to build it (see
docs/operations.md for the manual build)."""

from __future__ import annotations

import json
import shlex

from tests.packaging.deployfiles import FLEETOPS_UID, ROOT

DOCKERFILE = ROOT / "Dockerfile"


def _stages() -> dict[str, list[tuple[str, str]]]:
    """Instructions (KEYWORD, arguments) per stage name, continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            words = arguments.split()
            current = stages.setdefault(words[-1] if "AS" in (w.upper() for w in words) else "", [])
        current.append((keyword.upper(), arguments.strip()))
    return stages


def _last(stage: str, keyword: str) -> str:
    return [arguments for key, arguments in _stages()[stage] if key == keyword][-1]


def test_the_image_is_built_in_stages_and_the_control_plane_is_the_default_target() -> None:
    stages = _stages()
    assert list(stages)[-1] == "control-plane"
    assert {"build", "agent", "control-plane"} <= set(stages)
    copied = [args for key, args in stages["control-plane"] if key == "COPY"]
    assert copied == ["--from=build /opt/fleetops /opt/fleetops"]
    assert not [args for key, args in stages["control-plane"] if key == "RUN" and "pip install" in args]


def test_the_control_plane_runs_fleetops_serve_as_a_non_root_user() -> None:
    user = _last("control-plane", "USER")
    assert user.split(":")[0] == str(FLEETOPS_UID) != "0"
    assert json.loads(_last("control-plane", "CMD")) == ["fleetops", "serve"]
    assert "FLEETOPS_HOST=0.0.0.0" in _last("control-plane", "ENV").split()


def test_the_agent_stage_installs_the_agent_distribution_only() -> None:
    install = " ".join(args for key, args in _stages()["build"] if key == "RUN")
    assert "/opt/fleetops-agent/bin/pip install -c constraints.txt ./agent" in install
    assert json.loads(_last("agent", "ENTRYPOINT")) == ["fleetops-agent"]
    assert "/opt/fleetops-agent" in _last("agent", "COPY")


def test_everything_copied_is_in_the_build_context_and_nothing_else_is() -> None:
    """.dockerignore admits only what the Dockerfile copies, so a .venv, a database or a secret file
    never reaches a layer."""
    rules = [r for r in (ROOT / ".dockerignore").read_text().splitlines() if r and not r.startswith("#")]
    assert rules[0] == "**", "everything is excluded first"
    admitted = {r.removeprefix("!").rstrip("/") for r in rules if r.startswith("!")}
    sources = {
        source for key, args in _stages()["build"] if key == "COPY" for source in shlex.split(args)[:-1]
    }
    assert sources == admitted
    assert all((ROOT / source).exists() for source in sources)
    assert not admitted & {".venv", ".git", "var", "deploy", "tests"}
