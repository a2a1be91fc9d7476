"""The worker as a real separate process: finish, fail, kill -9, cancel."""

import os
import signal
import time

import pytest
from sqlalchemy import text

from modelyard.tracking.runs import get_run
from modelyard.training import launcher
from modelyard.training.jobs import create_run

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_worker_process_trains_a_run(store, churn):
    run = create_run(store, churn, "churn", "random_forest", {"n_estimators": 10})
    proc = launcher.start(store, run.id)
    done = launcher.wait(store, proc, run.id, timeout=120)
    assert proc.returncode == 0
    assert done.status == "finished"
    assert done.pid == proc.pid
    assert "accuracy" in done.metrics
    assert "finished" in launcher.log_path(store, run.id).read_text()


def test_killing_the_worker_marks_the_run_failed_and_keeps_the_store_intact(store, churn):
    run = create_run(store, churn, "churn", "random_forest", {"n_estimators": 3000})
    proc = launcher.start(store, run.id)
    assert wait_for(lambda: get_run(store, run.id).status == "running")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert launcher.reap_orphans(store) == [run.id]
    failed = get_run(store, run.id)
    assert failed.status == "failed"
    assert "ended unexpectedly" in failed.error
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_settle_reports_the_signal_when_the_parent_waits(store, churn):
    run = create_run(store, churn, "churn", "random_forest", {"n_estimators": 3000})
    proc = launcher.start(store, run.id)
    assert wait_for(lambda: get_run(store, run.id).status == "running")
    proc.kill()
    ended = launcher.wait(store, proc, run.id, timeout=30)
    assert ended.status == "failed"
    assert "killed by signal 9" in ended.error


def test_cancel_stops_a_running_worker(store, churn):
    run = create_run(store, churn, "churn", "random_forest", {"n_estimators": 3000})
    proc = launcher.start(store, run.id)
    assert wait_for(lambda: get_run(store, run.id).status == "running")
    assert launcher.cancel(store, run.id)
    proc.wait(timeout=30)
    assert get_run(store, run.id).status == "cancelled"
    assert not launcher.cancel(store, run.id)


def test_a_worker_that_cannot_start_fails_its_run(store, churn):
    from modelyard.errors import ModelyardError

    (store.home / "logs").write_text("a file where the log folder belongs")
    run = create_run(store, churn, "churn", "random_forest")
    with pytest.raises(ModelyardError, match="could not be started"):
        launcher.start(store, run.id)
    assert get_run(store, run.id).status == "failed"
