"""The run queue: slots per CPU and per GPU, oldest first, cancel while waiting, dead workers."""

import os
import signal
from datetime import timedelta

import pytest
from sqlalchemy import update

from modelyard.errors import InvalidInputError
from modelyard.store import models
from modelyard.tracking.runs import get_run
from modelyard.training import launcher, queue
from modelyard.training.jobs import create_run
from tests.training.test_worker_process import wait_for


def _submitted(store, churn, kind="ridge", params=None):
    run = create_run(store, churn, "churn", kind, params or {})
    assert queue.submit(store, run.id)
    return run


def test_slots_go_to_the_oldest_waiting_runs_up_to_the_cpu_limit(store, churn):
    first, second, third = (_submitted(store, churn) for _ in range(3))
    unsubmitted = create_run(store, churn, "churn", "ridge")  # never put in line: never started
    limits = queue.Limits(cpu_runs=2, runs_per_gpu=1, gpus=0)
    assert queue.claim(store, limits) == [(first.id, "cpu"), (second.id, "cpu")]
    assert queue.claim(store, limits) == []  # both slots are taken
    assert queue.waiting(store) == [third.id]
    with store.session() as session:  # the first run ends: its slot is free
        session.execute(
            update(models.Run).where(models.Run.id == first.id).values(status="finished")
        )
    assert queue.claim(store, limits) == [(third.id, "cpu")]
    assert get_run(store, unsubmitted.id).resource is None
    assert not queue.submit(store, first.id)  # only a queued run can be put in line


def test_gpu_runs_get_one_gpu_each_and_wait_for_a_free_one(store, churn):
    mlps = [_submitted(store, churn, "mlp", {"epochs": 1}) for _ in range(3)]
    on_cpu = _submitted(store, churn, "mlp", {"epochs": 1, "device": "cpu"})
    limits = queue.Limits(cpu_runs=4, runs_per_gpu=1, gpus=2)
    given = dict(queue.claim(store, limits))
    assert given == {mlps[0].id: "gpu:0", mlps[1].id: "gpu:1", on_cpu.id: "cpu"}
    assert queue.waiting(store) == [mlps[2].id]  # waits for a GPU instead of crawling on a CPU
    without_gpus = queue.Limits(cpu_runs=4, runs_per_gpu=1, gpus=0)
    assert queue.claim(store, without_gpus) == [(mlps[2].id, "cpu")]


def test_a_claim_whose_worker_never_appeared_goes_back_in_line(store, churn):
    run = _submitted(store, churn)
    limits = queue.Limits(cpu_runs=1, runs_per_gpu=1, gpus=0)
    assert queue.claim(store, limits) == [(run.id, "cpu")]
    with store.session() as session:  # its dispatcher died before starting the worker
        session.execute(
            update(models.Run)
            .where(models.Run.id == run.id)
            .values(dispatched_at=models.utcnow() - queue.STALE_CLAIM - timedelta(seconds=1))
        )
    assert queue.claim(store, limits) == [(run.id, "cpu")]


def test_limits_are_settings_and_bad_ones_are_refused(store):
    queue.set_limits(store, cpu_runs=3, runs_per_gpu=2)
    assert queue.load_limits(store, gpus=0) == queue.Limits(3, 2, 0)
    for bad in (0, -1, 1.5, True, 1000):
        with pytest.raises(InvalidInputError, match="whole number from 1 to 256"):
            queue.set_limits(store, cpu_runs=bad)
    assert queue.load_limits(store, gpus=0).cpu_runs == 3


@pytest.mark.slow
def test_one_slot_runs_the_queue_one_after_another_without_any_app_open(store, churn):
    queue.set_limits(store, cpu_runs=1)
    runs = [
        create_run(store, churn, "churn", "random_forest", {"n_estimators": n})
        for n in (200, 10, 10)
    ]
    started = {}
    for run in runs:
        started.update(launcher.submit(store, run.id))
    assert list(started) == [runs[0].id]  # the others wait in line
    assert launcher.cancel(store, runs[1].id)  # cancelled while waiting: never started
    done = launcher.wait_for_run(store, runs[2].id, timeout=120)  # started by run 0's worker
    first = get_run(store, runs[0].id)
    assert first.status == done.status == "finished"
    assert done.started_at >= first.ended_at
    cancelled = get_run(store, runs[1].id)
    assert cancelled.status == "cancelled" and cancelled.pid is None
    assert cancelled.started_at is None


@pytest.mark.slow
def test_a_killed_worker_frees_its_slot_for_the_next_run(store, churn):
    queue.set_limits(store, cpu_runs=1)
    slow = create_run(store, churn, "churn", "random_forest", {"n_estimators": 3000})
    waiting = create_run(store, churn, "churn", "ridge")
    proc = launcher.submit(store, slow.id)[slow.id]
    launcher.submit(store, waiting.id)
    assert wait_for(lambda: get_run(store, slow.id).status == "running")
    assert get_run(store, waiting.id).status == "queued"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done = launcher.wait_for_run(store, waiting.id, timeout=120)
    assert done.status == "finished"
    assert get_run(store, slow.id).status == "failed"


@pytest.mark.slow
def test_the_cli_starts_the_next_run_when_a_worker_was_killed(store, churn):
    from modelyard.cli.main import main as cli

    queue.set_limits(store, cpu_runs=1)
    slow = create_run(store, churn, "churn", "random_forest", {"n_estimators": 3000})
    waiting = create_run(store, churn, "churn", "ridge")
    proc = launcher.submit(store, slow.id)[slow.id]
    launcher.submit(store, waiting.id)
    assert wait_for(lambda: get_run(store, slow.id).status == "running")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert cli(["queue"]) == 0  # sees the dead worker and hands its slot on
    assert wait_for(lambda: get_run(store, waiting.id).status == "finished", timeout=120)
