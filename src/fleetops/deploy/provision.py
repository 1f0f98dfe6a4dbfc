"""The provisioning step, pluggable: a command hook, or an HTTP provisioning API.

Both are idempotent by construction: the request carries a key made of the bring-up and the run of the
step (`StepContext.attempt`), so a worker that calls again after a crash finds the imaging it already
started instead of starting another, while a retry or a re-image pass is a new run with a new key (an
idempotent API handed the old key would return the old image instead of imaging again).
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass

import httpx

from fleetops.deploy.backends import StepContext, StepResult
from fleetops.errors import ExternalError


def request_key(ctx: StepContext) -> str:
    return f"bringup-{ctx.bringup_id}-attempt-{ctx.attempt}"


def template_fields(ctx: StepContext) -> dict[str, str]:
    """What a provisioning template may name (`{hostname}`, `{image}`...): command hooks and image URLs."""
    return {
        "hostname": ctx.hostname,
        "image": ctx.image,
        "profile": ctx.profile,
        "key": request_key(ctx),
        "bmc": ctx.bmc_address or "",
        "cluster": ctx.cluster,
    }


@dataclass
class CommandProvisioner:
    """`start` and `status` are command templates (`{hostname} {image} {key}...`); `status` prints one of
    `running`, `done` or `failed: <message>`. A non-zero exit is the tool's own failure, kept verbatim."""

    start: str
    status: str
    name: str = "provisioner"
    poll_s: float = 60.0
    timeout_s: float = 60.0

    def _run(self, template: str, ctx: StepContext) -> str:
        argv = [part.format(**template_fields(ctx)) for part in shlex.split(template)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ExternalError(
                f"provisioner {argv[0]} for {ctx.hostname}: {error}", retryable=True
            ) from error
        if done.returncode != 0:
            raise ExternalError(
                f"provisioner {argv[0]} for {ctx.hostname}: exit {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[:500]}",
                retryable=True,
            )
        return done.stdout.strip()

    def run(self, ctx: StepContext) -> StepResult:
        if ctx.first_call:
            self._run(self.start, ctx)
            return StepResult(done=False, wait_s=self.poll_s)
        return _verdict(ctx, self._run(self.status, ctx), self.poll_s)


def _verdict(ctx: StepContext, state: str, poll_s: float) -> StepResult:
    word, _, message = state.partition(":")
    if word == "done":
        return StepResult(done=True, evidence={"image": ctx.image})
    if word == "failed":
        raise ExternalError(
            f"provisioning {ctx.hostname} with {ctx.image}: {message.strip()}", retryable=True
        )
    return StepResult(done=False, wait_s=poll_s)


@dataclass
class HttpProvisioner:
    """PUT {base}/provisions/{key} (create-or-return, so repeats are harmless), GET it to poll its state."""

    client: httpx.Client
    name: str = "provisioner"
    poll_s: float = 60.0

    def _call(self, method: str, ctx: StepContext, json: dict[str, str] | None = None) -> dict[str, str]:
        url = f"/provisions/{request_key(ctx)}"
        try:
            response = self.client.request(method, url, json=json)
        except httpx.HTTPError as error:
            raise ExternalError(
                f"provisioning API {url}: {type(error).__name__}: {error}", retryable=True
            ) from error
        if response.status_code >= 400:
            raise ExternalError(
                f"provisioning API {method} {url}: HTTP {response.status_code}: "
                f"{response.text.strip()[:300]}",
                retryable=response.status_code >= 500,
            )
        return response.json()

    def run(self, ctx: StepContext) -> StepResult:
        if ctx.first_call:
            self._call(
                "PUT", ctx, {"hostname": ctx.hostname, "image": ctx.image, "bmc": ctx.bmc_address or ""}
            )
            return StepResult(done=False, wait_s=self.poll_s)
        body = self._call("GET", ctx)
        state = body.get("state", "running")
        return _verdict(
            ctx, f"{state}: {body.get('message', '')}" if state == "failed" else state, self.poll_s
        )
