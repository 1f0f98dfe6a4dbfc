"""Correlation rules and the routing tree as data: loaded from YAML and validated before any use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fleetops.backends.settings import Notify, webhook_key
from fleetops.config import settings
from fleetops.errors import InvalidInput
from fleetops.inventory.reading import check_nesting

HERE = Path(__file__).parent
MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
P0_MAX_GROUP_WAIT_S = 60.0


def seconds(text: str | float) -> float:
    """Alertmanager-style duration ("30s", "5m", "4h") in seconds."""
    if isinstance(text, int | float):
        return float(text)
    found = DURATION.match(text.strip())
    if not found:
        raise ValueError(f"duration {text!r}: expected a number and a unit (ms, s, m, h, d), e.g. 30s")
    return float(found[1]) * UNITS[found[2]]


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Matcher:
        found = MATCHER.match(text)
        if not found:
            raise ValueError(f'matcher {text!r}: expected name="value" (or !=, =~, !~)')
        matcher = cls(found[1], found[2], found[3])
        if matcher.op in ("=~", "!~"):
            try:
                re.compile(matcher.value)
            except re.error as exc:
                raise ValueError(f"matcher {text!r}: bad regular expression ({exc})") from exc
        return matcher

    def matches(self, labels: dict[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        hit = re.fullmatch(self.value, value) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def parse_matchers(texts: list[str]) -> list[Matcher]:
    return [Matcher.parse(t) for t in texts]


class RackRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_nodes: int = Field(default=4, ge=2)
    min_share: float = Field(default=0.25, ge=0, le=1)


class ClusterRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_nodes: int = Field(default=2, ge=1)


class Correlation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    infrastructure_owners: list[str] = ["hardware", "driver", "unknown"]
    # A fault back within this long after its incident resolved reopens that incident (a flapping GPU is
    # one incident, one page and one ticket, not one per episode); 0 opens a new one each time.
    flap_window_s: float = Field(default=3600, ge=0)
    rack: RackRule = RackRule()
    cluster: ClusterRule = ClusterRule()


class Classification(BaseModel):
    model_config = ConfigDict(extra="forbid")
    p0_cluster_share: float = Field(default=0.10, gt=0, le=1)
    per_cluster: dict[str, float] = {}
    p0_checks: list[str] = ["cluster_down", "control_plane_unreachable"]
    rack_priority: Literal["P1", "P2", "P3"] = "P1"
    node_priority: Literal["P1", "P2", "P3"] = "P2"
    customer_priority: Literal["P1", "P2", "P3"] = "P3"

    def cluster_share(self, cluster: str) -> float:
        return self.per_cluster.get(cluster, self.p0_cluster_share)


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    correlation: Correlation = Correlation()
    classification: Classification = Classification()


class Receiver(BaseModel):
    """Where messages go. Credentials (PagerDuty routing keys, Slack webhooks, the Jira token) are settings
    (`[fleetops.notify]`, by receiver name), never written in this file or in an outbox row."""

    model_config = ConfigDict(extra="forbid")
    name: str
    kind: Literal["pagerduty", "slack", "jira"]
    url: str | None = None
    by_label: str | None = None
    project: str | None = None
    rate_per_s: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _no_secret_here(self) -> Receiver:
        if self.kind == "slack" and self.url:
            raise ValueError(
                f"receiver {self.name}: a Slack webhook is a secret: set it in "
                f"[fleetops.notify.webhooks.{self.name}], not as url"
            )
        return self

    def destination(self, labels: dict[str, str], notify: Notify | None = None) -> tuple[str | None, str]:
        """Where to send for these labels, or None and why not. A Slack webhook is itself a secret, so the
        outbox keeps `slack:<receiver>/<key>` and delivery looks the webhook up (`webhook`)."""
        if self.kind != "slack":
            return self.url, "" if self.url else f"receiver {self.name} has no url"
        hooks = (notify or settings().notify).webhooks.get(self.name, {})
        value = labels.get(self.by_label, "") if self.by_label else ""
        key = webhook_key(hooks, value)
        if key is None:
            where = f" for {self.by_label}={value or '(none)'}" if self.by_label else ""
            return None, f"receiver {self.name} has no webhook{where} in [fleetops.notify.webhooks]"
        return f"{SLACK_REF}{self.name}/{key}", ""


SLACK_REF = "slack:"


def webhook(destination: str, notify: Notify) -> str:
    """The Slack webhook an outbox destination refers to; a missing one is a configuration error."""
    receiver, _, key = destination.removeprefix(SLACK_REF).partition("/")
    secret = notify.webhooks.get(receiver, {}).get(key)
    if secret is None:
        raise InvalidInput(f"receiver {receiver}: no webhook {key} in [fleetops.notify.webhooks.{receiver}]")
    return secret.get_secret_value()


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    receiver: str | None = None
    matchers: list[str] = []
    group_by: list[str] | None = None
    group_wait: float | None = None
    group_interval: float | None = None
    repeat_interval: float | None = None
    continue_: bool = Field(default=False, alias="continue")
    routes: list[Route] = []

    @field_validator("group_wait", "group_interval", "repeat_interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else seconds(value)

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, value: list[str]) -> list[str]:
        parse_matchers(value)
        return value


class RoutingTree(BaseModel):
    model_config = ConfigDict(extra="forbid")
    route: Route
    receivers: list[Receiver]

    @model_validator(mode="after")
    def _check(self) -> RoutingTree:
        names = {r.name for r in self.receivers}
        if self.route.receiver is None:
            raise ValueError("route: the root route needs a receiver")
        for path, node in walk(self.route):
            if node.receiver is not None and node.receiver not in names:
                raise ValueError(f"route {path}: receiver {node.receiver!r} is not defined in receivers")
        return self

    def receiver(self, name: str) -> Receiver:
        return next(r for r in self.receivers if r.name == name)

    def undeliverable(self, notify: Notify | None = None) -> list[str]:
        """Receivers nothing can reach: no URL, no webhook, or no PagerDuty routing key configured."""
        notify = notify or settings().notify
        return [
            r.name
            for r in self.receivers
            if (r.kind == "slack" and not notify.webhooks.get(r.name))
            or (r.kind != "slack" and not r.url)
            or (r.kind == "pagerduty" and r.name not in notify.routing_keys)
        ]


def walk(route: Route, path: str = "root") -> list[tuple[str, Route]]:
    found = [(path, route)]
    for i, child in enumerate(route.routes):
        found += walk(child, f"{path}.routes[{i}]")
    return found


def _load(path: Path, model: type[BaseModel]) -> Any:
    try:
        text = path.read_bytes()
        check_nesting(text, "yaml", f"policy file {path}")  # 3,000 levels raised RecursionError
        data = yaml.safe_load(text) or {}
        return model.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError, ValueError) as exc:
        raise InvalidInput(f"policy file {path}: {exc}") from exc


def rules_path(path: Path | None = None) -> Path:
    """The rules file in force: `path` if given, else FLEETOPS_ALERT_RULES, else the shipped one."""
    configured = settings().alert_rules
    return path or (Path(configured) if configured else HERE / "rules.yaml")


def routes_path(path: Path | None = None) -> Path:
    """The routing tree in force: `path` if given, else FLEETOPS_ALERT_ROUTES, else the shipped one."""
    configured = settings().alert_routes
    return path or (Path(configured) if configured else HERE / "routes.yaml")


def load_rules(path: Path | None = None) -> Rules:
    rules: Rules = _load(rules_path(path), Rules)
    return rules


def load_routes(path: Path | None = None) -> RoutingTree:
    tree: RoutingTree = _load(routes_path(path), RoutingTree)
    return tree


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The rules in force, read once per process."""
    return load_rules()


@lru_cache(maxsize=1)
def default_routes() -> RoutingTree:
    """The routing tree in force, read once per process."""
    return load_routes()
