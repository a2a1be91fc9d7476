"""The sweep driver process: asks Optuna for trials, runs each in a worker, tells the results.

Started as ``python -m modelyard.training.sweep_driver SWEEP_ID`` (see launcher.start_sweep).
Cancelling the sweep (its status in the store) stops its running trials and this process.
"""

from __future__ import annotations

import itertools
import sys
import time

from modelyard.store import open_store

POLL_S = 0.3


def _sampler(sweep):
    import optuna

    if sweep.sampler == "random":
        return optuna.samplers.RandomSampler(seed=sweep.seed)
    return optuna.samplers.TPESampler(seed=sweep.seed)


def drive(sweep_id: int) -> int:
    import optuna

    from modelyard.datasets.service import get_version
    from modelyard.errors import ModelyardError
    from modelyard.tracking.runs import get_run, metric_history
    from modelyard.training import executors, launcher
    from modelyard.training.jobs import create_run
    from modelyard.training.sweeps import (
        INTERMEDIATE,
        get_sweep,
        grid_of,
        objective,
        set_status,
        suggest,
    )

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    store = open_store()
    try:
        sweep = get_sweep(store, sweep_id)
        if not set_status(store, sweep_id, "running"):
            return 0
        dataset = get_version(store, sweep.dataset)
        where = executors.sweep_executor(store, sweep_id)  # this machine or a Dask cluster
        study = optuna.create_study(
            direction=sweep.direction,
            sampler=_sampler(sweep),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=3),
        )
        if sweep.sampler == "grid":  # every combination once, in order (Optuna's GridSampler
            # cannot stop an ask-and-tell study by itself)
            grid = grid_of(sweep.space)
            for combination in itertools.product(*grid.values()):
                study.enqueue_trial(dict(zip(grid, combination, strict=True)))
        report_key = INTERMEDIATE[sweep.task]
        active: dict[int, list] = {}  # run id → [trial, last metric row seen]
        launched = ticks = 0
        print(f"Sweep {sweep_id}: {sweep.n_trials} trials of {', '.join(sweep.models)}", flush=True)
        while launched < sweep.n_trials or active:
            if get_sweep(store, sweep_id).status == "cancelled":
                for run_id in active:
                    launcher.cancel(store, run_id)
                print(f"Sweep {sweep_id} cancelled.", flush=True)
                return 0
            while launched < sweep.n_trials and len(active) < sweep.parallel:
                trial = study.ask()
                kind, params = suggest(trial, sweep.space)
                try:
                    run = create_run(
                        store,
                        dataset,
                        sweep.target,
                        kind,
                        params,
                        sweep.seed,
                        sweep.task,
                        experiment=sweep.experiment,
                        name=f"sweep {sweep_id} trial {trial.number}",
                        tags={"sweep": str(sweep_id)},
                        sweep_id=sweep_id,
                        trial=trial.number,
                    )
                    executors.submit(store, run.id, where)  # waits for a slot or a worker
                    active[run.id] = [trial, 0]
                except ModelyardError as exc:  # a proposal the trainer refuses: a failed trial
                    print(f"Trial {trial.number}: {exc}", flush=True)
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                launched += 1
            ticks += 1
            if ticks % 5 == 0 and launcher.reap_orphans(store):  # a trial's worker died
                launcher.dispatch(store)
            for run_id, (trial, seen) in list(active.items()):
                rows, active[run_id][1] = metric_history(store, run_id, seen)
                for key, step, value in rows:
                    if key == report_key:
                        trial.report(value, step)
                run = get_run(store, run_id)
                if rows and not run.is_terminal and trial.should_prune():
                    reason = f"Pruned by sweep {sweep_id}: its {report_key} trailed the median."
                    launcher.cancel(store, run_id, reason)
                    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                    print(f"Trial {trial.number} (run {run_id}) pruned.", flush=True)
                    del active[run_id]
                elif run.is_terminal:
                    value = objective(sweep, run)  # the training part's score, not the holdout
                    if value is not None:
                        study.tell(trial, value)
                    else:
                        study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    print(f"Trial {trial.number} (run {run_id}) {run.status}: {value}", flush=True)
                    del active[run_id]
            time.sleep(POLL_S)
        set_status(store, sweep_id, "finished")
        print(f"Sweep {sweep_id} finished.", flush=True)
        return 0
    except ModelyardError as exc:  # e.g. the scheduler cannot be reached: one sentence
        set_status(store, sweep_id, "failed", str(exc))
        print(str(exc), flush=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - the sweep records why it stopped
        set_status(store, sweep_id, "failed", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        executors_close()
        store.close()


def executors_close() -> None:
    from modelyard.training.dask_executor import close_clients

    close_clients()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m modelyard.training.sweep_driver SWEEP_ID", file=sys.stderr)
        return 2
    return drive(int(args[0]))


if __name__ == "__main__":
    from modelyard.exits import run_and_leave

    run_and_leave(main)
