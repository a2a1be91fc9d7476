"""`modelyard runs …`, `modelyard experiments` and `modelyard budget …`."""

from __future__ import annotations

import sys

from modelyard.cli.format import compare_text, finished_text, metrics_text, run_detail, table
from modelyard.errors import ModelyardError

ACTIONS = ("list", "show", "cancel", "rerun", "compare", "tag", "note", "log", "artifacts")


def wait_and_report(store, run) -> int:
    """Block until the run ends (Ctrl-C stops waiting, not the run); exit 1 if it failed."""
    from modelyard.training import launcher

    try:
        run = launcher.wait_for_run(store, run.id)
    except KeyboardInterrupt:
        print(
            f"Stopped waiting; run {run.id} goes on. Stop it with `modelyard runs cancel {run.id}`.",
            file=sys.stderr,
        )
        return 130
    if run.status == "finished":
        print(finished_text(run))
        return 0
    print(f"Run {run.id} {run.status}: {run.error}", file=sys.stderr)
    return 1


def after_submit(store, run, wait: bool) -> int:
    """What `train`, `run` and `rerun` print once the run is in the queue."""
    from modelyard.training import queue

    line = queue.waiting(store)
    if run.id in line:
        limits = queue.load_limits(store)
        print(
            f"It waits for a free slot: number {line.index(run.id) + 1} in line "
            f"({limits.describe()}; `modelyard queue` shows the queue)."
        )
    if not wait:
        print(f"Follow it with `modelyard runs show {run.id}`.")
        return 0
    return wait_and_report(store, run)


def _one(args) -> str:
    if len(args.args) != 1 and args.action in ("show", "cancel", "rerun", "log"):
        raise ModelyardError(f"Name one run: `modelyard runs {args.action} RUN` (an id or latest).")
    if not args.args:
        raise ModelyardError(f"Name the run: `modelyard runs {args.action} RUN …`.")
    return args.args[0]


def cmd_runs(store, args) -> int:
    from modelyard.tracking.runs import get_run
    from modelyard.training.launcher import dispatch, reap_orphans

    if reap_orphans(store):  # dead workers free their slots: the queue moves on
        dispatch(store)
    if args.action == "list":
        return _list(store, args)
    if args.action == "compare":
        return _compare(store, args.args)
    run = get_run(store, _one(args))
    if args.action == "show":
        print(run_detail(run))
        from modelyard.telemetry.accounting import get_run_cost

        cost = get_run_cost(store, run.id)
        if cost is not None:
            print("\n".join("  " + line for line in cost.describe()))
        from modelyard.tracking.artifacts import list_artifacts

        kept = list_artifacts(store, run.id)
        if kept:
            print(f"  artifacts {', '.join(a.path for a in kept)}")
        return 0
    if args.action == "cancel":
        from modelyard.training.launcher import cancel

        if not cancel(store, run.id):
            raise ModelyardError(
                f"Run {run.id} is {run.status}; only a queued or running run can be stopped."
            )
        print(f"Run {run.id} cancelled.")
        return 0
    if args.action == "rerun":
        from modelyard.training.rerun import rerun

        new = rerun(store, run.id)
        from modelyard.training import executors

        started = executors.submit(store, new.id)
        print(
            f"Run {new.id} {'started' if new.id in started else 'queued'}: a re-run of run {run.id}."
        )
        return after_submit(store, new, args.wait)
    if args.action == "log":
        return _log(store, run, args.tail, args.follow)
    if args.action == "artifacts":
        return _artifacts(store, run, args.args[1:], args.out)
    if args.action == "tag":
        from modelyard.tracking.experiments import parse_tag, tag_run

        pairs = [parse_tag(t) for t in args.args[1:]]
        if not pairs:
            raise ModelyardError("Give tags as KEY=VALUE (an empty VALUE removes the tag).")
        tags = tag_run(store, run.id, dict(pairs))
        print(f"Run {run.id} tags: {', '.join(f'{k}={v}' for k, v in tags.items()) or 'none'}.")
        return 0
    from modelyard.tracking.experiments import note_run  # note

    note_run(store, run.id, " ".join(args.args[1:]))
    print(f"Run {run.id} note saved.")
    return 0


def _log(store, run, tail: int | None, follow: bool) -> int:
    """The run's output (a script's prints, a trainer's progress); --follow until it ends."""
    import time

    from modelyard.tracking.runs import get_run
    from modelyard.training.launcher import log_path

    path = log_path(store, run.id)
    if not path.exists() and not follow:
        print(f"Run {run.id} has no log yet.")
        return 0
    text = path.read_text(errors="replace") if path.exists() else ""
    if tail:
        text = "\n".join(text.splitlines()[-tail:]) + ("\n" if text else "")
    sys.stdout.write(text)
    if not follow:
        return 0
    position = path.stat().st_size if path.exists() else 0
    try:
        while True:
            if path.exists() and path.stat().st_size > position:
                with open(path, "rb") as handle:
                    handle.seek(position)
                    chunk = handle.read()
                position += len(chunk)
                sys.stdout.write(chunk.decode(errors="replace"))
                sys.stdout.flush()
            elif get_run(store, run.id).is_terminal:
                return 0
            time.sleep(0.3)
    except KeyboardInterrupt:
        return 130


def _artifacts(store, run, names: list[str], out: str | None) -> int:
    from modelyard.tracking.artifacts import list_artifacts, save_artifact

    if not names:
        kept = list_artifacts(store, run.id)
        if not kept:
            print(
                f"Run {run.id} kept no artifacts; a script keeps files with run.log_artifact(PATH)."
            )
            return 0
        print(
            table(
                ("artifact", "bytes", "logged"),
                [(a.path, f"{a.size:,}", f"{a.created_at:%Y-%m-%d %H:%M:%S}") for a in kept],
            )
        )
        return 0
    if not out:
        raise ModelyardError(
            "Say where to save it: `modelyard runs artifacts RUN NAME --out PATH`."
        )
    for name in names:
        print(f"Saved {name} to {save_artifact(store, run.id, name, out)}.")
    return 0


def _list(store, args) -> int:
    from modelyard.tracking.experiments import parse_tag
    from modelyard.tracking.run_table import column_header, parse_filter, run_rows, sort_rows

    rows = run_rows(store, experiment=args.experiment)
    if args.status:
        rows = [r for r in rows if r.status == args.status]
    for text in args.tag:
        key, value = parse_tag(text)
        rows = [r for r in rows if r.tags.get(key) == value]
    if args.where:
        rows = parse_filter(args.where).apply(rows)
    if args.sort:
        rows = sort_rows(rows, _key(rows, args.sort), descending=args.desc)
    if args.limit is not None:
        if args.limit < 1:
            raise ModelyardError("--limit takes a number of runs, 1 or more.")
        rows = rows[: args.limit]
    if not rows:
        filtered = args.experiment or args.status or args.tag or args.where
        print(
            "No runs match."
            if filtered
            else "No runs yet. Start one with "
            "`modelyard train --dataset NAME --target COLUMN --model KIND` or `modelyard run SCRIPT`."
        )
        return 0
    if args.columns:
        keys = [_key(rows, k.strip()) for k in args.columns.split(",") if k.strip()]
        cells = [[_cell(r.value(k)) for k in keys] for r in rows]
        print(table([column_header(k) for k in keys], cells))
        return 0
    cells = [
        (
            r.id,
            r.status,
            r.experiment,
            r.name,
            r.dataset,
            r.target,
            r.model,
            metrics_text(r.metrics),
        )
        for r in rows
    ]
    print(
        table(
            ("run", "status", "experiment", "name", "dataset", "target", "model", "metrics"), cells
        )
    )
    return 0


def _key(rows, key: str) -> str:
    """A column key from what was typed: a base column or a dotted key as it is; a bare name
    is a metric some run has, else a parameter."""
    from modelyard.tracking.run_table import BASE_COLUMNS

    if "." in key or key in BASE_COLUMNS:
        return key
    return f"metrics.{key}" if any(key in r.metrics for r in rows) else f"params.{key}"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _compare(store, refs: list[str]) -> int:
    from modelyard.tracking.runs import get_run

    if len(refs) < 2:
        raise ModelyardError("Compare at least two runs: `modelyard runs compare RUN RUN …`.")
    print(compare_text([get_run(store, ref) for ref in refs]))
    return 0


def cmd_experiments(store, _args) -> int:
    from modelyard.tracking.experiments import list_experiments

    experiments = list_experiments(store)
    if not experiments:
        print("No experiments yet; runs go to 'Default' unless `train --experiment NAME` says.")
        return 0
    rows = [(e.name, e.n_runs, _budget_text(e)) for e in experiments]
    print(table(("experiment", "runs", "budget"), rows))
    return 0


def _budget_text(experiment) -> str:
    parts = []
    if experiment.budget_kwh is not None:
        parts.append(f"{experiment.budget_kwh:g} kWh")
    if experiment.budget_money is not None:
        parts.append(f"{experiment.budget_money:g} money")
    text = " or ".join(parts) or "-"
    return text + (", auto-stop" if experiment.budget_auto_stop else "")


def cmd_budget(store, args) -> int:
    from modelyard.telemetry.budgets import all_budgets, budget_status
    from modelyard.tracking.experiments import set_budget

    if args.action == "set":
        if not args.experiment:
            raise ModelyardError("Name the experiment: `modelyard budget set EXPERIMENT …`.")
        if args.kwh is None and args.money is None and not args.clear:
            raise ModelyardError("Give --kwh and/or --money, or --clear to remove the budget.")
        experiment = set_budget(
            store,
            args.experiment,
            None if args.clear else args.kwh,
            None if args.clear else args.money,
            args.auto_stop and not args.clear,
        )
        print(budget_status(store, experiment).describe())
        return 0
    statuses = all_budgets(store)
    if args.experiment:
        statuses = [s for s in statuses if s.experiment.name == args.experiment]
    if not statuses:
        print("No budgets yet. Set one with `modelyard budget set EXPERIMENT --kwh 0.5`.")
        return 0
    for status in statuses:
        print(f"[{status.state}] {status.describe()}")
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("runs", help="list, show, cancel, re-run, compare, tag or annotate runs")
    p.add_argument("action", nargs="?", choices=ACTIONS, default="list")
    p.add_argument("args", nargs="*", help="RUN (an id or latest), then tags, note text or runs")
    p.add_argument("--experiment", help="list: only this experiment's runs")
    p.add_argument("--status", help="list: only runs with this status")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="list: filter")
    p.add_argument(
        "--where", help="list: e.g. 'accuracy > 0.9 and params.C = 1' (metrics, params, tags)"
    )
    p.add_argument("--sort", help="list: by a column, param or metric (e.g. accuracy, params.C)")
    p.add_argument("--desc", action="store_true", help="list: sort descending")
    p.add_argument("--columns", help="list: e.g. id,status,metrics.accuracy,params.C")
    p.add_argument("--limit", type=int, help="list: at most this many runs")
    p.add_argument("--wait", action="store_true", help="rerun: block until the new run ends")
    p.add_argument("--tail", type=int, help="log: only the last N lines")
    p.add_argument("--follow", action="store_true", help="log: keep printing until the run ends")
    p.add_argument("--out", help="artifacts: the folder or file to save the named artifacts to")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("experiments", help="experiments, their runs and budgets")
    p.set_defaults(func=cmd_experiments)

    p = sub.add_parser("budget", help="energy or money budgets per experiment")
    p.add_argument("action", nargs="?", choices=("list", "set"), default="list")
    p.add_argument("experiment", nargs="?")
    p.add_argument("--kwh", type=float, help="limit in kWh")
    p.add_argument("--money", type=float, help="limit in the Settings currency")
    p.add_argument("--auto-stop", action="store_true", help="stop running runs at 100%%")
    p.add_argument("--clear", action="store_true", help="remove the budget")
    p.set_defaults(func=cmd_budget)
