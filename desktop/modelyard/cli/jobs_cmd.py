"""`modelyard run SCRIPT …` (a user's script as a tracked job) and `modelyard queue`."""

from __future__ import annotations

import argparse

from modelyard.cli.format import table


def cmd_run(store, args) -> int:
    from modelyard.cli.runs_cmd import after_submit
    from modelyard.tracking.experiments import parse_tag
    from modelyard.tracking.scripts import create_script_run
    from modelyard.training import executors, launcher

    executors.chosen(store, args.executor)  # a malformed address is refused before the run
    run = create_script_run(
        store,
        args.script,
        args.args,
        experiment=args.experiment,
        name=args.name,
        tags=dict(parse_tag(t) for t in args.tag),
        gpu=args.gpu,
    )
    started = executors.submit(store, run.id, args.executor)
    print(
        f"Run {run.id} {executors.submitted_text(store, run.id, started)} in experiment "
        f"'{run.experiment}': {run.what}. Its output goes to {launcher.log_path(store, run.id)}."
    )
    return after_submit(store, run, args.wait)


def cmd_queue(store, args) -> int:
    from modelyard.tracking.runs import active_runs
    from modelyard.training import launcher, queue

    if args.cpu_runs is not None or args.gpu_runs is not None:
        queue.set_limits(store, args.cpu_runs, args.gpu_runs)
    launcher.reap_orphans(store)
    launcher.dispatch(store)  # slots freed by dead workers or a larger limit are taken now
    limits = queue.load_limits(store)
    print(f"Limits: {limits.describe()}.")
    line = queue.waiting(store)
    active = {r.id: r for r in active_runs(store)}
    running = [r for r in active.values() if r.status == "running" or r.resource]
    rows = [(r.id, r.status, r.resource or "", r.experiment, r.what) for r in running]
    rows += [
        (i, f"waiting #{n}", "", active[i].experiment, active[i].what)
        for n, i in enumerate(line, 1)
        if i in active
    ]
    if not rows:
        print("Nothing is running or waiting.")
        return 0
    print(
        table(
            ("run", "status", "slot", "experiment", "what"), sorted(rows, key=lambda r: str(r[1]))
        )
    )
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "run",
        help="run your own Python script as a tracked job (modelyard.start_run inside records into it)",
    )
    p.add_argument("--experiment", help="group the run under this experiment (default: Default)")
    p.add_argument("--name", help="a name for the run")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--gpu", action="store_true", help="wait for a GPU slot and use that GPU")
    p.add_argument(
        "--wait", action="store_true", help="block until the run ends; exit 1 if it failed"
    )
    from modelyard.cli.cluster_cmd import add_executor_flag

    add_executor_flag(p)
    p.add_argument("script", help="the .py file (it runs in its own folder)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("queue", help="running and waiting runs, and how many run at a time")
    p.add_argument("--cpu-runs", type=int, help="CPU runs at a time (default: one per core)")
    p.add_argument("--gpu-runs", type=int, help="runs at a time on each GPU (default 1)")
    p.set_defaults(func=cmd_queue)
