"""Redfish over httpx: one-time boot override, ComputerSystem.Reset, power state, health, virtual media,
firmware inventory.

Errors become `ExternalError` with the BMC's own message; 429, 5xx and transport failures are
retryable, other 4xx are not (a wrong system id or a refused reset type does not fix itself).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from fleetops.adapters.redfish import FORCE_RESTART, ON, POWER_CYCLE, VirtualMedia, firmware
from fleetops.errors import ExternalError

SYSTEMS = "/redfish/v1/Systems"
# 501 Not Implemented (an unsupported reset type) is final; the rest of 5xx and 429 are worth retrying.
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def _message(response: httpx.Response) -> str:
    """The BMC's words: Redfish error.message, the first ExtendedInfo message, or the raw body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    error = body.get("error", {}) if isinstance(body, dict) else {}
    extended = error.get("@Message.ExtendedInfo") or []
    if extended and isinstance(extended[0], dict) and extended[0].get("Message"):
        return str(extended[0]["Message"])
    return str(error.get("message") or body)[:300]


class RedfishClient:
    """A client for one BMC (or one emulator serving many systems)."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        timeout_s: float = 10.0,
        verify: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        auth = httpx.BasicAuth(username, password) if username is not None and password is not None else None
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            timeout=timeout_s,
            verify=verify,
            transport=transport,
            headers={"Accept": "application/json"},
        )

    def _request(self, method: str, path: str, json: dict[str, Any] | None = None) -> httpx.Response:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.HTTPError as error:
            raise ExternalError(
                f"redfish {self.base_url}{path}: {type(error).__name__}: {error}", retryable=True
            ) from error
        if response.status_code >= 400:
            retryable = response.status_code in RETRYABLE_STATUS
            raise ExternalError(
                f"redfish {method} {self.base_url}{path}: HTTP {response.status_code}: {_message(response)}",
                retryable=retryable,
                status=response.status_code,
            )
        return response

    def _path(self, system: str) -> str:
        return system if system.startswith("/redfish/") else f"{SYSTEMS}/{system}"

    def systems(self) -> list[str]:
        members = self._request("GET", SYSTEMS).json().get("Members", [])
        return [m["@odata.id"] for m in members]

    def system(self, system: str) -> dict[str, Any]:
        return self._request("GET", self._path(system)).json()

    def get(self, path: str) -> dict[str, Any]:
        return dict(self._request("GET", path).json())

    def firmware(self, system: str) -> list[firmware.Firmware]:
        """What firmware the BMC says the system runs (`adapters.redfish.firmware`)."""
        return firmware.read(self.get, self._path(system))

    def power_state(self, system: str) -> str:
        return str(self.system(system).get("PowerState", "Unknown"))

    def health(self, system: str) -> str:
        status = self.system(system).get("Status", {})
        return str(
            status.get("HealthRollup") or status.get("HealthRollUp") or status.get("Health") or "Unknown"
        )

    def set_boot_once(self, system: str, target: str = "Pxe") -> None:
        """Boot from `target` on the next boot only; later boots go back to the disk the image wrote."""
        boot = {"BootSourceOverrideTarget": target, "BootSourceOverrideEnabled": "Once"}
        self._request("PATCH", self._path(system), json={"Boot": boot})

    def boot_override(self, system: str) -> tuple[str, str]:
        """(BootSourceOverrideTarget, BootSourceOverrideEnabled): a BMC turns `Once` to `Disabled` when
        the system boots with it, so a `Once` still there says the system has not booted since."""
        boot = self.system(system).get("Boot", {})
        return str(boot.get("BootSourceOverrideTarget") or "None"), str(
            boot.get("BootSourceOverrideEnabled") or "Disabled"
        )

    def managers(self, system: str) -> list[str]:
        """The system's BMCs (`Links.ManagedBy`): where DMTF puts the virtual media of most BMCs."""
        links = self.system(system).get("Links", {}).get("ManagedBy", [])
        return [link["@odata.id"] for link in links if "@odata.id" in link]

    def virtual_media(self, resource: str) -> list[VirtualMedia]:
        """The slots of a Manager or a ComputerSystem (Redfish 2021.1 moved them there); [] if none."""
        link = (self._request("GET", self._path(resource)).json().get("VirtualMedia") or {}).get("@odata.id")
        if not link:
            return []
        members = self._request("GET", link).json().get("Members", [])
        return [self.media(member["@odata.id"]) for member in members]

    def media(self, path: str) -> VirtualMedia:
        body = self._request("GET", path).json()
        actions = body.get("Actions", {})
        image = body.get("Image") or ""
        return VirtualMedia(
            path=path,
            media_types=tuple(body.get("MediaTypes") or ()),
            image=image,
            inserted=bool(body.get("Inserted", bool(image))),
            insert_target=(actions.get("#VirtualMedia.InsertMedia") or {}).get("target"),
            eject_target=(actions.get("#VirtualMedia.EjectMedia") or {}).get("target"),
        )

    def insert_media(self, media: VirtualMedia, image: str) -> None:
        """The InsertMedia action with the image alone, or a PATCH where the BMC offers no action.

        The action's `Inserted` and `WriteProtected` default to true in the DMTF schema, and some BMCs
        refuse the action when they are sent (Supermicro X11/X12, in sushy's notes); a PATCH must say
        them, or some BMCs (Lenovo SD530, same source) keep the image unmounted.
        """
        if media.insert_target:
            self._request("POST", media.insert_target, json={"Image": image})
        else:
            body = {"Image": image, "Inserted": True, "WriteProtected": True}
            self._request("PATCH", media.path, json=body)

    def eject_media(self, media: VirtualMedia) -> None:
        if media.eject_target:
            self._request("POST", media.eject_target, json={})
        else:
            self._request("PATCH", media.path, json={"Image": None, "Inserted": False})

    def reset(self, system: str, reset_type: str) -> None:
        action = f"{self._path(system)}/Actions/ComputerSystem.Reset"
        self._request("POST", action, json={"ResetType": reset_type})

    def power_on(self, system: str) -> None:
        self.reset(system, ON)

    def power_cycle(self, system: str) -> None:
        """PowerCycle where the BMC offers it, else ForceRestart (what the Redfish emulator supports)."""
        allowed = (
            self.system(system)
            .get("Actions", {})
            .get("#ComputerSystem.Reset", {})
            .get("ResetType@Redfish.AllowableValues", [])
        )
        self.reset(system, POWER_CYCLE if POWER_CYCLE in allowed else FORCE_RESTART)

    def wait_power(self, system: str, state: str, *, timeout_s: float = 60, poll_s: float = 0.5) -> int:
        """Poll until the system shows `state`; returns how many polls it took (real BMCs take seconds)."""
        deadline, polls = time.monotonic() + timeout_s, 0
        while True:
            polls += 1
            current = self.power_state(system)
            if current == state:
                return polls
            if time.monotonic() >= deadline:
                raise ExternalError(
                    f"redfish {self.base_url}{self._path(system)}: power state still {current} "
                    f"after {timeout_s:g} s (wanted {state})",
                    retryable=True,
                )
            time.sleep(poll_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RedfishClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
