"""The reference data NetBox requires before it takes a device: its manufacturer and device type, a role,
and the custom fields the lifecycle dates go in. Found by slug or name, created when missing, never
changed or deleted: an operator may already keep them in NetBox, and they are not fleetops' to own."""

from __future__ import annotations

from typing import Any

from fleetops.assets.fsm import DATE_OF
from fleetops.assets.netbox_model import ROLE, slug

CUSTOM_FIELDS = [f"fleetops_{column}" for column in DATE_OF.values()]


def find_or_create(netbox: Any, endpoint: str, wanted: dict[str, dict[str, Any]], by: str) -> dict[str, int]:
    """key → NetBox id for every wanted object (key = its `by` field), creating those NetBox lacks."""
    found = {obj[by]: obj["id"] for obj in netbox.list(endpoint)}
    missing = [key for key in wanted if key not in found]
    if missing:
        made = netbox.bulk_create(endpoint, [wanted[key] for key in missing])
        found |= {obj[by]: obj["id"] for obj in made}
    return {key: found[key] for key in wanted}


def ensure(netbox: Any, devices: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The ids the devices refer to: `device_types` by "<manufacturer>/<model>" and `roles` by slug."""
    types = {fields["device_type"] for fields in devices.values()}
    makers = {name.split("/", 1)[0] for name in types}
    maker_ids = find_or_create(
        netbox, "dcim/manufacturers", {slug(m): {"name": m, "slug": slug(m)} for m in makers}, "slug"
    )
    by_slug = {
        slug(name.replace("/", "-")): {
            "manufacturer": maker_ids[slug(name.split("/", 1)[0])],
            "model": name.split("/", 1)[1],
            "slug": slug(name.replace("/", "-")),
        }
        for name in types
    }
    type_ids = find_or_create(netbox, "dcim/device-types", by_slug, "slug")
    role = {ROLE: {"name": "GPU server", "slug": ROLE, "color": "76b900"}}
    fields = {
        name: {"name": name, "label": name.removeprefix("fleetops_").replace("_", " "), "type": "datetime",
               "object_types": ["dcim.device"], "required": False}
        for name in CUSTOM_FIELDS
    }  # fmt: skip
    find_or_create(netbox, "extras/custom-fields", fields, "name")
    return {
        "device_types": {name: type_ids[slug(name.replace("/", "-"))] for name in types},
        "roles": find_or_create(netbox, "dcim/device-roles", role, "slug"),
    }
