"""Several processes creating the same new things at the same moment: all succeed, nothing is
lost, and nobody sees "UNIQUE constraint failed" or "database is locked"."""

import multiprocessing
import os

import pytest

from modelyard.datasets.service import list_datasets
from modelyard.registry.aliases import aliases
from modelyard.store import open_store
from modelyard.store.settings import get_setting
from modelyard.tracking.experiments import list_experiments
from modelyard.tracking.runs import get_run, list_runs
from tests.conftest import DIALECTS, train_in_process
from tests.store.concurrent_work import race

PROCESSES = 4
ROUNDS = 3


@pytest.mark.parametrize("dialect", DIALECTS)
def test_four_processes_creating_the_same_new_names_all_succeed(home, sample_csv):
    from modelyard.datasets.service import import_file

    url = os.environ.get("MODELYARD_STORE_URL")  # the PostgreSQL variant's database
    with_runs = open_store(home)  # finished runs for the children to register, made here
    churn = import_file(with_runs, sample_csv).version
    run_ids = [train_in_process(with_runs, churn).id for _ in range(PROCESSES)]
    with_runs.close()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    children = [
        context.Process(target=race, args=(str(home), i, ROUNDS, barrier, run_ids, results, url))
        for i in range(PROCESSES)
    ]
    for child in children:
        child.start()
    outcome = dict(results.get(timeout=300) for _ in children)
    for child in children:
        child.join(timeout=60)
    assert all(child.exitcode == 0 for child in children)
    assert outcome == {i: [] for i in range(PROCESSES)}, outcome

    store = open_store(home)
    try:
        experiments = {e.name: e.n_runs for e in list_experiments(store)}
        datasets = {d.name: sorted(v.version for v in d.versions) for d in list_datasets(store)}
        for r in range(ROUNDS):
            assert experiments[f"new-{r}"] == PROCESSES
            assert datasets[f"data-{r}"] == list(range(1, PROCESSES + 1))
            assert get_setting(store, f"key-{r}") in range(PROCESSES)
            assert aliases(store, f"model-{r}")["production"] in range(1, PROCESSES + 1)
        tags = get_run(store, run_ids[0]).tags
        assert {f"w{w}-r{r}" for w in range(PROCESSES) for r in range(ROUNDS)} <= set(tags)
        sdk_runs = [r for r in list_runs(store) if r.experiment.startswith("new-")]
        assert sorted(r.metrics["worker"] for r in sdk_runs) == sorted(
            list(range(PROCESSES)) * ROUNDS
        )
    finally:
        store.close()
