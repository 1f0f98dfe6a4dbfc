"""A breaker's reset releases what it held: the faults still open on the nodes it held back get their run,
once, through the same intake as every finding."""

from __future__ import annotations

from fleetops.auth.principal import SYSTEM
from fleetops.health import coverage
from fleetops.health.ingest import ingest
from fleetops.pipeline import Handoff
from fleetops.remediation import service
from tests.health.reports import body, report, xid

HOSTS = ("a000", "a001", "a002", "b000", "b001", "b002")
ROUND_S = 30  # an agent's report interval; the worker's round runs as often


def _round(bed, handoff: Handoff, reporting: tuple[str, ...], **extra) -> None:
    """The agents that can report do, then the worker runs coverage, the hand-off and the engine."""
    if reporting:
        reports = [report(h, **extra.get(h, {})) for h in reporting]
        with bed.database.transaction() as session:
            ingest(session, SYSTEM, body(*reports))
    coverage.tick(bed.database)
    handoff(bed.database)
    bed.engine.tick(bed.database)
    bed.clock.advance(ROUND_S)


def _reset_fleet(bed) -> None:
    with bed.database.transaction() as session:
        service.reset_breaker(session, SYSTEM, "fleet", 0)


def test_a_reset_gives_the_faults_it_held_their_runs_once(bed):
    """A partition silences the fleet: one fleet breaker. When it ends, one node is dead (silent for good)
    and one came back with a GPU fallen off the bus; both findings are held while the breaker is open.
    Neither is reported again in a way that opens a run (silence is marked once, an XID read once), so
    before the reset released them they stayed without a run until a person noticed."""
    handoff = Handoff()
    _round(bed, handoff, HOSTS)
    for _ in range(12):  # 6 minutes of partition: coverage marks every node silent
        _round(bed, handoff, ())
    with bed.database.transaction() as session:
        [breaker] = service.breakers(session)
    assert (breaker.scope, breaker.state.value) == ("fleet", "open")
    back = ("a000", "a001", "a002", "b000", "b001")  # b002 is dead
    _round(bed, handoff, back, a001={"xids": [xid(79, index=2)]})
    for _ in range(40):  # 20 minutes until the on-call looks
        _round(bed, handoff, back)
    assert bed.runs_of("a001") == [] and bed.runs_of("b002") == []
    assert [k for k in bed.world.notices.pages if k.startswith("breaker-")] == ["breaker-fleet-0"]

    _reset_fleet(bed)
    [dead], [lost_gpu] = bed.runs_of("b002"), bed.runs_of("a001")
    assert (dead.check, dead.plan[0]) == ("node_silent", "check_power")
    # health concludes two findings from the one event (fallen off the bus, XID 79): one run for both
    assert (lost_gpu.gpu_index, lost_gpu.findings) == (2, 2)
    assert lost_gpu.plan == ["drain", "reboot_node", "verify"]
    assert all(bed.runs_of(h) == [] for h in ("a000", "a002", "b000", "b001"))  # healthy again: nothing

    _round(bed, handoff, back, a001={"xids": [xid(79, index=2)]})  # the same fault again: evidence
    _reset_fleet(bed)  # a second reset releases nothing twice
    _round(bed, handoff, back)
    assert [r.id for r in bed.runs_of("b002")] == [dead.id]
    assert [r.id for r in bed.runs_of("a001")] == [lost_gpu.id]
    with bed.database.transaction() as session:
        assert [b.state.value for b in service.breakers(session)] == ["closed"]


def test_a_reset_while_the_cause_is_still_there_stands(bed):
    """The fleet is still silent when the person resets: what the reset releases is still over the share,
    so it stays held (a cause above the nodes, no power-cycle per node), but the breaker does not trip
    again: the person reset it so that the other faults get their runs, and a lone XID now does."""
    handoff = Handoff()
    _round(bed, handoff, HOSTS)
    for _ in range(12):
        _round(bed, handoff, ())
    bed.clock.advance(600)
    _reset_fleet(bed)
    assert all(bed.runs_of(h) == [] for h in HOSTS)
    with bed.database.transaction() as session:
        assert [b.state.value for b in service.breakers(session)] == ["closed"]
    bed.engine.tick(bed.database)
    assert [k for k in bed.world.notices.pages if k.startswith("breaker-")] == ["breaker-fleet-0"]
    assert bed.finding("a000", xid=79, gpu=1) != []
