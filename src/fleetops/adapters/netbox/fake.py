"""An in-memory NetBox behind an httpx transport: the REST paths, id cursor paging, all-or-none bulk
writes, `X-Request-ID` on every answer, field errors as NetBox words them, injected 5xx outages, and the
change log (`core/object-changes`: one entry per object written, with the request's id, as NetBox keeps).
Lists filter by field (`?name=a&name=b`, `?device_id=3`); cables are read as NetBox shows them, each
termination with its interface, and an interface with its `cable` and `link_peers`.
Tests and the benchmark point `NetboxClient(transport=FakeNetbox())` at it."""

from __future__ import annotations

import json
import threading
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx

REQUIRED = {
    "dcim/regions": ("name", "slug"),
    "dcim/sites": ("name", "slug"),
    "dcim/racks": ("name", "site"),
    "dcim/manufacturers": ("name", "slug"),
    "dcim/device-types": ("manufacturer", "model", "slug"),
    "dcim/device-roles": ("name", "slug"),
    "extras/custom-fields": ("name", "type", "object_types"),
    "dcim/devices": ("name", "site", "status", "device_type", "role"),
    "dcim/inventory-items": ("name", "device"),
    "dcim/interfaces": ("device", "name", "type"),
    "dcim/cables": ("a_terminations", "b_terminations"),
}
CABLES, INTERFACES = "dcim/cables", "dcim/interfaces"
PAGING = {"id__gt", "limit", "ordering", "id"}
CHANGES = "core/object-changes"
USER = "admin"


class FakeNetbox(httpx.BaseTransport):
    def __init__(self) -> None:
        self.objects: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        self.next_id = 1
        self.fail_next: list[int] = []
        self.writes = 0
        self.lock = threading.Lock()  # the sync writes batches from several threads at once

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            return self._handle(request)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        rid = str(uuid.uuid4())
        if self.fail_next:
            return httpx.Response(
                self.fail_next.pop(0), json={"detail": "unavailable"}, headers={"X-Request-ID": rid}
            )
        endpoint = request.url.path.removeprefix("/api/").strip("/")
        if request.method == "GET":
            return httpx.Response(
                200, json=self._list(endpoint, request.url.params), headers={"X-Request-ID": rid}
            )
        body = json.loads(request.content)
        errors = self._check(endpoint, body, partial=request.method == "PATCH")
        if any(errors):
            return httpx.Response(
                400, json=_bulk_errors(body, errors, request.method), headers={"X-Request-ID": rid}
            )
        done = [self._write(endpoint, item, request.method) for item in body]  # all checked: all written
        self._log(endpoint, done, request.method, rid)
        self.writes += 1
        return httpx.Response(
            201 if request.method == "POST" else 200, json=done, headers={"X-Request-ID": rid}
        )

    def _list(self, endpoint: str, params: httpx.QueryParams) -> dict[str, Any]:
        after, limit = int(params.get("id__gt", 0)), int(params.get("limit", 50))
        only = {int(i) for i in params.get_list("id")}
        rows = [o for i, o in sorted(self.objects[endpoint].items()) if i > after and (not only or i in only)]
        for param in set(params) - PAGING:  # `device_id` matches the device's id, any other its field
            field, wanted = param.removesuffix("_id"), set(params.get_list(param))
            rows = [r for r in rows if str(_value(r.get(field))) in wanted]
        if params.get("ordering") == "-id":
            rows.reverse()
        rows = [self._shown(endpoint, row) for row in rows[:limit]]
        return {"count": len(self.objects[endpoint]), "next": None, "previous": None, "results": rows}

    def _shown(self, endpoint: str, row: dict[str, Any]) -> dict[str, Any]:
        """An interface with its cable and the interfaces at its other end; a cable's terminations with
        their interface (id, name, device), as NetBox nests them."""
        if endpoint == INTERFACES:
            cable = self._cable_of(row["id"])
            peers = (
                [] if cable is None else self._ends(cable, "b" if self._on(cable, "a", row["id"]) else "a")
            )
            return row | {"cable": None if cable is None else {"id": cable["id"]}, "link_peers": peers}
        if endpoint == CABLES:
            return row | {f"{s}_terminations": [
                t | {"object": self._brief(t["object_id"])} for t in row[f"{s}_terminations"]
            ] for s in "ab"}  # fmt: skip
        return row

    def _brief(self, interface: int) -> dict[str, Any]:
        port = self.objects[INTERFACES].get(interface, {})
        device = self.objects["dcim/devices"].get(port.get("device", 0), {})
        return {
            "id": interface,
            "name": port.get("name"),
            "device": {"id": device.get("id"), "name": device.get("name")},
        }

    @staticmethod
    def _on(cable: dict[str, Any], side: str, interface: int) -> bool:
        return any(t["object_id"] == interface for t in cable[f"{side}_terminations"])

    def _cable_of(self, interface: int) -> dict[str, Any] | None:
        return next(
            (
                c
                for c in self.objects[CABLES].values()
                if self._on(c, "a", interface) or self._on(c, "b", interface)
            ),
            None,
        )

    def _ends(self, cable: dict[str, Any], side: str) -> list[dict[str, Any]]:
        return [self._brief(t["object_id"]) for t in cable[f"{side}_terminations"]]

    def _check(self, endpoint: str, body: list[dict[str, Any]], partial: bool) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        for item in body:
            found: dict[str, Any] = {}
            if partial and item.get("id") not in self.objects[endpoint]:
                found["id"] = ["Object not found."]
            for field in () if partial else REQUIRED.get(endpoint, ("name",)):
                if item.get(field) in (None, ""):
                    found[field] = ["This field is required."]
            if endpoint == CABLES and not partial:
                found |= self._cabled(item, [i for earlier in body[: len(errors)] for i in _ports(earlier)])
            defined = {o["name"] for o in self.objects["extras/custom-fields"].values()}
            if unknown := sorted(set(item.get("custom_fields") or {}) - defined):
                found["custom_fields"] = {
                    n: [f"Custom field '{n}' does not exist for this object type."] for n in unknown
                }
            errors.append(found)
        return errors

    def _cabled(self, cable: dict[str, Any], taken: list[int]) -> dict[str, Any]:
        """NetBox refuses a termination on an interface that is not there or already has a cable."""
        for side in "ab":
            for port in _ports({f"{side}_terminations": cable.get(f"{side}_terminations") or []}):
                if port not in self.objects[INTERFACES]:
                    return {f"{side}_terminations": [f"Interface {port} does not exist."]}
                if port in taken or self._cable_of(port) is not None:
                    return {f"{side}_terminations": [f"Interface {port} already has a cable."]}
        return {}

    def _write(self, endpoint: str, item: dict[str, Any], method: str) -> dict[str, Any]:
        if method == "PATCH":
            current = self.objects[endpoint][item["id"]]
            custom = current.get("custom_fields", {}) | item.get("custom_fields", {})
            current.update(item | {"custom_fields": custom} if "custom_fields" in item else item)
            return current
        made = dict(item) | {"id": self.next_id}
        self.objects[endpoint][self.next_id] = made
        self.next_id += 1
        return made

    def _log(self, endpoint: str, written: list[dict[str, Any]], method: str, rid: str) -> None:
        app, plural = endpoint.split("/")
        for obj in written:
            self.objects[CHANGES][self.next_id] = {
                "id": self.next_id, "time": datetime.now(UTC).isoformat(), "user_name": USER,
                "request_id": rid,
                "action": {"value": "update" if method == "PATCH" else "create"},
                "changed_object_type": f"{app}.{plural.removesuffix('s').replace('-', '')}",
                "changed_object_id": obj["id"], "postchange_data": dict(obj),
            }  # fmt: skip
            self.next_id += 1

    def find(self, endpoint: str, **match: Any) -> dict[str, Any] | None:
        """For tests: the first object whose fields match (where an edit made in NetBox starts)."""
        return next(
            (o for o in self.objects[endpoint].values() if all(o.get(k) == v for k, v in match.items())), None
        )


def _value(field: Any) -> Any:
    """A choice field as NetBox serialises it ({"value", "label"}), a nested reference ({"id"}), or a
    plain one."""
    if isinstance(field, dict):
        return field["value"] if "value" in field else field.get("id")
    return field


def _ports(cable: dict[str, Any]) -> list[int]:
    return [t["object_id"] for s in "ab" for t in cable.get(f"{s}_terminations") or []]


def _bulk_errors(body: list[dict[str, Any]], errors: list[dict[str, Any]], method: str) -> dict[str, Any]:
    """NetBox 4.7's bulk error body: a summary, then each failed entry by its index (or id, on update)."""
    failed = [(i, e) for i, e in enumerate(errors) if e]
    done = "created" if method == "POST" else "updated"
    return {
        "detail": f"{len(failed)} of {len(body)} objects could not be {done}.",
        "errors": [
            {"id": body[i]["id"]} | {"errors": e}
            if method == "PATCH" and "id" not in e
            else {"index": i, "errors": e}
            for i, e in failed
        ],
    }
