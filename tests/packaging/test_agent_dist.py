"""The fleetops-agent distribution: it carries every module the agent imports, declares every package those
modules need, and installs alone into a fresh environment without the control plane."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.xdist_group("agent-dist")  # one worker builds the wheel and venv, once
ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
AGENT_PROJECT = ROOT / "agent" / "pyproject.toml"
# Which distribution provides each top-level module the agent imports (the import name is not the
# distribution's name for pynvml and yaml). `torch` is the burn-in backend, imported only in `qualify`.
DISTRIBUTION_OF = {
    "httpx": "httpx",
    "msgspec": "msgspec",
    "pynvml": "nvidia-ml-py",
    "prometheus_client": "prometheus-client",
    "yaml": "pyyaml",
    "typer": "typer",
    "torch": "torch",
}
CONTROL_PLANE_ONLY = ("fastapi", "sqlalchemy", "alembic", "uvicorn", "psycopg", "starlette", "jinja2")


def _project() -> dict:
    return tomllib.loads(AGENT_PROJECT.read_text())


def _shipped_sources() -> dict[str, Path]:
    """Wheel path -> source path for every file agent/pyproject.toml takes (`only-include`, with the
    wheel's `sources` prefix stripped); agent/src is a link to the repository's src/."""
    build = _project()["tool"]["hatch"]["build"]
    (prefix,) = build["targets"]["wheel"]["sources"]
    shipped: dict[str, Path] = {}
    for entry in build["only-include"]:
        path = AGENT_PROJECT.parent / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" not in file.parts:
                shipped[str(file.relative_to(AGENT_PROJECT.parent / prefix))] = file.resolve()
    return shipped


def _imports(path: Path) -> Iterator[str]:
    """Absolute module names imported anywhere in the file, lazy imports inside functions included."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _module_file(name: str) -> Path | None:
    """The source file of a fleetops module, or None where `name` is an attribute, not a module."""
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _agent_closure() -> tuple[set[Path], set[str]]:
    """Every fleetops source file reachable by imports from the agent package, and the third-party
    top-level modules those files import."""
    todo = sorted((SRC / "fleetops" / "agent").rglob("*.py"))
    seen: set[Path] = {SRC / "fleetops" / "__init__.py"}
    third_party: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "fleetops":
                found = _module_file(name)
                if found is not None:
                    todo.append(found)
            elif top not in sys.stdlib_module_names and top != "__future__":
                third_party.add(top)
    return seen, third_party


def test_the_wheel_carries_every_fleetops_module_the_agent_imports_and_no_other() -> None:
    closure, _ = _agent_closure()
    shipped = {p for p in _shipped_sources().values() if p.suffix == ".py"}
    missing = sorted(str(p.relative_to(SRC)) for p in closure - shipped)
    extra = sorted(str(p.relative_to(SRC)) for p in shipped - closure)
    assert not missing, f"the agent imports modules agent/pyproject.toml does not ship: {missing}"
    assert not extra, f"agent/pyproject.toml ships modules the agent never imports: {extra}"


def test_the_xid_catalog_data_travels_with_its_loader() -> None:
    assert "fleetops/catalog/xid.yaml" in _shipped_sources()


def test_every_third_party_import_is_a_declared_dependency_and_every_dependency_is_used() -> None:
    _, third_party = _agent_closure()
    unknown = sorted(third_party - DISTRIBUTION_OF.keys())
    assert not unknown, f"the agent imports {unknown}: declare them in agent/pyproject.toml and here"
    project = _project()["project"]
    declared = {Requirement(req).name.lower() for req in project["dependencies"]}
    extras = project["optional-dependencies"].values()
    optional = {Requirement(req).name.lower() for reqs in extras for req in reqs}
    needed = {DISTRIBUTION_OF[module] for module in third_party}
    assert needed - declared - optional == set()
    assert declared - needed == set(), "a dependency no agent module imports"
    assert not declared & set(CONTROL_PLANE_ONLY)


def test_the_agent_version_is_read_from_the_agent_package() -> None:
    version = _project()["tool"]["hatch"]["version"]
    assert (AGENT_PROJECT.parent / version["path"]).resolve() == SRC / "fleetops" / "agent" / "__init__.py"


def test_the_agent_project_reads_the_repository_sources_not_a_copy() -> None:
    assert (AGENT_PROJECT.parent / "src").resolve() == SRC


def _pip(work: Path) -> list[str]:
    return [sys.executable, "-m", "pip", "--python", str(work / "venv/bin/python")]


@pytest.fixture(scope="module")
def agent_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agent wheel built from this tree and installed with its dependencies in a fresh venv (~15 s)."""
    work = tmp_path_factory.mktemp("agent-dist")
    pip_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT / "agent"), "-w", str(work)],
        check=True,
        env=pip_env,
    )
    # No pip inside (ensurepip costs seconds): this interpreter's pip installs into the venv.
    venv.create(work / "venv", with_pip=False)
    wheel = next(work.glob("fleetops_agent-*.whl"))
    install = [*_pip(work), "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel)]
    subprocess.run(install, check=True, env=pip_env)
    return work


def test_the_wheel_holds_sources_only(agent_env: Path) -> None:
    names = zipfile.ZipFile(next(agent_env.glob("fleetops_agent-*.whl"))).namelist()
    assert "fleetops/agent/cli.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("fleetops/api/", "fleetops/db/", "fleetops/config"))]


def test_the_agent_installs_without_the_control_plane(agent_env: Path) -> None:
    listing = [*_pip(agent_env), "list", "--format=freeze"]
    listed = subprocess.run(listing, capture_output=True, text=True, check=True)
    installed = {line.split("==")[0].replace("_", "-") for line in listed.stdout.lower().splitlines()}
    assert "fleetops-agent" in installed
    assert not installed & {"fastapi", "sqlalchemy", "alembic", "uvicorn", "psycopg", "starlette"}


def test_the_installed_agent_imports_and_its_cli_answers(agent_env: Path) -> None:
    python, cli = agent_env / "venv/bin/python", agent_env / "venv/bin/fleetops-agent"
    script = "import sys, fleetops.agent.loop, fleetops.agent.cli; print(sorted(sys.modules))"
    loaded = subprocess.run(
        [python, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=agent_env,  # not the repository root, so `fleetops` comes from the venv, not ./src
    ).stdout
    assert "fleetops.agent.loop" in loaded
    assert not [m for m in CONTROL_PLANE_ONLY if f"'{m}'" in loaded]
    helped = subprocess.run([str(cli), "--help"], capture_output=True, text=True, check=True, cwd=agent_env)
    assert "run" in helped.stdout and "collect" in helped.stdout
    explained = subprocess.run([str(cli), "xid", "79"], capture_output=True, text=True, check=True)
    assert "fallen off the bus" in explained.stdout.lower()
