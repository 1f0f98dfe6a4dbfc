"""What the security routes answer, declared for the OpenAPI document: the services build the dicts
themselves (`service.as_dict`, `imports._store`, `measures.dashboard`, ...); the API fuzz checks every
answer against these shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Changes(BaseModel):
    """What an accepted file changed; an `unchanged`, `absent` or `rejected` answer has none of it."""

    asset_kind: str | None = None
    findings: int | None = None
    opened: int | None = None
    closed: int | None = None
    reopened: int | None = None


class ImportRead(Changes):
    """One file's outcome: `unchanged` (the same file again) and `absent` carry the id and asset only."""

    outcome: str = Field(description="accepted, unchanged, rejected or absent")
    import_id: int
    asset: str | None


class BatchFileRead(Changes):
    """A file of a batch: its outcome as `ImportRead`, or `rejected` with the reason in `detail`."""

    file: str
    outcome: str
    import_id: int | None = None
    asset: str | None = None
    detail: str | None = None


class BatchRead(BaseModel):
    accepted: int
    unchanged: int
    rejected: int
    results: list[BatchFileRead]


class ImportLogRead(BaseModel):
    """A row of the imports log (`security_import`, less the file's digest)."""

    id: int
    received_at: datetime
    actor: str
    scanner: str
    filename: str
    outcome: str
    detail: str
    asset_kind: str | None
    asset: str | None
    node_id: int | None
    cluster_id: int | None
    profile: str | None
    rules_pass: int | None
    rules_applicable: int | None
    findings: int
    opened: int
    closed: int
    reopened: int


class FindingRead(BaseModel):
    id: int
    asset_kind: str
    asset: str
    hostname: str | None
    scanner: str
    check_id: str
    package: str
    title: str
    severity: str
    status: str = Field(description="open, fixed or accepted; an acceptance that ran out reads as open")
    installed_version: str | None
    fixed_version: str | None
    first_seen: datetime
    opened_at: datetime
    due_at: datetime
    overdue: bool
    fixed_at: datetime | None
    reopened: int
    accepted_until: datetime | None
    accepted_reason: str | None
    accepted_by: str | None


class FindingPage(BaseModel):
    items: list[FindingRead]
    next_cursor: str | None


class Share(BaseModel):
    """A count of how many of `total` meet a goal; `share` is null when there is nothing to count."""

    hardened: int
    total: int
    share: float | None


class ClusterScore(BaseModel):
    cluster: str
    nodes: int
    scanned: int
    passed: int
    applicable: int
    score: float | None
    hardened: bool


class HardeningRead(BaseModel):
    clusters: list[ClusterScore]
    clusters_hardened: Share
    new_deployments_hardened: Share


class WithinSla(BaseModel):
    name: str = Field(description="fleet, a cluster or a supplier ((none) when unplaced)")
    within: int
    total: int
    share: float | None


class DashboardRead(BaseModel):
    open_by_severity: dict[str, int]
    overdue: int
    criticals_within_sla: WithinSla
    highs_within_sla: WithinSla
    criticals_by_cluster: list[WithinSla]
    criticals_by_supplier: list[WithinSla]


class FreshnessRead(BaseModel):
    hostname: str
    scanned_at: datetime | None
    stale: bool


class Reason(BaseModel):
    """Why a node or asset is affected: a finding (`check`, `package`, `installed_version`) or a
    component's version (`name`, `version`, `checked_at`); `by` says which."""

    by: str
    check: str | None = None
    package: str | None = None
    installed_version: str | None = None
    name: str | None = None
    version: str | None = None
    checked_at: datetime | None = None


class AffectedNode(BaseModel):
    hostname: str
    state: str
    cluster: str | None
    why: list[Reason]


class OtherAsset(Reason):
    asset_kind: str
    asset: str


class AffectedRead(BaseModel):
    bulletin: dict[str, str] = Field(description="The bulletin as asked, with the range as understood")
    nodes_considered: int
    affected_count: int
    affected: list[AffectedNode]
    unknown_count: int
    unknown: list[str] = Field(description="Nodes no source has described: not known to be unaffected")
    other_assets: list[OtherAsset]


class SoftwareRead(BaseModel):
    component: str
    name: str
    version: str
    source: str
    seen_at: datetime
    checked_at: datetime | None
