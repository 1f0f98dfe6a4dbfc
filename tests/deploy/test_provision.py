"""Provisioning hooks: a command pair and an HTTP API, both idempotent, both keeping the tool's message."""

from __future__ import annotations

import sys

import httpx
import pytest

from fleetops.deploy.backends import StepContext
from fleetops.deploy.choices import BringupState
from fleetops.deploy.provision import CommandProvisioner, HttpProvisioner
from fleetops.errors import ExternalError


def context(calls=0, attempt=1):
    return StepContext(
        7,
        "n1",
        1,
        "https://bmc-n1",
        "H100",
        8,
        "gamma",
        "kubernetes",
        "ubuntu-22.04-gpu",
        "k8s-cis",
        BringupState.PROVISIONING,
        attempt,
        calls,
        None,
    )


def test_command_hook_start_then_poll(tmp_path):
    state = tmp_path / "state"
    script = tmp_path / "prov.py"
    script.write_text(
        "import sys, pathlib\n"
        f"p = pathlib.Path({str(state)!r})\n"
        "if sys.argv[1] == 'start': p.write_text('running ' + sys.argv[2] + ' ' + sys.argv[3])\n"
        "else: print(p.read_text())\n"
    )
    hook = CommandProvisioner(
        start=f"{sys.executable} {script} start {{hostname}} {{image}}",
        status=f"{sys.executable} {script} status {{key}}",
    )
    assert hook.run(context()).done is False
    assert state.read_text() == "running n1 ubuntu-22.04-gpu"
    assert hook.run(context(calls=1)).done is False
    state.write_text("done")
    assert hook.run(context(calls=2)).done is True
    state.write_text("failed: PXE timeout on eth0")
    with pytest.raises(ExternalError, match="provisioning n1 with ubuntu-22.04-gpu: PXE timeout on eth0"):
        hook.run(context(calls=3))


def test_command_hook_exit_code_keeps_the_message():
    hook = CommandProvisioner(
        start=f"{sys.executable} -c \"import sys; sys.exit('no DHCP lease for n1')\"", status="true"
    )
    with pytest.raises(ExternalError, match="exit 1: no DHCP lease for n1"):
        hook.run(context())


def test_http_api_is_idempotent_by_key():
    provisions: dict[str, dict] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        key = request.url.path.rsplit("/", 1)[-1]
        if request.method == "PUT":
            provisions.setdefault(key, {"state": "running", **__import__("json").loads(request.content)})
            return httpx.Response(200, json=provisions[key])
        return (
            httpx.Response(200, json=provisions[key])
            if key in provisions
            else httpx.Response(404, text="nope")
        )

    api = HttpProvisioner(httpx.Client(base_url="http://prov.test", transport=httpx.MockTransport(handler)))
    api.run(context())
    api.run(context())  # a crash and a second first call: still one provision
    assert list(provisions) == ["bringup-7-attempt-1"]
    assert api.run(context(calls=1)).done is False
    provisions["bringup-7-attempt-1"] |= {"state": "failed", "message": "disk /dev/nvme0n1 not found"}
    with pytest.raises(ExternalError, match="disk /dev/nvme0n1 not found"):
        api.run(context(calls=2))
    api.run(context(attempt=2))  # a re-image is a new attempt, so a new provision
    provisions["bringup-7-attempt-2"]["state"] = "done"
    assert api.run(context(calls=1, attempt=2)).done
