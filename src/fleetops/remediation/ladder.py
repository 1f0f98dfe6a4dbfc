"""The escalation ladder: GPU reset → node reboot → power-cycle → supplier RMA, with caps so nothing loops.

Pure functions over plans (lists of action names), used by intake (caps, a reboot superseding a pending
reset) and by the engine (a failed action or verification climbs one rung).
"""

from __future__ import annotations

from fleetops.remediation.choices import ActionKind
from fleetops.remediation.policy import HANDOVER, NODE_ACTIONS, Plan, Policy

A = ActionKind


def strength(policy: Policy, actions: list[str]) -> int:
    """How far up the ladder a plan reaches (-1: no node action): a stronger plan supersedes a weaker."""
    best = -1
    for name in actions:
        action = A(name)
        if action in policy.ladder:
            best = max(best, policy.ladder.index(action))
        elif action in HANDOVER:
            best = max(best, len(policy.ladder))
    return best


def has_node_action(plan: Plan) -> bool:
    return any(a in NODE_ACTIONS or a in HANDOVER or a is A.DRAIN for a in plan.actions)


def capped(
    policy: Policy, plan: Plan, same_xid: int, node_runs: int, xid: int | None, gpu: int | None
) -> Plan:
    """The plan, or straight-to-supplier when the same fault keeps coming back (the caps in the policy)."""
    if not has_node_action(plan):
        return plan
    caps = policy.caps
    why = None
    if xid is not None and caps.same_xid_count and same_xid >= caps.same_xid_count:
        why = f"XID {xid} on GPU {gpu} {same_xid} times within {caps.same_xid_window_s / 3600:g} h"
    elif caps.node_runs_count and node_runs >= caps.node_runs_count:
        why = f"node remediated {node_runs} times within {caps.node_runs_window_s / 86400:g} days"
    if why is None:
        return plan
    return Plan(
        f"cap:{plan.rule}", caps.actions, plan.fault_class, f"{why}: straight to the supplier ({plan.reason})"
    )


def supersede(policy: Policy, current: list[str], step: int, new: Plan, drained: bool) -> list[str] | None:
    """The run's new plan when `new` reaches higher than what is left of it (a reboot supersedes a pending
    reset); None when the open run already covers the new fault."""
    remaining = current[step:]
    if strength(policy, [a.value for a in new.actions]) <= strength(policy, remaining):
        return None
    tail = [a.value for a in new.actions if not (drained and a is A.DRAIN)]
    return current[:step] + tail


def climb(policy: Policy, plan: list[str], step: int, drained: bool) -> list[str] | None:
    """Keep the failed step in the plan and replace what follows with the next rung (and a verification);
    the run carries on at `step + 1`. None at the top of the ladder.

    The rung that failed is the step's own action, or for a failed verification the last node action
    before it; a plan with no node action yet starts at the bottom of the ladder.
    """
    failed = A(plan[step])
    if failed not in NODE_ACTIONS:
        earlier = [A(a) for a in plan[:step] if A(a) in NODE_ACTIONS]
        if failed is not A.VERIFY and failed not in HANDOVER and not earlier:
            return None  # a drain, ticket or message that keeps failing is for a person, not a bigger hammer
        failed = earlier[-1] if earlier else failed
    rung = policy.next_rung(failed) if failed in NODE_ACTIONS else policy.ladder[0]
    if rung is None:
        return None
    head = plan[: step + 1]
    drain = [] if drained or A.DRAIN.value in head else [A.DRAIN.value]
    tail = [rung.value] if rung in HANDOVER else [rung.value, A.VERIFY.value]
    return [*head, *drain, *tail]
