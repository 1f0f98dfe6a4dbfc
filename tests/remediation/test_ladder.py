"""The ladder never loops: whatever fails, climbing ends at the supplier (or a person) within the rungs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fleetops.remediation import fsm, ladder
from fleetops.remediation.choices import ActionKind, FaultClass, RunState
from fleetops.remediation.policy import HANDOVER, Plan, default_policy

POLICY = default_policy()
PLANS = [list(a.value for a in r.actions) for r in POLICY.rules if r.actions]


@given(
    plan=st.sampled_from(PLANS),
    failures=st.lists(st.integers(min_value=0, max_value=5), max_size=12),
    drained=st.booleans(),
)
def test_climbing_always_ends_within_the_ladder(plan, failures, drained):
    step, climbs = 0, 0
    for fail_at in failures:
        step = min(len(plan) - 1, step + fail_at)
        if ActionKind(plan[step]) in HANDOVER:
            break
        new = ladder.climb(POLICY, plan, step, drained or "drain" in plan[:step])
        if new is None:
            break
        plan, step, climbs = new, step + 1, climbs + 1
        assert len(set(plan[step:])) == len(plan[step:])  # no rung repeated ahead
    assert climbs <= len(POLICY.ladder)


@given(plan=st.sampled_from(PLANS))
def test_every_plan_walks_the_state_machine(plan):
    state = RunState.QUARANTINED
    for name in plan:
        target = fsm.STATE_OF[ActionKind(name)]
        if target is not state:
            fsm.check(1, "n", state, target)
            state = target
    end = RunState.ESCALATED if ActionKind(plan[-1]) in HANDOVER else RunState.RESOLVED
    fsm.check(1, "n", state, end)


def test_supersede_only_upgrades():
    reset = ["drain", "reset_gpu", "verify"]
    reboot = ["drain", "reboot_node", "verify"]
    stronger = Plan("r", tuple(ActionKind(a) for a in reboot), FaultClass.HARDWARE, "")
    weaker = Plan("w", (ActionKind.RESET_GPU, ActionKind.VERIFY), FaultClass.HARDWARE, "")
    assert ladder.supersede(POLICY, reset, 1, stronger, drained=True) == reboot
    assert ladder.supersede(POLICY, reset, 0, stronger, drained=False) == reboot
    assert ladder.supersede(POLICY, reboot, 1, weaker, drained=True) is None
