"""Prometheus families for deployments, computed at scrape time from the bring-up rows."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops.deploy import measures
from fleetops.deploy.choices import RolloutState
from fleetops.deploy.models import NodeBringup, Rollout


def deploy_metrics(session: Session) -> Iterable[Metric]:
    """Bring-ups by rollout and state; per running rollout GPUs/hour, ETA and the two recovery shares."""
    states = GaugeMetricFamily(
        "fleetops_deploy_bringups", "Node bring-ups by rollout and state", labels=["rollout", "state"]
    )
    rows = session.execute(
        select(Rollout.name, NodeBringup.state, func.count())
        .join(Rollout, Rollout.id == NodeBringup.rollout_id)
        .where(Rollout.state.in_([RolloutState.RUNNING, RolloutState.PAUSED]))
        .group_by(Rollout.name, NodeBringup.state)
    )
    for name, state, count in rows:
        states.add_metric([name, str(state)], count)
    families = {
        "gpus_per_hour": GaugeMetricFamily(
            "fleetops_deploy_gpus_per_hour", "GPUs made ready per hour since start", labels=["rollout"]
        ),
        "gpus_per_hour_rolling": GaugeMetricFamily(
            "fleetops_deploy_gpus_per_hour_rolling", "GPUs made ready in the last hour", labels=["rollout"]
        ),
        "eta_s": GaugeMetricFamily(
            "fleetops_deploy_eta_seconds", "Estimated seconds to the last node ready", labels=["rollout"]
        ),
        "share_needing_human": GaugeMetricFamily(
            "fleetops_deploy_share_needing_human", "Share of nodes escalated to a human", labels=["rollout"]
        ),
        "share_recovered_automatically": GaugeMetricFamily(
            "fleetops_deploy_share_recovered_automatically",
            "Share of failed nodes that reached ready without a human",
            labels=["rollout"],
        ),
    }
    running = session.scalars(select(Rollout).where(Rollout.state == RolloutState.RUNNING))
    for rollout in running:
        figures = measures.rollout_measures(session, rollout)
        for key, family in families.items():
            if figures[key] is not None:
                family.add_metric([rollout.name], float(figures[key]))
    return [states, *families.values()]
