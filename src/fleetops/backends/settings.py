"""The settings sections that name the real systems fleetops drives: BMCs, the provisioner, each cluster's
scheduler and the notifiers' secrets. Addresses live in the inventory (a node's `bmc_address`); these
sections hold only how to reach and authenticate, and every secret is a `SecretStr` (given inline or as
`<key>_file`), so a dump, a log line or `/metrics` shows `**********`, never the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BmcCredentials(Section):
    username: str
    password: SecretStr
    verify_tls: bool = Field(default=True, description="Check the BMC's TLS certificate")


class Redfish(Section):
    """BMC credentials for a node: its site's, else its supplier's, else the default; none means the
    node's power and provisioning work waits, saying so, instead of trying without credentials."""

    default: BmcCredentials | None = None
    sites: dict[str, BmcCredentials] = {}
    suppliers: dict[str, BmcCredentials] = {}

    def credentials(self, site: str | None, supplier: str | None) -> BmcCredentials | None:
        return self.sites.get(site or "") or self.suppliers.get(supplier or "") or self.default


class Provisioner(Section):
    """How nodes get their OS: Redfish virtual media (no PXE needed), a command hook, or an HTTP API."""

    kind: Literal["virtual_media", "command", "http"]
    image_url: str | None = Field(
        default=None, description="virtual_media: the install ISO's URL; may use {image} {hostname} {profile}"
    )
    start: str | None = Field(default=None, description="command: starts imaging ({hostname} {image} {key})")
    status: str | None = Field(default=None, description="command: prints running, done or failed: <why>")
    url: str | None = Field(default=None, description="http: the provisioning API's base URL")
    token: SecretStr | None = Field(default=None, description="http: bearer token")
    timeout_s: float = Field(default=7200.0, gt=0, description="How long one node's install may take")
    min_install_s: float = Field(
        default=300.0,
        ge=0,
        description="virtual_media: a power-off sooner than this is not the end of install",
    )

    @model_validator(mode="after")
    def _needs(self) -> Provisioner:
        needed = {"virtual_media": ("image_url",), "command": ("start", "status"), "http": ("url",)}
        missing = [key for key in needed[self.kind] if getattr(self, key) is None]
        if missing:
            raise ValueError(f"provisioner kind {self.kind} needs {', '.join(missing)}")
        return self


class Slurm(Section):
    conf: str | None = Field(default=None, description="slurm.conf for scontrol (default: scontrol's own)")
    bin_dir: str = Field(default="", description="Where scontrol and sinfo are (default: PATH)")


class Kubernetes(Section):
    kubeconfig: str | None = Field(default=None, description="A kubeconfig file (default: ~/.kube/config)")
    context: str | None = None
    in_cluster: bool = Field(default=False, description="Use the pod's service account")


class ClusterBackends(Section):
    """A cluster's scheduler: Slurm for slurm-bare-metal, Kubernetes for kubernetes, both for
    slurm-on-kubernetes (the node must be Ready in one and accept jobs in the other)."""

    slurm: Slurm | None = None
    kubernetes: Kubernetes | None = None

    def missing_for(self, orchestrator: str) -> list[str]:
        needs = {
            "kubernetes": ("kubernetes",),
            "slurm-bare-metal": ("slurm",),
            "slurm-on-kubernetes": ("slurm", "kubernetes"),
        }[orchestrator]
        return [name for name in needs if getattr(self, name) is None]


class Notify(Section):
    """The routing tree's receivers name where; these are the credentials, by receiver name."""

    routing_keys: dict[str, SecretStr] = Field(default={}, description="PagerDuty routing key per receiver")
    webhooks: dict[str, dict[str, SecretStr]] = Field(
        default={}, description="Slack webhook per receiver, then per value of its by_label (or default)"
    )
    jira_token: SecretStr | None = Field(default=None, description="Bearer token of fleetops' Jira account")


def webhook_key(hooks: Mapping[str, SecretStr], value: str) -> str | None:
    """Which of a receiver's webhooks takes a message about `value` (a supplier, a customer): its own,
    else the receiver's default; the alerts' forwards and remediation's customer notes both ask here."""
    return value if value in hooks else "default" if "default" in hooks else None


class UpdateCommands(Section):
    """What updates one node for an emergency update, and what proves it healthy afterwards. Each word
    of the command is filled after splitting, so a placeholder is always one argument, never shell."""

    update: str = Field(description="Updates a node, e.g. 'patch-node {hostname} {bulletin}' ({cluster} too)")
    qualify: str = Field(description="Exits 0 when the updated node is healthy, e.g. 'qualify {hostname}'")
    timeout_s: float = Field(default=3600.0, gt=0, description="How long one command may run")


class Updates(Section):
    """Emergency updates' commands: a cluster's own, else the default; with neither, its nodes wait at
    their first step, saying which setting is missing, and none is drained."""

    default: UpdateCommands | None = None
    clusters: dict[str, UpdateCommands] = Field(default={}, description="Commands per cluster name")

    def commands(self, cluster: str) -> UpdateCommands | None:
        return self.clusters.get(cluster) or self.default


class Deploy(Section):
    qualification_results: str = Field(
        default="var/qualification", description="Where burn-in results land as <hostname>.json"
    )
    burn_in_s: float = Field(default=0.0, ge=0, description="Per-GPU length of the last qualification level")
    poll_s: float = Field(default=15.0, gt=0, description="How often a step that is under way looks again")
    wipe: str | None = Field(
        default=None,
        description="Decommission: a command that erases a node's disks ({hostname}); unset: wiping waits",
    )


class Remediation(Section):
    """Which receivers of the routing tree remediation uses for its tickets, pages and customer notes."""

    tickets: str = Field(default="supplier-tickets", description="A jira receiver: RMA tickets")
    projects: dict[str, str] = Field(default={"*": "RMA"}, description="Jira project by supplier; *: others")
    pager: str = Field(default="oncall-pager", description="A pagerduty receiver: breaker pages")
    customers: str = Field(default="customer-slack", description="A slack receiver: notes to customers")
    poll_s: float | None = Field(
        default=None,
        gt=0,
        description="How often an action under way looks again (default: 15-60 s by action)",
    )
    settle_s: float = Field(
        default=60.0, ge=0, description="How long after a restart before the node is judged"
    )


class VendorFeed(Section):
    """How one vendor's ASN and delivery files name fleetops' fields: {fleetops field: their column}."""

    fields: dict[str, str] = Field(description="e.g. asn = 'ShipmentNo', serial = 'Serial Number'")
    date_format: str | None = Field(default=None, description="strptime format of dates; default ISO 8601")


class Netbox(Section):
    url: str = Field(description="NetBox's base URL, e.g. https://netbox.example.com")
    token: SecretStr = Field(description="API token: nbt_<key>.<token> (v2) or a v1 token")
    verify_tls: bool = True
    batch: int = Field(default=500, ge=1, le=1000, description="Objects per all-or-none bulk write")
    concurrency: int = Field(
        default=1, ge=1, le=16, description="Bulk writes in flight at once (NetBox needs as many workers)"
    )


class Zip(Section):
    url: str = Field(default="https://api.ziphq.com", description="Zip's API base URL")
    api_key: SecretStr = Field(description="Sent as the Zip-Api-Key header")
    api_version: str = Field(default="2024-06-06", description="Sent as the Zip-Api-Version header")


class Assets(Section):
    """Asset feeds: each vendor's field mapping, NetBox (the source of truth) and Zip (procurement)."""

    vendors: dict[str, VendorFeed] = Field(default={}, description="Field mapping per vendor name")
    netbox: Netbox | None = None
    zip: Zip | None = None
