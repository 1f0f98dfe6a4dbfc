"""The boxes of a fleet picture (health map, rollout rack grid): each box is a rack (or a pod, in a fleet
too large for one box per rack) drawn as a column of its nodes in the order given, coloured by state.

Nodes of a quiet colour (healthy, silent, not in service) are drawn as runs, one element per run, so a
10,000-node map is ~1,300 boxes and a few hundred elements more; a node that needs attention (`loud`)
is always its own element with its hostname, so it can be found, pointed at and tested. A cell may stand
for several quiet nodes (`nodes`: the health map counts per rack, loud nodes first, then a run per
colour); a pod box folds each quiet colour into one run, so a pod of 4,000 racks stays a handful of
elements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

# More racks than this and the boxes become pods: a 1440 px screen holds ~1,500 rack boxes above the fold.
MAX_RACK_BOXES = 1500


@dataclass(slots=True)
class Run:
    colour: str
    count: int = 1
    node: str | None = None  # a loud node's hostname
    why: str = ""


@dataclass(slots=True)
class Box:
    label: str
    href: str
    runs: list[Run] = field(default_factory=list)
    loud: int = 0
    folded: dict[str, Run] | None = None  # a pod box: its one run per quiet colour

    @property
    def title(self) -> str:
        shown = [f"{r.node}: {r.why}" for r in self.runs if r.node][:8]
        return "\n".join([self.label, *shown])

    def add(self, colour: str, loud: bool, node: str, why: str, count: int = 1) -> None:
        if loud:
            self.runs.append(Run(colour, 1, node, why))
            self.loud += 1
            return
        run = self.runs[-1] if self.runs and self.runs[-1].node is None else None
        if self.folded is not None:
            run = self.folded.get(colour)
        if run is not None and run.colour == colour:
            run.count += count
            return
        self.runs.append(run := Run(colour, count))
        if self.folded is not None:
            self.folded[colour] = run


@dataclass(slots=True)
class Group:
    """A site, or a pod within a site: a heading (a drill-down link) and its boxes."""

    label: str
    href: str
    boxes: list[Box] = field(default_factory=list)
    pods: list[Group] = field(default_factory=list)

    @property
    def loud(self) -> int:
        return sum(b.loud for b in self.boxes) + sum(p.loud for p in self.pods)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a rack is: what the map groups by and links to."""

    site: str
    pod: str | None
    rack: str


class Cell(NamedTuple):
    rack_id: int
    hostname: str
    colour: str
    loud: bool
    why: str = ""
    nodes: int = 1  # quiet nodes of this colour the cell stands for


def arrange(cells: Iterable[Cell], places: dict[int, Place], max_boxes: int = MAX_RACK_BOXES) -> list[Group]:
    """Sites → pods → boxes from cells in rack order; racks merge into pod boxes past `max_boxes` racks.

    Cells come in rack order, so the site, pod and box are looked up once per rack, not once per node."""
    cells = list(cells)
    by_pod = len({c[0] for c in cells}) > max_boxes
    sites: dict[str, Group] = {}
    pods: dict[tuple[str, str], Group] = {}
    boxes: dict[tuple[str, str, str], Box] = {}
    rack_id, box = None, None
    for cell in cells:
        if cell[0] != rack_id:
            rack_id = cell[0]
            box = _box(places[rack_id], by_pod, sites, pods, boxes)
        box.add(cell[2], cell[3], cell[1], cell[4], cell[5])  # type: ignore[union-attr]
    return list(sites.values())


def _box(
    place: Place,
    by_pod: bool,
    sites: dict[str, Group],
    pods: dict[tuple[str, str], Group],
    boxes: dict[tuple[str, str, str], Box],
) -> Box:
    pod_name = place.pod or "(no pod)"
    site = sites.get(place.site) or sites.setdefault(place.site, Group(place.site, f"/map/{place.site}"))
    pod = pods.get((place.site, pod_name))
    if pod is None:
        pod = pods[(place.site, pod_name)] = Group(pod_name, f"/map/{place.site}/{pod_name}")
        site.pods.append(pod)
    key = (place.site, pod_name, "" if by_pod else place.rack)
    box = boxes.get(key)
    if box is None:
        label = f"{place.site} · {pod_name}" if by_pod else f"{place.site}/{place.rack}"
        href = pod.href if by_pod else f"/racks/{place.site}/{place.rack}"
        box = boxes[key] = Box(label, href, folded={} if by_pod else None)
        pod.boxes.append(box)
    return box
