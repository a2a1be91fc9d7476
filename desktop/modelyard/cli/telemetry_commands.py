"""`modelyard resources`, `modelyard cost` and `modelyard prices`."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

from modelyard.cli.format import table
from modelyard.errors import InvalidInputError


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} MB/s"


def snapshot_text(snapshot) -> str:
    s = snapshot.system
    cores = " ".join(f"{c:3.0f}" for c in s.per_core)
    lines = [
        f"{time.strftime('%H:%M:%S', time.localtime(s.time))}  CPU {s.cpu_percent:5.1f}%  "
        f"cores [{cores}]",
        f"memory {s.memory_used_mb:,.0f} / {s.memory_total_mb:,.0f} MB ({s.memory_percent:.0f}%)"
        f"  swap {s.swap_used_mb:,.0f} / {s.swap_total_mb:,.0f} MB",
        f"disk   read {_rate(s.disk_read_mb_s)}  write {_rate(s.disk_write_mb_s)}",
        f"net    in {_rate(s.net_recv_mb_s)}  out {_rate(s.net_sent_mb_s)}",
    ]
    for g in snapshot.gpus:
        parts = [f"GPU {g.index} {g.name}:"]
        if g.utilisation_percent is not None:
            parts.append(f"{g.utilisation_percent:.0f}%")
        if g.memory_used_mb is not None:
            parts.append(f"{g.memory_used_mb:,.0f}/{g.memory_total_mb:,.0f} MB")
        if g.power_w is not None:
            parts.append(f"{g.power_w:.0f} W")
        if g.temperature_c is not None:
            parts.append(f"{g.temperature_c:.0f} °C")
        lines.append(" ".join(parts))
    if snapshot.runs:
        rows = [
            (
                u.run_id,
                u.pid,
                f"{u.cpu_percent:.0f}%",
                f"{u.memory_mb:,.0f} MB",
                "" if u.gpu_memory_mb is None else f"{u.gpu_memory_mb:,.0f} MB",
            )
            for u in snapshot.runs
        ]
        lines.append(table(("run", "pid", "cpu", "memory", "gpu memory"), rows))
    else:
        lines.append("no runs are training")
    lines += snapshot.notes
    return "\n".join(lines)


def cmd_resources(store, args) -> int:
    from modelyard.telemetry.machine import MachineMonitor, running_processes

    if args.interval <= 0:
        raise InvalidInputError("--interval must be more than 0 seconds.")
    monitor = MachineMonitor()
    try:
        time.sleep(min(args.interval, 0.5) if args.once else args.interval)
        while True:
            print(snapshot_text(monitor.sample(running_processes(store))), flush=True)
            if args.once:
                return 0
            print()
            time.sleep(args.interval)
    finally:
        monitor.close()


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return ""
    return (
        f"{value:.2f} {currency}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g} {currency}"
    )


def cmd_cost(store, args) -> int:
    from modelyard.telemetry.accounting import (
        costs_by_period,
        export_csv,
        list_run_costs,
        model_version_costs,
    )
    from modelyard.tracking.runs import get_run

    if sum(bool(x) for x in (args.run, args.model, args.experiment)) > 1:
        raise InvalidInputError("Give one of --run, --model or --experiment.")
    labels: dict[int, str] = {}
    if args.run:
        costs = list_run_costs(store, [get_run(store, args.run).id])
        if not costs:
            raise InvalidInputError(
                f"Run {args.run} has no recorded energy (it has not ended yet, or ran before Modelyard recorded energy)."
            )
    elif args.model:
        versions = model_version_costs(store, args.model)
        costs = [c for _, c in versions if c is not None]
        labels = {c.run_id: label for label, c in versions if c is not None}
        missing = [label for label, c in versions if c is None]
        if missing:
            print(f"No recorded energy for {', '.join(missing)}.")
    elif args.experiment:
        from modelyard.tracking.experiments import get_experiment
        from modelyard.tracking.runs import list_runs

        get_experiment(store, args.experiment)  # a clear error for an unknown name
        ids = [r.id for r in list_runs(store, experiment=args.experiment)]
        costs = list_run_costs(store, ids) if ids else []
    else:
        costs = list_run_costs(store)
    if args.experiment:
        from modelyard.telemetry.budgets import budget_status
        from modelyard.tracking.experiments import get_experiment

        print(budget_status(store, get_experiment(store, args.experiment)).describe())
    if args.csv:
        path = export_csv(costs, Path(args.csv))
        print(f"Wrote {len(costs)} runs to {path}.")
        return 0
    if not costs:
        print("No run costs yet: every run records its energy and cost when it ends.")
        return 0
    rows = [
        (
            labels.get(c.run_id, c.run_id),
            c.model_kind,
            f"{c.duration_s:.1f} s",
            f"{c.energy_wh:.4g} Wh",
            _money(c.cost, c.currency),
            _money(c.cloud_equivalent, c.currency),
            f"{c.co2_g:.3g} g",
            c.methods.get("cpu", ""),
        )
        for c in costs
    ]
    print(table(("run", "model", "time", "energy", "cost", "cloud", "co2", "cpu method"), rows))
    periods = costs_by_period(costs, args.by)
    print()
    print(
        table(
            (args.by, "runs", "energy", "cost", "co2"),
            [
                (
                    p.period,
                    p.runs,
                    f"{p.energy_wh:.4g} Wh",
                    _money(p.cost, p.currency),
                    f"{p.co2_g:.3g} g",
                )
                for p in periods
            ],
        )
    )
    from modelyard.telemetry.accounting import totals_by_currency

    money = ", ".join(_money(v, k) for k, v in sorted(totals_by_currency(costs).items()))
    print(f"\ntotal: {sum(c.energy_wh for c in costs):.4g} Wh, {money}")
    return 0


def cmd_prices(store, args) -> int:
    from modelyard.telemetry.prices import LABELS, load_prices, save_prices

    if args.set:
        values = {}
        for pair in args.set:
            key, sep, value = pair.partition("=")
            if not sep:
                raise InvalidInputError(f"--set takes KEY=VALUE, not '{pair}'.")
            values[key.strip()] = value
        save_prices(store, values)
    prices = asdict(load_prices(store))
    rows = [(key, "" if prices[key] is None else prices[key], LABELS[key]) for key in LABELS]
    print(table(("setting", "value", "meaning"), rows))
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("resources", help="live CPU, memory, disk, network and GPU use")
    p.add_argument("--once", action="store_true", help="print one sample and exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    p.set_defaults(func=cmd_resources)

    p = sub.add_parser("cost", help="energy, cost and CO2 per run, model version, day or week")
    p.add_argument("--run", help="one run (an id or latest)")
    p.add_argument("--model", help="the versions of a registered model")
    p.add_argument("--experiment", help="the runs of one experiment, and its budget")
    p.add_argument("--by", choices=("day", "week"), default="day", help="group totals by")
    p.add_argument("--csv", metavar="FILE", help="write the runs' costs to a CSV file")
    p.set_defaults(func=cmd_cost)

    p = sub.add_parser("prices", help="show or set electricity price, currency, carbon intensity…")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.set_defaults(func=cmd_prices)
