"""Shared fixtures: the real H100 captures, and a fake NVML replaying them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetops.agent.collectors.fake_nvml import FakeNvml

FIXTURES = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "gpu" / "h100-sxm5"
).resolve()
T0 = datetime(2026, 11, 23, 6, 5, 8, tzinfo=UTC)


@pytest.fixture
def h100() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"real H100 captures not found at {FIXTURES} (the shared fixtures folder is missing)")
    return FIXTURES


@pytest.fixture
def fake_nvml(h100: Path) -> FakeNvml:
    return FakeNvml.from_fixtures(h100, gpus=8, load=True)
