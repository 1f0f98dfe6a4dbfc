"""Remediation policy as data: fault → ordered actions, checked at load so a bad rule never runs at 3 am.

`policies.yaml` holds the rules the issue lists; an XID with no rule gets actions derived from the XID
catalog's folded action, so a catalog correction changes remediation without touching this file. A rule
naming an unknown action, two rules matching the same fault differently, an action after the node has
been handed to the supplier, a loop (an action repeated in a plan or the ladder), or an XID rule whose
remedy differs from the catalog row's without the row's `policy_note` saying why, stops the load with an
`InvalidInput` naming the file, the rule and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from fleetops.catalog import default_catalog, parse_recovery_action, recovery_to_action
from fleetops.errors import InvalidInput
from fleetops.flow import Finding
from fleetops.remediation.choices import ActionKind, FaultClass
from fleetops.wire import Action, FaultOwner

A = ActionKind
POLICY_PATH = Path(__file__).with_name("policies.yaml")
NODE_ACTIONS = frozenset({A.RESET_GPU, A.REBOOT_NODE, A.POWER_CYCLE})
# After these the node belongs to the supplier: nothing in the same plan may follow them.
HANDOVER = frozenset({A.RMA_TICKET, A.CONTACT_SUPPLIER})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

# The catalog's folded advice (fleetops.wire.Action) as a remediation plan; None: no node action.
_FROM_CATALOG: dict[Action, tuple[ActionKind, ...] | None] = {
    Action.NONE: None,
    Action.IGNORE: None,
    Action.RESTART_APP: (A.NOTIFY_CUSTOMER,),
    Action.DRAIN_P2P: (A.DRAIN, A.VERIFY),
    Action.RESET_GPU: (A.DRAIN, A.RESET_GPU, A.VERIFY),
    Action.DRAIN_AND_RESET: (A.DRAIN, A.RESET_GPU, A.VERIFY),
    Action.REBOOT_NODE: (A.DRAIN, A.REBOOT_NODE, A.VERIFY),
    Action.CHECK_MECHANICALS: (A.DRAIN, A.RMA_TICKET),
    Action.CONTACT_SUPPORT: (A.DRAIN, A.RMA_TICKET),
    Action.RUN_FIELD_DIAGNOSTICS: (A.DRAIN, A.RMA_TICKET),
    Action.UPDATE_SOFTWARE: None,
    Action.INVESTIGATE_SOFTWARE: None,
}


def from_catalog(action: Action) -> tuple[ActionKind, ...] | None:
    """The plan an XID gets from its catalog row's folded action alone; None: no node action."""
    return _FROM_CATALOG.get(action)


def remedy(actions: tuple[ActionKind, ...] | None) -> ActionKind | None:
    """What a plan does about the fault: its first action past the drain, which only makes room for it
    (48 alone resets without draining and still agrees with the catalog's reset)."""
    return next((action for action in actions or () if action is not A.DRAIN), None)


def seconds(text: Any, where: str) -> float:
    match = _DURATION.match(str(text))
    if match is None:
        raise InvalidInput(f"{where}: {text!r} is not a duration (like 90s, 15m, 24h, 7d)")
    return float(match.group(1)) * _UNIT[match.group(2)]


@dataclass(frozen=True)
class Match:
    check: str
    xids: frozenset[int] = frozenset()
    with_any: frozenset[int] = frozenset()
    after: ActionKind | None = None

    @property
    def specificity(self) -> int:
        return (2 if self.xids else 0) + (1 if self.with_any else 0) + (1 if self.after else 0)


@dataclass(frozen=True)
class Rule:
    name: str
    match: Match
    fault_class: FaultClass | None
    actions: tuple[ActionKind, ...] = ()
    from_driver: bool = False

    def class_for(self, finding: Finding) -> FaultClass:
        """The rule's own class, else the catalog owner of its XID (119 is software, 62 hardware)."""
        if self.fault_class is not None:
            return self.fault_class
        if finding.xid is not None:
            return _class_of(default_catalog().lookup(finding.xid).owner)
        return FaultClass.HARDWARE


@dataclass(frozen=True)
class Context:
    """What the engine knows around a finding: XIDs recently seen on the same GPU, actions recently run."""

    recent_xids: frozenset[int] = frozenset()
    recent_actions: frozenset[ActionKind] = frozenset()


@dataclass(frozen=True)
class Plan:
    rule: str
    actions: tuple[ActionKind, ...]
    fault_class: FaultClass
    reason: str
    needs_human: bool = False


@dataclass(frozen=True)
class Caps:
    same_xid_count: int = 5
    same_xid_window_s: float = 86400
    node_runs_count: int = 5
    node_runs_window_s: float = 7 * 86400
    actions: tuple[ActionKind, ...] = (A.DRAIN, A.RMA_TICKET)


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]
    ladder: tuple[ActionKind, ...]
    caps: Caps = field(default_factory=Caps)
    context_window_s: float = 86400

    def plan(self, finding: Finding, context: Context = Context()) -> Plan | None:
        """The plan for one finding, or None when no node action is wanted."""
        rule = self._rule(finding, context)
        if rule is None:
            return _derived(finding) if finding.check == "xid" and finding.xid is not None else None
        if rule.from_driver:
            return _from_driver(rule, finding)
        why = f"rule {rule.name} matched {_describe(finding)}"
        return Plan(rule.name, rule.actions, rule.class_for(finding), why) if rule.actions else None

    def _rule(self, finding: Finding, context: Context) -> Rule | None:
        best: Rule | None = None
        for rule in self.rules:
            m = rule.match
            if m.check != finding.check or (m.xids and finding.xid not in m.xids):
                continue
            if m.with_any and not (m.with_any & context.recent_xids):
                continue
            if m.after and m.after not in context.recent_actions:
                continue
            if best is None or m.specificity > best.match.specificity:
                best = rule
        return best

    def next_rung(self, action: ActionKind) -> ActionKind | None:
        """The rung above `action` (None at the top); a non-ladder action starts at the bottom."""
        if action not in self.ladder:
            return self.ladder[0] if action not in HANDOVER else None
        index = self.ladder.index(action) + 1
        return self.ladder[index] if index < len(self.ladder) else None


def _describe(finding: Finding) -> str:
    what = f"XID {finding.xid}" if finding.xid is not None else finding.check
    gpu = f" GPU {finding.gpu_index}" if finding.gpu_index is not None else ""
    return f"{what} on {finding.hostname}{gpu}"


def _class_of(owner: FaultOwner) -> FaultClass:
    if owner is FaultOwner.HARDWARE:
        return FaultClass.HARDWARE
    return FaultClass.APPLICATION if owner is FaultOwner.APPLICATION else FaultClass.SOFTWARE


def _derived(finding: Finding) -> Plan | None:
    entry = default_catalog().lookup(int(finding.xid or 0))
    if not entry.known:
        why = f"{entry.title} on {finding.hostname}: not in the catalog, a person decides"
        return Plan(f"catalog:{entry.code}", (), FaultClass.SOFTWARE, why, needs_human=True)
    actions = from_catalog(entry.action)
    if actions is None:
        return None
    return Plan(
        f"catalog:{entry.code}",
        actions,
        _class_of(entry.owner),
        f"XID catalog {entry.title}: {entry.action.value} ({_describe(finding)})",
    )


def _from_driver(rule: Rule, finding: Finding) -> Plan | None:
    recovery = parse_recovery_action(finding.message)
    if recovery is None:
        why = f"XID 154 on {finding.hostname} names no recovery action: {finding.message[:200]!r}"
        return Plan(rule.name, (), rule.class_for(finding), why, needs_human=True)
    actions = _FROM_CATALOG.get(recovery_to_action(recovery))
    if actions is None:
        return None
    return Plan(
        rule.name, actions, rule.class_for(finding), f"driver says {recovery.value} ({_describe(finding)})"
    )


def _actions(raw: Any, where: str) -> tuple[ActionKind, ...]:
    if not isinstance(raw, list):
        raise InvalidInput(f"{where}: expected a list of actions")
    known = ", ".join(a.value for a in ActionKind)
    out: list[ActionKind] = []
    for i, name in enumerate(raw):
        try:
            action = ActionKind(name)
        except ValueError:
            raise InvalidInput(f"{where}[{i}]: {name!r} is not a known action (one of: {known})") from None
        if action in out:
            raise InvalidInput(f"{where}[{i}]: {name} appears twice: a plan that repeats itself loops")
        if out and out[-1] in HANDOVER:
            raise InvalidInput(
                f"{where}[{i}]: {name} follows {out[-1].value}, which hands the node to the supplier"
            )
        out.append(action)
    return tuple(out)


def _rule(raw: Any, index: int, source: str) -> Rule:
    where = f"{source}: rules[{index}]"
    if not isinstance(raw, dict) or not raw.get("name"):
        raise InvalidInput(f"{where}: each rule needs a `name`, a `match` and `actions`")
    where = f"{source}: rules[{index}] ({raw['name']})"
    unknown = raw.keys() - {"name", "match", "class", "actions", "from_driver"}
    if unknown:
        raise InvalidInput(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    match = raw.get("match")
    if not isinstance(match, dict) or not match.get("check"):
        raise InvalidInput(f"{where}.match: `check` is required")
    extra = match.keys() - {"check", "xids", "with_any", "after"}
    if extra:
        raise InvalidInput(f"{where}.match: unknown field(s) {', '.join(sorted(extra))}")
    after = _actions([match["after"]], f"{where}.match.after")[0] if match.get("after") else None
    try:
        fault_class = FaultClass(raw["class"]) if raw.get("class") else None
        xids = frozenset(int(x) for x in match.get("xids", []))
        with_any = frozenset(int(x) for x in match.get("with_any", []))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    from_driver = bool(raw.get("from_driver", False))
    actions = _actions(raw.get("actions", []), f"{where}.actions")
    if not actions and not from_driver:
        raise InvalidInput(f"{where}.actions: empty; a rule must say what to do (or set from_driver)")
    if actions and from_driver:
        raise InvalidInput(f"{where}: both `actions` and `from_driver`: contradictory, choose one")
    return Rule(
        str(raw["name"]), Match(str(match["check"]), xids, with_any, after), fault_class, actions, from_driver
    )


def _check_contradictions(rules: list[Rule], source: str) -> None:
    seen: dict[tuple[Any, ...], Rule] = {}
    for rule in rules:
        m = rule.match
        xids: list[int | None] = [*sorted(m.xids)] or [None]
        for xid in xids:
            key = (m.check, xid, m.with_any, m.after)
            other = seen.get(key)
            if other is not None and other.name != rule.name:
                what = f"XID {xid}" if xid is not None else m.check
                raise InvalidInput(
                    f"{source}: rules {other.name!r} and {rule.name!r} both match {what} with the same "
                    f"conditions: contradictory rules ({list(other.actions)} vs {list(rule.actions)})"
                )
            seen[key] = rule


def _check_against_catalog(rules: list[Rule], source: str) -> None:
    """An XID rule does what the catalog row's folded action asks, or the row's `policy_note` names what it
    does instead: two homes for one decision had drifted apart (147 and 148, ignored by the catalog, sent
    to the supplier). Rules with `with_any` or `after` see context the row does not, and `from_driver`
    follows XID 154's message, which beats the catalog by design (catalog.resolve_action): neither is checked.
    """
    catalog = default_catalog()
    for index, rule in enumerate(rules):
        m = rule.match
        if m.check != "xid" or m.with_any or m.after or rule.from_driver:
            continue
        ours = remedy(rule.actions)
        for code in sorted(m.xids):
            entry = catalog.lookup(code)
            theirs = remedy(from_catalog(entry.action))
            if not entry.known or ours == theirs or (ours is not None and ours.value in entry.policy_note):
                continue
            said = ours.value if ours else "no action"
            raise InvalidInput(
                f"{source}: rules[{index}] ({rule.name}).actions: XID {code} gets {said} but the XID catalog "
                f"folds it to {entry.action.value} ({theirs.value if theirs else 'no action'}): drop {code} "
                f"from the rule, or write why in its xid.yaml row's policy_note, naming {said}"
            )


def parse_policy(data: Any, source: str = "policies.yaml") -> Policy:
    """Build and check a policy from its YAML data; every error names the source, rule and field."""
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise InvalidInput(f"{source}: expected a mapping with `rules` (a list) and `ladder`")
    names = [r.get("name") for r in data["rules"] if isinstance(r, dict)]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise InvalidInput(f"{source}: rule name {duplicate!r} is used twice")
    rules = [_rule(raw, i, source) for i, raw in enumerate(data["rules"])]
    _check_contradictions(rules, source)
    _check_against_catalog(rules, source)
    ladder = _actions(
        data.get("ladder", [a.value for a in (A.RESET_GPU, A.REBOOT_NODE, A.POWER_CYCLE, A.RMA_TICKET)]),
        f"{source}: ladder",
    )
    if not ladder or ladder[-1] not in HANDOVER:
        raise InvalidInput(
            f"{source}: ladder: the top rung must hand the node over (rma_ticket or contact_supplier)"
        )
    caps_raw = data.get("caps", {}) or {}
    xid_cap = caps_raw.get("same_xid_per_gpu", {}) or {}
    node_cap = caps_raw.get("runs_per_node", {}) or {}
    caps = Caps(
        same_xid_count=int(xid_cap.get("count", 5)),
        same_xid_window_s=seconds(xid_cap.get("window", "24h"), f"{source}: caps.same_xid_per_gpu.window"),
        node_runs_count=int(node_cap.get("count", 5)),
        node_runs_window_s=seconds(node_cap.get("window", "7d"), f"{source}: caps.runs_per_node.window"),
        actions=_actions(caps_raw.get("actions", ["drain", "rma_ticket"]), f"{source}: caps.actions"),
    )
    window = seconds(data.get("context_window", "24h"), f"{source}: context_window")
    return Policy(tuple(rules), ladder, caps, window)


def load_policy(path: Path = POLICY_PATH) -> Policy:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read the remediation policy ({exc})") from exc
    return parse_policy(data, path.name)


@cache
def default_policy() -> Policy:
    return load_policy()
