"""`modelyard cluster local --workers N` and the `--executor` flag of train, run and sweep."""

from __future__ import annotations

import sys
import time


def add_executor_flag(p) -> None:
    p.add_argument(
        "--executor",
        metavar="local|tcp://HOST:8786",
        help="where it runs: this machine (local, the default) or a Dask scheduler; "
        "without the flag: Settings → Execution",
    )


def cmd_cluster(store, args) -> int:
    """A Dask LocalCluster of worker processes on this machine, until Ctrl-C."""
    from modelyard.errors import InvalidInputError

    if not 1 <= args.workers <= 256:
        raise InvalidInputError("The number of workers must be a whole number from 1 to 256.")
    try:
        from distributed import LocalCluster
    except ImportError:
        raise InvalidInputError(
            "A Dask cluster needs dask and distributed: pip install 'modelyard[cluster]'."
        ) from None
    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,  # one run per worker process at a time
        processes=True,
        scheduler_port=args.port,
        dashboard_address=f":{args.dashboard_port}",
    )
    try:
        print(f"Dask scheduler: {cluster.scheduler_address} ({args.workers} workers)")
        print(f"Dashboard: {cluster.dashboard_link}")
        print(
            f"Use it with --executor {cluster.scheduler_address}, or set it in Settings → "
            "Execution. Ctrl-C stops the cluster.",
            flush=True,
        )
        if args.seconds is not None:
            time.sleep(args.seconds)
        else:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("Stopping the cluster.", file=sys.stderr)
    finally:
        cluster.close()
    return 0


def cmd_execution(store, args) -> int:
    from modelyard.training import executors

    if args.executor is not None or args.retry is not None:
        executors.save_choice(
            store,
            args.executor if args.executor is not None else executors.chosen(store),
            None if args.retry is None else args.retry == "yes",
        )
    where = executors.chosen(store)
    print(f"Runs execute on: {'this machine' if where == executors.LOCAL else where}")
    print(
        f"A lost worker's run is retried once: {'yes' if executors.retry_lost_worker(store) else 'no'}"
    )
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("cluster", help="start a Dask cluster on this machine to try --executor")
    p.add_argument("mode", choices=("local",), help="local: a LocalCluster of worker processes")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--port", type=int, default=8786, help="scheduler port (default 8786)")
    p.add_argument("--dashboard-port", type=int, default=8787)
    p.add_argument("--seconds", type=float, help=argparse_hidden())
    p.set_defaults(func=cmd_cluster)
    p = sub.add_parser("execution", help="show or set where runs execute (Settings → Execution)")
    p.add_argument("--executor", metavar="local|tcp://HOST:8786")
    p.add_argument("--retry", choices=("yes", "no"), help="retry a lost worker's run once")
    p.set_defaults(func=cmd_execution)


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
