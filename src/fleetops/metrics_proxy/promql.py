"""The tenant label matcher, enforced in a PromQL query's syntax tree (the prom-label-proxy pattern).

The query is parsed (`promql-parser`), every vector selector loses any matcher on the tenant label and
gains `customer="<the caller's>"`; selectors of advanced (non-FSH) series also gain the caller's
clusters with the advanced-metrics add-on on. What cannot be made safe is refused: `{a="1" or b="2"}`
selector alternatives, and `label_replace`/`label_join` writing the tenant label. The rewritten query is
parsed again and every selector checked before it is sent (fail closed), and the API drops any answer
series of another tenant as a last line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import promql_parser as p

from fleetops.errors import InvalidInput

TENANT_LABEL = "customer"
SCOPE_LABEL = "cluster"
BASIC_PREFIXES = ("fleetops_agent_",)  # fleet system health: every customer's, no add-on needed
RELABELLING = {"label_replace": 1, "label_join": 1}  # function → index of its destination-label argument


class QueryRefused(InvalidInput):
    code = "query_refused"


@dataclass(frozen=True)
class Tenant:
    customer: str
    advanced_clusters: tuple[str, ...] = ()


def _name(selector: p.VectorSelector) -> str | None:
    if selector.name:
        return selector.name
    named = [m.value for m in selector.matchers.matchers if m.name == "__name__" and m.op == p.MatchOp.Equal]
    return named[0] if named else None


def basic(name: str | None) -> bool:
    return name is not None and name.startswith(BASIC_PREFIXES)


SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:@ -]+$")  # written into the query unescaped: the serializer does not


def _safe(value: str, what: str) -> str:
    if not SAFE_VALUE.match(value):
        raise QueryRefused(f"query: {what} {value!r} cannot be written into a matcher safely")
    return value


def alternatives(clusters: tuple[str, ...]) -> str:
    """`alpha|c[.]d`: names as regex literals without backslashes (a dot in a bracket)."""
    return "|".join(_safe(c, "cluster").replace(".", "[.]") for c in clusters)


def _enforce(selector: p.VectorSelector, tenant: Tenant) -> None:
    if selector.matchers.or_matchers:
        raise QueryRefused(f"query: selector {selector} uses `or` between matchers; write one selector each")
    kept = [m for m in selector.matchers.matchers if m.name != TENANT_LABEL]
    kept.append(p.Matcher(p.MatchOp.Equal, TENANT_LABEL, _safe(tenant.customer, "customer")))
    if not basic(_name(selector)):
        if not tenant.advanced_clusters:
            raise QueryRefused(
                f"query: {_name(selector) or str(selector)} is not a fleet system health series "
                "(fleetops_agent_*); turn the advanced-metrics add-on on for a cluster to query it"
            )
        kept.append(p.Matcher(p.MatchOp.Re, SCOPE_LABEL, alternatives(tenant.advanced_clusters)))
    selector.matchers = p.Matchers(kept)


def _children(node: Any) -> list[Any]:
    if isinstance(node, p.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, p.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, p.AggregateExpr):
        return [node.expr] + ([node.param] if node.param is not None else [])
    if isinstance(node, p.Call):
        return list(node.args)
    if isinstance(node, p.ParenExpr | p.UnaryExpr | p.SubqueryExpr):
        return [node.expr]
    if isinstance(node, p.NumberLiteral | p.StringLiteral | p.VectorSelector):
        return []
    raise QueryRefused(f"query: {type(node).__name__} is not understood here")


def selectors(node: Any) -> Iterator[p.VectorSelector]:
    """Every vector selector of the tree, refusing relabelling of the tenant label on the way."""
    if isinstance(node, p.VectorSelector):
        yield node
        return
    if isinstance(node, p.Call) and node.func.name in RELABELLING:
        target = node.args[RELABELLING[node.func.name]]
        if isinstance(target, p.StringLiteral) and target.val == TENANT_LABEL:
            raise QueryRefused(f"query: {node.func.name} may not write the {TENANT_LABEL} label")
    for child in _children(node):
        yield from selectors(child)


def parse(query: str) -> Any:
    try:
        return p.parse(query)
    except ValueError as exc:
        raise QueryRefused(f"query: not PromQL ({exc})") from exc


def enforce(query: str, tenant: Tenant) -> str:
    """`query` as the tenant may run it; raises QueryRefused (422) naming what it refused."""
    tree = parse(query)
    for selector in list(selectors(tree)):
        _enforce(selector, tenant)
    rewritten = str(tree)
    _verify(rewritten, tenant)
    return rewritten


def _verify(query: str, tenant: Tenant) -> None:
    """The rewritten text, parsed afresh: each selector carries exactly the tenant's matcher."""
    for selector in selectors(parse(query)):
        on_tenant = [m for m in selector.matchers.matchers if m.name == TENANT_LABEL]
        scoped = [
            m.value for m in selector.matchers.matchers if m.name == SCOPE_LABEL and m.op == p.MatchOp.Re
        ]
        confined = [(m.op, m.value) for m in on_tenant] == [(p.MatchOp.Equal, tenant.customer)]
        if not confined or not (basic(_name(selector)) or alternatives(tenant.advanced_clusters) in scoped):
            raise QueryRefused(f"query: selector {selector} could not be confined to the caller's series")
