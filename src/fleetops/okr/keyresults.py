"""The measurable key results as data (keyresults.yaml), checked at load against the readers that exist."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from fleetops.errors import InvalidInput

KEY_RESULTS_PATH = Path(__file__).with_name("keyresults.yaml")


class KeyResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    kr: str
    target: float
    unit: str
    better: Literal["higher", "lower"]
    source: str

    def met(self, value: float) -> bool:
        return value >= self.target if self.better == "higher" else value <= self.target


def parse_key_results(text: str, source: str, readers: set[str]) -> list[KeyResult]:
    try:
        data = yaml.safe_load(text)
        rows = TypeAdapter(list[KeyResult]).validate_python(data)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not YAML ({exc})") from exc
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise InvalidInput(f"{source}: entry {where}: {error['msg']}") from exc
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.id in seen:
            raise InvalidInput(f"{source}: entry {i}.id: {row.id} given twice")
        if row.source not in readers:
            raise InvalidInput(f"{source}: entry {i}.source: no reader named {row.source}")
        seen.add(row.id)
    return rows


@cache
def default_key_results() -> list[KeyResult]:
    from fleetops.okr.sources import READERS

    return parse_key_results(KEY_RESULTS_PATH.read_text(), str(KEY_RESULTS_PATH), set(READERS))
