"""The slow-transaction log names the function that opened the transaction, the one an operator must find."""

from __future__ import annotations

import logging
import time

import pytest

from fleetops.db.session import Database


def _hold(database: Database, seconds: float) -> None:
    with database.transaction():
        time.sleep(seconds)


def test_a_transaction_longer_than_the_threshold_is_logged_with_its_opener(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'slow.db'}", slow_transaction_s=0.05)
    with caplog.at_level(logging.WARNING, logger="fleetops.db"):
        _hold(database, 0.0)
        _hold(database, 0.1)
    slow = [record for record in caplog.records if record.getMessage() == "slow transaction"]
    assert len(slow) == 1
    assert slow[0].opened_by == f"{__name__}._hold"
    assert slow[0].seconds >= 0.1


def _fail(database: Database) -> None:
    with database.transaction():
        time.sleep(0.02)
        raise RuntimeError("boom")


def test_a_failed_slow_transaction_is_logged_and_still_raises(tmp_path, caplog) -> None:
    database = Database(f"sqlite:///{tmp_path / 'slow.db'}", slow_transaction_s=0.01)
    with caplog.at_level(logging.WARNING, logger="fleetops.db"), pytest.raises(RuntimeError):
        _fail(database)
    assert [record.opened_by for record in caplog.records] == [f"{__name__}._fail"]
