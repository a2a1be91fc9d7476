"""The supervisor's store work (settling ended workers, reaping, dispatching) never runs on the
GUI thread: under many writing processes it took hundreds of milliseconds there."""

import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import QThreadPool


@pytest.fixture
def supervisor(store, qtbot):
    from modelyard.gui.supervisor import Supervisor

    supervisor = Supervisor(store)
    supervisor._timer.stop()  # the test polls by hand
    yield supervisor
    supervisor.shutdown()
    QThreadPool.globalInstance().waitForDone(10000)


def test_an_ended_worker_is_settled_off_the_gui_thread(
    supervisor, store, churn, qtbot, monkeypatch
):
    from modelyard.gui import supervisor as module
    from modelyard.tracking.runs import get_run
    from modelyard.training.jobs import create_run

    run = create_run(store, churn, "churn", "logistic_regression")
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait(timeout=60)
    supervisor._workers[run.id] = proc
    threads, release = [], threading.Event()
    settle = module.launcher.settle

    def slow_settle(*args):
        threads.append(threading.current_thread())
        release.wait(20)  # a store busy with other writers
        settle(*args)

    monkeypatch.setattr(module.launcher, "settle", slow_settle)
    ended = []
    supervisor.run_ended.connect(ended.append)
    supervisor.poll()  # returns while the settle waits
    assert ended == [] and supervisor.active_workers == 0
    release.set()
    qtbot.waitUntil(lambda: ended == [run.id], timeout=20000)
    assert threads and threads[0] is not threading.main_thread()
    assert get_run(store, run.id).status == "failed"
    assert "exited with code 3" in get_run(store, run.id).error


def test_reaping_and_dispatching_run_off_the_gui_thread(supervisor, qtbot, monkeypatch):
    from modelyard.gui import supervisor as module

    threads = []
    monkeypatch.setattr(
        module.launcher, "reap_orphans", lambda store: threads.append(threading.current_thread())
    )
    monkeypatch.setattr(module.launcher, "dispatch", lambda store: {})
    for _ in range(supervisor.REAP_EVERY):
        supervisor.poll()
    qtbot.waitUntil(lambda: supervisor._housekeeping is None and bool(threads), timeout=20000)
    assert all(t is not threading.main_thread() for t in threads)
