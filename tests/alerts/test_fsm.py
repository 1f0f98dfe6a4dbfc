"""The incident lifecycle table: every status change goes through it, and a merged incident is final."""

from __future__ import annotations

import pytest

from fleetops.alerts import fsm, models
from fleetops.alerts.choices import IncidentStatus as S
from fleetops.errors import InvalidTransition


def _incident(status: S) -> models.Incident:
    return models.Incident(id=7, status=status.value)


@pytest.mark.parametrize(("old", "new"), [(S.OPEN, S.RESOLVED), (S.OPEN, S.MERGED), (S.RESOLVED, S.OPEN)])
def test_the_moves_the_table_allows(old: S, new: S) -> None:
    fsm.check(_incident(old), new)


@pytest.mark.parametrize(("old", "new"), [(S.MERGED, S.OPEN), (S.MERGED, S.RESOLVED), (S.RESOLVED, S.MERGED)])
def test_a_move_outside_the_table_is_refused_naming_the_incident(old: S, new: S) -> None:
    with pytest.raises(InvalidTransition, match=f"incident 7: field status: {old.value} → {new.value}"):
        fsm.check(_incident(old), new)
