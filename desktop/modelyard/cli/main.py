"""`modelyard SUBCOMMAND …`: every step of the lifecycle without a display."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modelyard.cli import datasets_cmd, deploy_cmd
from modelyard.cli.evaluate_cmd import add_evaluate_parser
from modelyard.cli.format import table
from modelyard.cli.registry_cmd import add_models_parser
from modelyard.errors import ModelyardError


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ModelyardError(f"--param takes KEY=VALUE, not '{pair}'.")
        params[key.strip()] = value
    return params


def cmd_import(store, args) -> int:
    from modelyard.datasets.service import import_file

    result = import_file(store, Path(args.file), name=args.name)
    print(result.message)
    return 0


def cmd_datasets(store, args) -> int:
    from modelyard.datasets.service import list_datasets

    rows = [
        (
            v.label,
            v.n_rows,
            v.n_cols,
            v.source_name,
            v.content_hash[:12],
            f"{v.created_at:%Y-%m-%d %H:%M}",
        )
        for d in list_datasets(store)
        for v in d.versions
    ]
    if not rows:
        print("No datasets yet. Import one with `modelyard import FILE`.")
        return 0
    print(table(("dataset", "rows", "cols", "source", "sha256", "created"), rows))
    return 0


def cmd_train(store, args) -> int:
    from modelyard.datasets.service import get_version
    from modelyard.training import executors
    from modelyard.training.jobs import create_run

    executors.chosen(store, args.executor)  # a malformed address is refused before the run
    dataset = get_version(store, args.dataset)
    from modelyard.tracking.experiments import parse_tag

    run = create_run(
        store,
        dataset,
        args.target,
        args.model,
        _parse_params(args.param),
        args.seed,
        args.task,
        experiment=args.experiment,
        name=args.name,
        tags=dict(parse_tag(t) for t in args.tag),
    )
    from modelyard.training import executors

    started = executors.submit(store, run.id, args.executor)
    print(
        f"Run {run.id} {executors.submitted_text(store, run.id, started)} in experiment "
        f"'{run.experiment}': {run.model_kind} ({run.task}) on {dataset.label} → {run.target}."
    )
    from modelyard.cli.runs_cmd import after_submit

    return after_submit(store, run, args.wait)


def cmd_register(store, args) -> int:
    from modelyard.registry.service import register

    version = register(store, args.run, args.name)
    print(f"Registered run {version.run_id} as {version.label}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelyard",
        description="Modelyard: datasets, training, registry and deployment bundles on your machine. "
        "Run without a command to open the app.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("import", help="import a data file as a dataset version")
    p.add_argument("file")
    p.add_argument("--name", help="dataset name (default: the file's stem)")
    p.set_defaults(func=cmd_import)

    datasets_cmd.add_parser(sub, cmd_datasets)

    p = sub.add_parser("train", help="train a model on a dataset in a worker process")
    p.add_argument("--dataset", required=True, help="NAME or NAME:VERSION")
    p.add_argument("--target", required=True, help="the column to predict")
    p.add_argument("--model", required=True, help="random_forest, logistic_regression, …")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--experiment", help="group the run under this experiment (default: Default)")
    p.add_argument("--name", help="a name for the run")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument(
        "--task", choices=("classification", "regression"), help="default: from the target"
    )
    p.add_argument(
        "--wait", action="store_true", help="block until the run ends; exit 1 if it failed"
    )
    from modelyard.cli.cluster_cmd import add_executor_flag

    add_executor_flag(p)
    p.set_defaults(func=cmd_train)

    from modelyard.cli import jobs_cmd, runs_cmd

    jobs_cmd.add_parsers(sub)
    runs_cmd.add_parsers(sub)
    from modelyard.cli import sweep_cmd

    sweep_cmd.add_parsers(sub)
    from modelyard.cli import cluster_cmd

    cluster_cmd.add_parsers(sub)

    p = sub.add_parser("register", help="register a finished run's model as a new version")
    p.add_argument("--run", required=True, help="run id or 'latest'")
    p.add_argument("--name", required=True, help="model name")
    p.set_defaults(func=cmd_register)

    add_models_parser(sub)
    add_evaluate_parser(sub)

    deploy_cmd.add_parsers(sub)

    from modelyard.cli import monitor_cmd
    from modelyard.cli.telemetry_commands import add_parsers as add_telemetry_parsers

    monitor_cmd.add_parsers(sub)

    add_telemetry_parsers(sub)
    from modelyard.cli import settings_cmd

    settings_cmd.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    store = None
    try:
        if getattr(args, "needs_store", True):
            from modelyard.store import open_store

            store = open_store()
            if store.upgrade_notice:
                print(store.upgrade_notice, file=sys.stderr)
        return args.func(store, args)
    except ModelyardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    finally:
        if store is not None:
            store.close()
