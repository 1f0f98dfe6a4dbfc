"""The remediation test bed (fake world, engine) for the link findings' walk through the pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleetops.clock import ManualClock
from fleetops.db.session import Database
from tests.remediation.conftest import Bed, make_bed


@pytest.fixture
def bed(fleet: Database, manual_clock: ManualClock) -> Iterator[Bed]:
    made = make_bed(fleet, manual_clock)
    yield made
    made.engine.close()
