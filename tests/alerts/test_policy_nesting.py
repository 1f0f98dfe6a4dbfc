"""A routing tree nested thousands deep is refused with the file named, before PyYAML recurses into it
(3,000 levels raised RecursionError), and the message names YAML, not JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetops.alerts import policy
from fleetops.errors import InvalidInput
from fleetops.inventory import formats

RECEIVERS = (
    "receivers:\n  - name: r\n    kind: jira\n    url: https://jira.example.invalid\n    project: OPS\n"
)


def _block_tree(levels: int) -> str:
    lines, indent = ["route:", "  receiver: r"], "  "
    for _ in range(levels):
        lines += [f"{indent}routes:", f"{indent}- receiver: r"]
        indent += "  "
    return "\n".join(lines) + "\n" + RECEIVERS


def _flow_tree(levels: int) -> str:
    return "route: " + "{receiver: r, routes: [" * levels + "]}" * levels + "\n" + RECEIVERS


@pytest.mark.parametrize("tree", [_block_tree(3000), _flow_tree(3000)], ids=["block", "flow"])
def test_a_tree_nested_3000_deep_is_refused_naming_the_file_and_yaml(tmp_path: Path, tree: str) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(tree)
    with pytest.raises(InvalidInput) as refused:
        policy.load_routes(path)
    assert refused.value.message.startswith(f"policy file {path}: YAML nested deeper than 32 levels")


def test_a_deep_but_sane_tree_still_loads(tmp_path: Path) -> None:
    """The block check allows a line indented up to 199: 90 levels of routes load and route."""
    path = tmp_path / "routes.yaml"
    path.write_text(_block_tree(90))
    tree = policy.load_routes(path)
    depth, route = 0, tree.route
    while route.routes:
        depth, route = depth + 1, route.routes[0]
    assert depth == 90


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_the_inventory_reader_names_its_own_format_too(fmt: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        formats.read("[" * 100 + "]" * 100, fmt, f"fleet.{fmt}")
    assert refused.value.message == f"fleet.{fmt}: {fmt.upper()} nested deeper than 32 levels"
