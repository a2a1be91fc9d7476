"""Runs, script runs and sweep trials on a real Dask cluster (LocalCluster, worker processes):
they land in the store with their metrics and where they ran; Stop ends the remote process
tree; a worker killed mid-run fails its run with the reason."""

from __future__ import annotations

import os
import signal
import socket
import textwrap
import time

import psutil
import pytest

from modelyard.errors import InvalidInputError
from modelyard.tracking.runs import get_run, metric_history
from modelyard.tracking.scripts import create_script_run
from modelyard.training import executors, launcher
from modelyard.training.jobs import create_run
from tests.conftest import DIALECTS

distributed = pytest.importorskip("distributed", reason="pip install -e '.[cluster]'")

pytestmark = pytest.mark.slow

SLEEPER = """
import subprocess, sys, time
import modelyard
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
open("child.pid", "w").write(str(child.pid))
with modelyard.start_run() as run:
    for step in range(600):
        run.log_metric("tick", step)
        time.sleep(0.2)
"""


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one run at a time each, shared by this module's tests."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    yield cluster, client
    client.close()
    cluster.close()
    from modelyard.training.dask_executor import close_clients

    close_clients()


def _workers(client) -> set[str]:
    return set(client.scheduler_info(n_workers=-1)["workers"])


def _wait_until(check, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("the condition did not hold in time")


def _sleeper_run(store, tmp_path):
    script = tmp_path / "sleeper.py"
    script.write_text(textwrap.dedent(SLEEPER))
    return create_script_run(store, script)


@pytest.mark.parametrize("dialect", DIALECTS)  # the team store: workers write to PostgreSQL
def test_a_run_executes_on_a_cluster_worker_and_lands_in_the_store(store, churn, cluster):
    _, client = cluster
    address = client.scheduler.address
    run = create_run(store, churn, "churn", "logistic_regression", {})
    assert executors.submit(store, run.id, address) == {}
    done = launcher.wait_for_run(store, run.id, timeout=180)
    assert done.status == "finished", done.error
    assert done.metrics["accuracy"] > 0.5 and done.model_blob
    assert done.executor == address and done.on_cluster
    assert done.worker in _workers(client) and done.host == socket.gethostname()
    assert done.attempts == 1 and address in done.where
    assert f"Training run {run.id}" in launcher.log_path(store, run.id).read_text()


def test_a_four_trial_sweep_spreads_over_the_cluster_workers(store, churn, cluster):
    from modelyard.training.sweeps import create_sweep, get_sweep, parse_space, trials

    _, client = cluster
    address = client.scheduler.address
    sweep = create_sweep(
        store,
        churn,
        "churn",
        "knn",
        sampler="grid",
        space=parse_space(["n_neighbors=3,5,7,9"]),
        parallel=2,
    )
    executors.record_sweep_executor(store, sweep.id, address)
    proc = launcher.start_sweep(store, sweep.id)
    assert proc.wait(timeout=300) == 0
    assert get_sweep(store, sweep.id).status == "finished"
    runs = trials(store, sweep.id)
    assert len(runs) == 4 and all(r.status == "finished" for r in runs), [r.error for r in runs]
    assert all(r.executor == address and r.worker in _workers(client) for r in runs)
    assert len({r.worker for r in runs}) == 2  # two at a time: both workers took trials
    assert sorted(r.params["n_neighbors"] for r in runs) == [3, 5, 7, 9]
    assert all(r.metrics["accuracy"] > 0.5 for r in runs)


def test_stop_ends_the_remote_run_and_its_process_tree(store, cluster, tmp_path):
    _, client = cluster
    run = _sleeper_run(store, tmp_path)
    executors.submit(store, run.id, client.scheduler.address)
    _wait_until(lambda: (tmp_path / "child.pid").exists() and metric_history(store, run.id, 0)[0])
    child = int((tmp_path / "child.pid").read_text())
    worker_pid = get_run(store, run.id).pid
    assert psutil.pid_exists(child) and psutil.pid_exists(worker_pid)
    assert launcher.cancel(store, run.id)
    _wait_until(lambda: not _running(child) and not _running(worker_pid), timeout=30)
    assert get_run(store, run.id).status == "cancelled"


def test_a_worker_killed_mid_run_fails_the_run_with_the_reason(store, cluster, tmp_path):
    _, client = cluster
    run = _sleeper_run(store, tmp_path)
    executors.submit(store, run.id, client.scheduler.address)
    _wait_until(lambda: (tmp_path / "child.pid").exists() and metric_history(store, run.id, 0)[0])
    running = get_run(store, run.id)
    dask_pid = client.run(os.getpid, workers=[running.worker])[running.worker]
    os.kill(dask_pid, signal.SIGKILL)  # the whole Dask worker process, as a crash would
    done = launcher.wait_for_run(store, run.id, timeout=120)
    assert done.status == "failed"
    assert f"The Dask worker {running.worker} on {running.host} was lost" in done.error
    _wait_until(lambda: not _running(running.pid), timeout=30)  # its run went with it


def test_with_retry_on_a_lost_workers_run_starts_once_more(store, cluster, tmp_path):
    _, client = cluster
    executors.save_choice(store, client.scheduler.address, retry_lost_worker=True)
    run = _sleeper_run(store, tmp_path)
    executors.submit(store, run.id)  # no flag: the setting's scheduler
    _wait_until(lambda: (tmp_path / "child.pid").exists() and metric_history(store, run.id, 0)[0])
    first = get_run(store, run.id)
    dask_pid = client.run(os.getpid, workers=[first.worker])[first.worker]
    os.kill(dask_pid, signal.SIGKILL)
    _wait_until(lambda: get_run(store, run.id).attempts == 2)
    _wait_until(lambda: get_run(store, run.id).status == "running" and get_run(store, run.id).pid)
    second = get_run(store, run.id)
    assert second.pid != first.pid and second.executor == client.scheduler.address
    assert launcher.cancel(store, run.id)
    _wait_until(lambda: not _running(second.pid), timeout=30)


def test_executor_choice_flag_setting_and_refusals(store):
    assert executors.chosen(store) == "local"
    executors.save_choice(store, "tcp://10.0.0.5:8786", retry_lost_worker=True)
    assert executors.chosen(store) == "tcp://10.0.0.5:8786" and executors.retry_lost_worker(store)
    assert executors.chosen(store, "local") == "local"  # the flag wins over the setting
    for bad in ("10.0.0.5", "http://x:1", "tcp://host"):
        with pytest.raises(InvalidInputError, match="tcp://HOST:8786"):
            executors.chosen(store, bad)


def test_an_unreachable_scheduler_fails_the_run_in_one_sentence(store, churn, monkeypatch):
    from modelyard.errors import ModelyardError
    from modelyard.training import dask_executor

    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 2)  # refused at once; no need to wait

    run = create_run(store, churn, "churn", "logistic_regression", {})
    with pytest.raises(ModelyardError, match="scheduler at tcp://127.0.0.1:1 cannot be reached"):
        executors.submit(store, run.id, "tcp://127.0.0.1:1")
    failed = get_run(store, run.id)
    assert failed.status == "failed" and "cannot be reached" in failed.error


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
