"""The bring-up table and the recovery ladder, as data an operator can read and these tests pin down."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetops.deploy import fsm, recovery
from fleetops.deploy.choices import BringupState as S
from fleetops.deploy.choices import DecommissionState as D
from fleetops.deploy.choices import RecoveryAction as A
from fleetops.errors import InvalidTransition


def test_happy_path_is_allowed_and_ready_is_final():
    for old, new in zip(fsm.PIPELINE, fsm.PIPELINE[1:], strict=False):
        fsm.check("n1", old, new)
    assert fsm.TRANSITIONS[S.READY] == frozenset()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.ENROLLED, S.PROVISIONING),
        (S.POWER_ON, S.HARDENING),
        (S.HARDENING, S.READY),
        (S.FAILED_HARDENING, S.QUALIFYING),
        (S.READY, S.POWER_ON),
    ],
)
def test_skips_are_refused_naming_the_node(old, new):
    with pytest.raises(InvalidTransition, match=f"bring-up of node n7: field state: {old} → {new}"):
        fsm.check("n7", old, new)


@given(st.lists(st.sampled_from(list(S)), min_size=1, max_size=30))
def test_only_step_states_lead_to_ready(path):
    """Whatever sequence of moves is attempted, ready is reached only straight from joining."""
    state = S.ENROLLED
    for new in path:
        if new in fsm.TRANSITIONS[state]:
            if new is S.READY:
                assert state is S.JOINING
            state = new


def test_ladder_retries_then_power_cycles_then_reimages_then_escalates():
    actions = [recovery.decide(S.QUALIFYING, n, retryable=True) for n in range(1, 6)]
    assert [d.action for d in actions] == [A.RETRY, A.RETRY, A.POWER_CYCLE, A.REIMAGE, A.ESCALATE]
    assert actions[0].wait_s < actions[1].wait_s  # backoff
    assert actions[3].resume_state is S.PROVISIONING and actions[2].resume_state is S.QUALIFYING


def test_power_on_cannot_be_reimaged_and_non_retryable_goes_to_a_human():
    assert [recovery.decide(S.POWER_ON, n, retryable=True).action for n in range(1, 5)] == [
        A.RETRY,
        A.RETRY,
        A.POWER_CYCLE,
        A.ESCALATE,
    ]
    assert recovery.decide(S.HARDENING, 1, retryable=False).action is A.ESCALATE


def test_a_finished_decommission_cannot_start_again():
    fsm.check_decommission("gamma", D.DRAINING, D.WIPING)
    fsm.check_decommission("gamma", D.WIPING, D.WIPING)  # a re-run resumes where it stopped
    with pytest.raises(InvalidTransition, match="decommission of cluster gamma: field state: done → wiping"):
        fsm.check_decommission("gamma", D.DONE, D.WIPING)
