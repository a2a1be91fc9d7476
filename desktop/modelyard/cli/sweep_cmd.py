"""`modelyard sweep …` and `modelyard sweeps [list | show ID | cancel ID]`."""

from __future__ import annotations

import sys
import time

from modelyard.cli.format import table
from modelyard.errors import ModelyardError


def cmd_sweep(store, args) -> int:
    from modelyard.datasets.service import get_version
    from modelyard.training import executors, launcher
    from modelyard.training.sweeps import create_sweep, parse_space

    where = executors.chosen(store, args.executor)
    sweep = create_sweep(
        store,
        get_version(store, args.dataset),
        args.target,
        args.model,
        args.task,
        parse_space(args.space),
        args.sampler,
        args.trials,
        args.parallel,
        args.experiment,
        args.seed,
    )
    executors.record_sweep_executor(store, sweep.id, where)
    proc = launcher.start_sweep(store, sweep.id)
    on = "" if where == executors.LOCAL else f" on the Dask cluster at {where}"
    print(
        f"Sweep {sweep.id} started: {sweep.n_trials} {sweep.sampler} trials of "
        f"{', '.join(sweep.models)}, {sweep.parallel} at a time{on}, {sweep.direction} "
        f"{sweep.metric}; runs go to experiment '{sweep.experiment}'."
    )
    if not args.wait:
        print(f"Follow it with `modelyard sweeps show {sweep.id}`.")
        return 0
    try:
        while proc.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print(
            f"Stopped waiting; stop the sweep with `modelyard sweeps cancel {sweep.id}`.",
            file=sys.stderr,
        )
        return 130
    return _show(store, sweep.id)


def trial_rows(sweep, runs) -> list[tuple]:
    """One row per trial: its selection score (CV mean ± std) and, apart, its holdout score."""
    from modelyard.training.sweeps import objective
    from modelyard.training.validation import selection_spread

    rows = []
    for r in runs:
        value, spread = objective(sweep, r), selection_spread(r.metrics, sweep.metric)
        selected = "" if value is None else f"{value:.4g}"
        if value is not None and spread is not None:
            selected += f" ± {spread:.2g}"
        holdout = r.metrics.get(sweep.metric)
        rows.append(
            (
                r.trial,
                r.id,
                "pruned" if (r.error or "").startswith("Pruned") else r.status,
                r.model_kind,
                ", ".join(f"{k}={v}" for k, v in r.params.items()),
                selected,
                "" if holdout is None else f"{holdout:.4g}",
            )
        )
    return rows


TRIAL_HEADERS = ("trial", "run", "status", "model", "params", "CV (selects)", "holdout")


def _show(store, ref) -> int:
    from modelyard.training.sweeps import get_sweep, summary, trials

    sweep = get_sweep(store, ref)
    print(
        f"Sweep {sweep.id}: {sweep.status} — {sweep.sampler}, {sweep.n_trials} trials, "
        f"{sweep.direction} cross-validated {sweep.metric} of {sweep.target} on {sweep.dataset}"
    )
    if sweep.error:
        print(f"  error: {sweep.error}")
    rows = trial_rows(sweep, trials(store, sweep.id))
    if rows:
        print(table(TRIAL_HEADERS, rows))
    for line in summary(store, sweep):
        print(line)
    print(
        "The sweep ranks trials by the CV score on their training part; the holdout column is "
        "scored once per run and never used to choose."
    )
    return 0 if sweep.status != "failed" else 1


def cmd_sweeps(store, args) -> int:
    from modelyard.training.launcher import cancel_sweep, reap_sweeps
    from modelyard.training.sweeps import get_sweep, list_sweeps

    reap_sweeps(store)

    if args.action in ("show", "cancel") and not args.sweep:
        raise ModelyardError(f"Name the sweep: `modelyard sweeps {args.action} ID`.")
    if args.action == "show":
        return _show(store, args.sweep)
    if args.action == "cancel":
        sweep = get_sweep(store, args.sweep)
        if not cancel_sweep(store, sweep.id):
            raise ModelyardError(f"Sweep {sweep.id} is {sweep.status}; it cannot be cancelled.")
        print(f"Sweep {sweep.id} cancelled.")
        return 0
    sweeps = list_sweeps(store)
    if not sweeps:
        print(
            "No sweeps yet. Start one with `modelyard sweep --dataset D --target T --model KIND`."
        )
        return 0
    rows = [
        (
            s.id,
            s.status,
            s.dataset,
            s.target,
            s.models_text,
            s.sampler,
            s.n_trials,
            s.experiment,
        )
        for s in sweeps
    ]
    print(
        table(
            ("sweep", "status", "dataset", "target", "models", "sampler", "trials", "experiment"),
            rows,
        )
    )
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("sweep", help="search hyperparameters with Optuna, each trial in a worker")
    p.add_argument("--dataset", required=True, help="NAME or NAME:VERSION")
    p.add_argument("--target", required=True)
    p.add_argument("--model", required=True, help="a model kind, or auto to search every family")
    p.add_argument("--task", choices=("classification", "regression"))
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--sampler", default="tpe", help="tpe, random or grid")
    p.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH[:log] | NAME=A,B,C",
        help="a parameter's search range (default: built-in ranges)",
    )
    p.add_argument("--parallel", type=int, default=1, help="trials at a time")
    p.add_argument("--experiment", help="default: sweep-DATASET-TARGET")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--wait", action="store_true", help="block until the sweep ends, then show it")
    from modelyard.cli.cluster_cmd import add_executor_flag

    add_executor_flag(p)
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("sweeps", help="list sweeps, show one with its trials, or cancel one")
    p.add_argument("action", nargs="?", choices=("list", "show", "cancel"), default="list")
    p.add_argument("sweep", nargs="?", help="sweep id or latest")
    p.set_defaults(func=cmd_sweeps)
