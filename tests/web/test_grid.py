"""The map's boxes: quiet nodes fold into runs, loud ones stay single; a huge fleet gets a box per pod."""

from __future__ import annotations

from fleetops.web.grid import Cell, Place, arrange

PLACES = {1: Place("s1", "p1", "r1"), 2: Place("s1", "p1", "r2"), 3: Place("s1", "p2", "r3")}


def _cells(rack: int, colours: str) -> list[Cell]:
    names = {"g": "green", "r": "red", "x": "grey"}
    return [Cell(rack, f"n{rack}-{i}", names[c], c == "r", "why") for i, c in enumerate(colours)]


def test_runs_fold_quiet_nodes_and_keep_loud_ones_apart():
    sites = arrange(_cells(1, "gggrrggx") + _cells(2, "gggggggg"), PLACES)
    (site,) = sites
    (pod,) = site.pods
    first, second = pod.boxes
    assert [(r.colour, r.count, r.node) for r in first.runs] == [
        ("green", 3, None),
        ("red", 1, "n1-3"),
        ("red", 1, "n1-4"),
        ("green", 2, None),
        ("grey", 1, None),
    ]
    assert first.loud == 2 and second.loud == 0 and site.loud == 2
    assert first.href == "/racks/s1/r1" and "n1-3: why" in first.title


def test_past_the_limit_racks_merge_into_pod_boxes():
    sites = arrange(_cells(1, "gg") + _cells(2, "gr") + _cells(3, "g"), PLACES, max_boxes=2)
    boxes = [box for pod in sites[0].pods for box in pod.boxes]
    assert [b.label for b in boxes] == ["s1 · p1", "s1 · p2"]
    assert [(r.colour, r.count) for r in boxes[0].runs] == [("green", 3), ("red", 1)]
    assert boxes[0].href == "/map/s1/p1"


def test_a_cell_may_stand_for_several_quiet_nodes_and_a_pod_box_folds_each_colour_once():
    counted = [
        Cell(1, "", "green", False, "", 5),
        Cell(1, "", "grey", False, "", 2),
        Cell(2, "n2-1", "red", True, "xid 79"),
        Cell(2, "", "green", False, "", 7),
        Cell(2, "", "grey", False, "", 1),
    ]
    (rack_one, rack_two) = arrange(counted, PLACES)[0].pods[0].boxes
    assert [(r.colour, r.count) for r in rack_one.runs] == [("green", 5), ("grey", 2)]
    assert [(r.colour, r.count, r.node) for r in rack_two.runs][0] == ("red", 1, "n2-1")
    (pod,) = arrange(counted, PLACES, max_boxes=1)[0].pods[0].boxes
    assert [(r.colour, r.count, r.node) for r in pod.runs] == [
        ("green", 12, None),
        ("grey", 3, None),
        ("red", 1, "n2-1"),
    ]
    assert pod.loud == 1
