"""What each of several processes does at the same moment in the concurrency tests: every
get-or-create of the store (experiments, datasets, models, aliases, tags, settings) on names
that are new to all of them. Importable by spawned children; not a test module."""

from __future__ import annotations

import os
import traceback
from pathlib import Path


def race(
    home: str, worker: int, rounds: int, barrier, run_ids: list[int], results, url: str | None
) -> None:
    os.environ["MODELYARD_HOME"] = home
    os.environ.pop("MODELYARD_STORE_URL", None)
    if url:
        os.environ["MODELYARD_STORE_URL"] = url
    errors = []
    try:
        from modelyard.store import open_store

        barrier.wait()
        store = open_store()  # a fresh store: all of them create and migrate it at once
        for r in range(rounds):
            csv = Path(home).parent / f"w{worker}-r{r}.csv"
            csv.write_text("a,b\n" + "".join(f"{worker},{i + 100 * r}\n" for i in range(20)))
            steps = _steps(store, home, worker, r, csv, run_ids)
            for step in steps:
                barrier.wait()
                try:
                    step()
                except Exception:  # noqa: BLE001 - counted and shown by the test
                    errors.append(traceback.format_exc(limit=3).strip().splitlines()[-1])
        store.close()
    except Exception:  # noqa: BLE001
        errors.append(traceback.format_exc().strip().splitlines()[-1])
        barrier.abort()
    results.put((worker, errors))


def _steps(store, home: str, worker: int, r: int, csv: Path, run_ids: list[int]) -> list:
    """The round's steps, each taken by every process at the same moment."""
    from modelyard.datasets.service import import_file
    from modelyard.registry.aliases import set_alias
    from modelyard.registry.service import register
    from modelyard.store.settings import set_setting
    from modelyard.tracking.experiments import tag_run

    def register_and_promote():
        version = register(store, run_ids[worker], f"model-{r}").version
        set_alias(store, f"model-{r}", "production", version)

    return [
        lambda: _log(home, f"new-{r}", worker),
        lambda: import_file(store, csv, name=f"data-{r}"),
        lambda: set_setting(store, f"key-{r}", worker),
        lambda: tag_run(store, run_ids[0], {f"w{worker}-r{r}": "x"}),
        register_and_promote,
    ]


def _log(home: str, experiment: str, worker: int) -> None:
    import modelyard

    # home= names that folder's own SQLite store; a server store comes from the environment
    folder = None if os.environ.get("MODELYARD_STORE_URL") else home
    with modelyard.start_run(
        experiment=experiment, home=folder, capture_output=False, system_metrics=False
    ) as run:
        run.log_metric("worker", worker)
