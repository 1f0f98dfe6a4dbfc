"""A cluster's checklist: one item per ClusterMAX expectation, each with its verdict and its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetops.clustermax.choices import Verdict


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    verdict: Verdict
    evidence: str  # the records behind the verdict, in words


@dataclass(frozen=True)
class Readiness:
    cluster: str
    orchestrator: str
    state: str
    at: datetime
    items: list[Item]

    @property
    def verdict(self) -> Verdict:
        """Ready only when every item is proven; one failure fails; otherwise what cannot be proven."""
        verdicts = {item.verdict for item in self.items}
        if Verdict.FAIL in verdicts:
            return Verdict.FAIL
        return Verdict.UNKNOWN if Verdict.UNKNOWN in verdicts else Verdict.PASS

    @property
    def passed(self) -> int:
        return sum(item.verdict is Verdict.PASS for item in self.items)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "orchestrator": self.orchestrator,
            "state": self.state,
            "at": self.at.isoformat(),
            "verdict": self.verdict.value,
            "passed": self.passed,
            "items": [
                {"key": i.key, "label": i.label, "verdict": i.verdict.value, "evidence": i.evidence}
                for i in self.items
            ],
        }
