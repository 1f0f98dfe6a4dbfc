"""The scorecard's thresholds, a data file checked at load: each metric's Red/Yellow/Green bounds."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from fleetops.errors import InvalidInput
from fleetops.suppliers.choices import Rating

THRESHOLDS_PATH = Path(__file__).with_name("thresholds.yaml")
METRICS = (
    "uptime_pct",
    "response_s",
    "deploy_success_pct",
    "fsh_coverage_pct",
    "ticket_resolution_s",
    "mttr_hardware_s",
    "rma_per_1000_gpu_days",
)


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    unit: str
    better: Literal["higher", "lower"]
    green: float
    yellow: float

    @model_validator(mode="after")
    def _ordered(self) -> Threshold:
        if (self.green < self.yellow) if self.better == "higher" else (self.green > self.yellow):
            raise ValueError(f"green {self.green} must be better than yellow {self.yellow} ({self.better})")
        return self

    def rate(self, value: float | None) -> Rating:
        """A value exactly on a bound takes the better colour."""
        if value is None:
            return Rating.NO_DATA
        sign = 1 if self.better == "higher" else -1
        if sign * value >= sign * self.green:
            return Rating.GREEN
        return Rating.YELLOW if sign * value >= sign * self.yellow else Rating.RED

    def improved(self, now: float, before: float) -> bool:
        return now > before if self.better == "higher" else now < before


@dataclass(frozen=True)
class Thresholds:
    by_metric: dict[str, Threshold]

    def __getitem__(self, metric: str) -> Threshold:
        return self.by_metric[metric]


def parse_thresholds(text: str, source: str) -> Thresholds:
    """Every metric must be present, once, with ordered bounds; errors name the file, line and field."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not YAML ({exc})") from exc
    if not isinstance(root, yaml.MappingNode):
        raise InvalidInput(f"{source}: expected a mapping of metric → bounds")
    found: dict[str, Threshold] = {}
    for key, value in root.value:
        where = f"{source}:{key.start_mark.line + 1}: {key.value}"
        if key.value not in METRICS:
            raise InvalidInput(f"{where}: unknown metric (known: {', '.join(METRICS)})")
        if key.value in found:
            raise InvalidInput(f"{where}: given twice")
        try:
            found[key.value] = Threshold.model_validate(yaml.safe_load(yaml.serialize(value)))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"]) or "bounds"
            raise InvalidInput(f"{where}: field {field}: {error['msg']}") from exc
    missing = [m for m in METRICS if m not in found]
    if missing:
        raise InvalidInput(f"{source}: missing thresholds for {', '.join(missing)}")
    return Thresholds({m: found[m] for m in METRICS})


def load_thresholds(path: Path = THRESHOLDS_PATH) -> Thresholds:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the supplier thresholds ({exc})") from exc
    return parse_thresholds(text, str(path))


@cache
def default_thresholds() -> Thresholds:
    return load_thresholds()
