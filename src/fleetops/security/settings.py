"""Security settings: SLA days by severity, how stale a node's scans may grow, what counts as hardened."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from fleetops.security.choices import Severity

DEFAULT_SLA_DAYS = {
    Severity.CRITICAL: 7,
    Severity.HIGH: 30,
    Severity.MEDIUM: 90,
    Severity.LOW: 120,
    Severity.UNKNOWN: 120,
}
CIS_PROFILE = "xccdf_org.ssgproject.content_profile_cis_level1_server"


class Security(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sla_days: dict[Severity, int] = Field(
        default=DEFAULT_SLA_DAYS,
        description="Days from a finding's opening to its due date, by severity (unknown: Low's unless set)",
    )
    stale_after_h: float = Field(
        default=24, gt=0, description="A node with no accepted scan for this long is itself a finding"
    )
    hardened_share: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="A cluster is hardened when this share of its profile's applicable rules pass",
    )
    profile: str = Field(default=CIS_PROFILE, description="The XCCDF profile the hardening gate reads")

    def days(self, severity: Severity) -> int:
        return self.sla_days.get(severity, self.sla_days.get(Severity.LOW, DEFAULT_SLA_DAYS[Severity.LOW]))
