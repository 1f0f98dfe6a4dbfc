"""Security routes: import scanner files, read findings, the dashboard and freshness, accept a risk (thin).

No `from __future__ import annotations`: FastAPI must see the dependency types themselves.
"""

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from fleetops import clock
from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.api.types import Cursor, Days, Id
from fleetops.db.session import get_database
from fleetops.errors import InvalidInput
from fleetops.security import affected, hardening, measures, schemas, service, software
from fleetops.security.choices import Component, Scanner
from fleetops.security.imports import Offered, import_file, import_files, record_absence

router = APIRouter(prefix="/api/v1/security", tags=["security"])
MAX_FILE_BYTES = 64 * 1024 * 1024  # an OpenSCAP ARF of the CIS profile is ~15 MB


class Acceptance(BaseModel):
    until: datetime = Field(description="When the acceptance ends and the finding counts as open again")
    reason: str = Field(min_length=1, max_length=2000)


@router.post(
    "/imports", status_code=201, response_model=schemas.ImportRead, response_model_exclude_unset=True
)
async def import_scan(
    request: Request,
    who: PrincipalDep,
    scanner: Annotated[Scanner, Query(description="trivy, kube-bench, openscap (XCCDF 1.2 or ARF) or lynis")],
    filename: str = Query(default="upload", max_length=300, description="The file's name, for messages"),
    host: str | None = Query(default=None, description="The node scanned (default: the host the file names)"),
    cluster: str | None = Query(
        default=None, description="The cluster an image or kube-bench run belongs to"
    ),
) -> dict[str, Any]:
    """The file is the request body, as the scanner wrote it. A refusal (422) names the file and the JSON
    pointer, XML path or line at fault, and is kept in the imports log; the same file again is `unchanged`."""
    data = await request.body()
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"{filename}: {len(data)} bytes is over the {MAX_FILE_BYTES} byte limit")
    offered = Offered(scanner, filename, data, host, cluster)
    return await run_in_threadpool(import_file, get_database(), who, offered)


@router.post("/imports/batch", response_model=schemas.BatchRead, response_model_exclude_unset=True)
async def import_scans(
    who: PrincipalDep,
    scanner: Annotated[Scanner, Query(description="The scanner that wrote every file")],
    files: Annotated[list[UploadFile], File(description="The files; a file naming no host is <hostname>.*")],
    cluster: str | None = Query(default=None, description="The cluster of the images or kube-bench runs"),
) -> dict[str, Any]:
    """Several files in one transaction, each answered on its own: a refused file (named with its place)
    stores nothing but its refusal, the others are stored. The host of a file that names none is its
    file name's up to the first dot."""
    offered, size = [], 0
    for upload in files:
        data = await upload.read()
        size += len(data)
        if size > MAX_FILE_BYTES:
            raise InvalidInput(
                f"files: over the {MAX_FILE_BYTES} byte limit of one batch at {upload.filename}"
            )
        name = upload.filename or "upload"
        offered.append(Offered(scanner, name, data, cluster=cluster, named=name.split(".", 1)[0]))
    results = await run_in_threadpool(import_files, get_database(), who, offered)
    counts = {
        outcome: sum(1 for r in results if r["outcome"] == outcome)
        for outcome in ("accepted", "unchanged", "rejected")
    }
    return {**counts, "results": results}


class Absence(BaseModel):
    scanner: Scanner
    status: str = Field(default="absent", pattern="^(absent|failed)$")
    detail: str = Field(default="", max_length=2000)
    host: str | None = Field(default=None, description="The node (an agent: its own, the default)")


@router.post(
    "/absences", status_code=201, response_model=schemas.ImportRead, response_model_exclude_unset=True
)
def absence(body: Absence, who: PrincipalDep) -> dict[str, Any]:
    """A scanner that could not run on a node: recorded as absent or failed, never as a clean scan."""
    return record_absence(get_database(), who, body.scanner, f"{body.status}: {body.detail}", body.host)


@router.get("/hardening", response_model=schemas.HardeningRead)
def hardening_scores(db: SessionDep, who: PrincipalDep, days: Days = 30) -> dict[str, Any]:
    """Each cluster's CIS score from its nodes' latest scans, and the goals: clusters hardened, and new
    deployments (ready in the last `days`) that passed a CIS scan."""
    since = clock.now() - timedelta(days=days)
    return hardening.goals(db, who, since)


@router.get("/imports", response_model=list[schemas.ImportLogRead])
def imports(
    db: SessionDep, who: PrincipalDep, outcome: str | None = None, limit: int = Query(100, ge=1, le=1000)
) -> list[dict[str, Any]]:
    return service.list_imports(db, who, outcome, limit)


@router.get("/findings", response_model=schemas.FindingPage)
def findings(
    db: SessionDep,
    who: PrincipalDep,
    open: bool | None = None,
    overdue: bool = False,
    severity: str | None = None,
    scanner: str | None = None,
    node: str | None = None,
    cluster: str | None = None,
    check: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    q = service.FindingQuery(open, overdue, severity, scanner, node, cluster, check, limit, cursor)
    return service.list_findings(db, who, q)


@router.post("/findings/{finding_id}/accept", response_model=schemas.FindingRead)
def accept(finding_id: Id, body: Acceptance, db: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    return service.accept_risk(db, who, finding_id, body.until, body.reason)


@router.get("/dashboard", response_model=schemas.DashboardRead)
def dashboard(db: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    return measures.dashboard(db, who)


@router.get("/freshness", response_model=list[schemas.FreshnessRead])
def freshness(db: SessionDep, who: PrincipalDep) -> list[dict[str, Any]]:
    return service.freshness(db, who)


@router.get("/affected", response_model=schemas.AffectedRead, response_model_exclude_unset=True)
def affected_nodes(
    db: SessionDep,
    who: PrincipalDep,
    cve: str | None = Query(None, max_length=200, description="Nodes with this CVE's finding not fixed"),
    package: str | None = Query(
        None, max_length=200, description="Nodes whose installed package is in range"
    ),
    component: Annotated[
        Component | None, Query(description="kernel, gpu_driver, vbios, bmc, bios or firmware")
    ] = None,
    name: str | None = Query(None, max_length=200, description="One entry of the component (its Redfish Id)"),
    versions: str = Query("", alias="range", max_length=500, description="Affected versions: >=1.0,<1.2.3"),
    scheme: Annotated[
        Literal["debian", "dotted", "hex"] | None,
        Query(description="Version order (default: debian for packages, hex for a VBIOS, else dotted)"),
    ] = None,
    cluster: str | None = None,
) -> dict[str, Any]:
    """The embargo impact assessment: affected nodes with why, and the nodes no source has described."""
    bulletin = affected.Bulletin(cve, package, component, name, versions, scheme, cluster)
    return affected.assess(db, who, bulletin)


@router.get("/software/{hostname}", response_model=list[schemas.SoftwareRead])
def node_software(hostname: str, db: SessionDep, who: PrincipalDep) -> list[dict[str, Any]]:
    """What the node runs: kernel, GPU driver, VBIOS, BMC and BIOS firmware, with when each was seen."""
    return software.node_software(db, who, hostname)
