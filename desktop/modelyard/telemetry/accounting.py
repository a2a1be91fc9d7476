"""Recording what each run consumed, and adding it up per run, model version, day and week."""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from modelyard.errors import InvalidInputError
from modelyard.store import Store, models
from modelyard.store.db import upsert
from modelyard.telemetry.energy import EnergyReport
from modelyard.telemetry.prices import Prices, cost_of

SYSTEM_PREFIX = "system/"


@dataclass(frozen=True)
class RunCost:
    run_id: int
    model_kind: str
    dataset: str
    status: str
    started_at: datetime | None
    duration_s: float
    cpu_wh: float
    memory_wh: float
    gpu_wh: float | None
    energy_wh: float
    cost: float
    energy_cost: float
    amortisation_cost: float
    cloud_equivalent: float | None
    currency: str
    co2_g: float
    methods: dict[str, str]
    notes: tuple[str, ...]

    def describe(self) -> list[str]:
        """Lines for a run's detail: every figure with how it was obtained."""
        lines = [
            f"energy   {self.energy_wh:.4g} Wh over {self.duration_s:.1f} s",
            f"  cpu    {self.cpu_wh:.4g} Wh ({self.methods.get('cpu', '?')})",
            f"  memory {self.memory_wh:.4g} Wh ({self.methods.get('memory', '?')})",
        ]
        if self.gpu_wh is not None:
            lines.append(f"  gpu    {self.gpu_wh:.4g} Wh ({self.methods.get('gpu', '?')})")
        lines.append(
            f"cost     {self.cost:.6f} {self.currency} (energy {self.energy_cost:.6f}"
            f" + amortisation {self.amortisation_cost:.6f})"
        )
        if self.cloud_equivalent is not None:
            lines.append(f"  cloud equivalent {self.cloud_equivalent:.6f} {self.currency}")
        lines.append(f"co2      {self.co2_g:.4g} g")
        lines += [f"note     {n}" for n in self.notes]
        return lines


def record_run_energy(store: Store, run_id: int, report: EnergyReport, prices: Prices) -> RunCost:
    cost = cost_of(report.total_wh, report.duration_s, prices)
    values = {
        "run_id": run_id,
        "duration_s": report.duration_s,
        "cpu_wh": report.cpu.wh,
        "memory_wh": report.memory.wh,
        "gpu_wh": report.gpu.wh if report.gpu else None,
        "methods": report.methods,
        "notes": list(report.notes),
        "cost": cost.total,
        "energy_cost": cost.energy_cost,
        "amortisation_cost": cost.amortisation_cost,
        "cloud_equivalent": cost.cloud_equivalent,
        "currency": cost.currency,
        "co2_g": cost.co2_g,
        "prices": asdict(prices),
    }
    # One statement: the worker (as it stops) and whoever stopped it may both record the
    # run's energy at the same moment; a read-then-insert (session.merge) lost that race.
    with store.session() as session:
        upsert(session, models.RunEnergy, values, ["run_id"])
    return get_run_cost(store, run_id)


def _from_rows(energy: models.RunEnergy, run: models.Run) -> RunCost:
    return RunCost(
        run_id=run.id,
        model_kind=run.model_kind,
        dataset=(
            f"{run.dataset_version.dataset.name}:{run.dataset_version.version}"
            if run.dataset_version is not None
            else ""
        ),
        status=run.status,
        started_at=run.started_at,
        duration_s=energy.duration_s,
        cpu_wh=energy.cpu_wh,
        memory_wh=energy.memory_wh,
        gpu_wh=energy.gpu_wh,
        energy_wh=energy.cpu_wh + energy.memory_wh + (energy.gpu_wh or 0.0),
        cost=energy.cost,
        energy_cost=energy.energy_cost,
        amortisation_cost=energy.amortisation_cost,
        cloud_equivalent=energy.cloud_equivalent,
        currency=energy.currency,
        co2_g=energy.co2_g,
        methods=dict(energy.methods),
        notes=tuple(energy.notes),
    )


def _query():
    return (
        select(models.RunEnergy, models.Run)
        .join(models.Run, models.Run.id == models.RunEnergy.run_id)
        .order_by(models.Run.id)
    )


def get_run_cost(store: Store, run_id: int) -> RunCost | None:
    with store.session() as session:
        row = session.execute(_query().where(models.Run.id == run_id)).first()
        return _from_rows(*row) if row else None


def list_run_costs(store: Store, run_ids: list[int] | None = None) -> list[RunCost]:
    query = _query()
    if run_ids is not None:
        query = query.where(models.Run.id.in_(run_ids))
    with store.session() as session:
        return [_from_rows(*row) for row in session.execute(query).all()]


def model_version_costs(store: Store, model: str) -> list[tuple[str, RunCost | None]]:
    """Each version of a registered model with the cost of the run that trained it."""
    with store.session() as session:
        found = session.scalar(
            select(models.RegisteredModel).where(models.RegisteredModel.name == model)
        )
        if found is None:
            raise InvalidInputError(f"There is no model '{model}'.")
        versions = [(f"{model}:{v.version}", v.run_id) for v in found.versions]
    costs = {c.run_id: c for c in list_run_costs(store, [r for _, r in versions])}
    return [(label, costs.get(run_id)) for label, run_id in versions]


@dataclass(frozen=True)
class PeriodCost:
    period: str  # 2026-11-22 or 2026-W47
    runs: int
    energy_wh: float
    cost: float
    co2_g: float
    currency: str


def costs_by_period(costs: list[RunCost], period: str = "day") -> list[PeriodCost]:
    if period not in ("day", "week"):
        raise InvalidInputError(f"Group costs by day or week, not '{period}'.")
    groups: dict[tuple[str, str], list[RunCost]] = {}  # one row per period and currency
    for c in costs:
        if c.started_at is None:
            continue
        if period == "day":
            key = f"{c.started_at:%Y-%m-%d}"
        else:
            year, week, _ = c.started_at.isocalendar()
            key = f"{year}-W{week:02d}"
        groups.setdefault((key, c.currency), []).append(c)
    return [
        PeriodCost(
            period=key,
            runs=len(group),
            energy_wh=sum(c.energy_wh for c in group),
            cost=sum(c.cost for c in group),
            co2_g=sum(c.co2_g for c in group),
            currency=currency,
        )
        for (key, currency), group in sorted(groups.items())
    ]


def totals_by_currency(costs: list[RunCost]) -> dict[str, float]:
    """Money in different currencies is never added together."""
    totals: dict[str, float] = {}
    for c in costs:
        totals[c.currency] = totals.get(c.currency, 0.0) + c.cost
    return totals


CSV_HEADER = (
    "run",
    "model_kind",
    "dataset",
    "status",
    "started_at",
    "duration_s",
    "cpu_wh",
    "memory_wh",
    "gpu_wh",
    "energy_wh",
    "cost",
    "energy_cost",
    "amortisation_cost",
    "cloud_equivalent",
    "currency",
    "co2_g",
    "cpu_method",
    "memory_method",
    "gpu_method",
)


def export_csv(costs: list[RunCost], path: Path) -> Path:
    """Write the costs to `path` atomically (a temporary file renamed into place)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InvalidInputError(f"The folder {path.parent} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=".cost-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_HEADER)
            for c in costs:
                writer.writerow(
                    (
                        c.run_id,
                        c.model_kind,
                        c.dataset,
                        c.status,
                        c.started_at.isoformat() if c.started_at else "",
                        f"{c.duration_s:.3f}",
                        f"{c.cpu_wh:.6f}",
                        f"{c.memory_wh:.6f}",
                        "" if c.gpu_wh is None else f"{c.gpu_wh:.6f}",
                        f"{c.energy_wh:.6f}",
                        f"{c.cost:.8f}",
                        f"{c.energy_cost:.8f}",
                        f"{c.amortisation_cost:.8f}",
                        "" if c.cloud_equivalent is None else f"{c.cloud_equivalent:.8f}",
                        c.currency,
                        f"{c.co2_g:.6f}",
                        c.methods.get("cpu", ""),
                        c.methods.get("memory", ""),
                        c.methods.get("gpu", ""),
                    )
                )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def system_series(store: Store, run_id: int) -> dict[str, list[tuple[float, float]]]:
    """A run's system metrics as {key: [(timestamp, value), …]} in time order."""
    with store.session() as session:
        rows = session.execute(
            select(models.Metric.key, models.Metric.timestamp, models.Metric.value)
            .where(models.Metric.run_id == run_id, models.Metric.key.like(SYSTEM_PREFIX + "%"))
            .order_by(models.Metric.step, models.Metric.id)
        ).all()
    series: dict[str, list[tuple[float, float]]] = {}
    for key, timestamp, value in rows:
        series.setdefault(key, []).append((timestamp, value))
    return series


def model_versions_by_run(store: Store) -> dict[int, list[str]]:
    """Which registered model versions each run became (a run may be registered more than once)."""
    with store.session() as session:
        rows = session.execute(
            select(
                models.ModelVersion.run_id, models.RegisteredModel.name, models.ModelVersion.version
            )
            .join(models.RegisteredModel, models.RegisteredModel.id == models.ModelVersion.model_id)
            .order_by(models.ModelVersion.id)
        ).all()
    labels: dict[int, list[str]] = {}
    for run_id, name, version in rows:
        labels.setdefault(run_id, []).append(f"{name}:{version}")
    return labels


ENDED_EARLY = (
    "The worker ended before recording its energy (killed, cancelled or crashed): "
    "the figures run up to its last sample, at most a second or two before it ended."
)


def record_from_samples(store: Store, run_id: int) -> RunCost | None:
    """For a run whose worker was killed: energy up to its last stored sample.

    Does nothing if the worker recorded its own figures or left no samples.
    """
    from modelyard.telemetry.energy import EnergyFigure
    from modelyard.telemetry.power import MEMORY_W_PER_GB, cpu_power
    from modelyard.telemetry.prices import load_prices

    with store.session() as session:
        if session.get(models.RunEnergy, run_id) is not None:
            return None
    series = system_series(store, run_id)
    if len(series.get("system/energy_cpu_wh", [])) < 1:
        return None
    times = [t for t, _ in series["system/energy_cpu_wh"]]
    prices = load_prices(store)

    def last(key: str) -> float:
        return series[key][-1][1]

    gpu = None
    if "system/energy_gpu_wh" in series:
        gpu = EnergyFigure(last("system/energy_gpu_wh"), "measured: NVML")
    memory_method = f"estimated: {prices.memory_w_per_gb or MEMORY_W_PER_GB:g} W per GB resident"
    report = EnergyReport(
        duration_s=times[-1] - times[0],
        cpu=EnergyFigure(last("system/energy_cpu_wh"), cpu_power(prices.cpu_tdp_w).method),
        memory=EnergyFigure(last("system/energy_memory_wh"), memory_method),
        gpu=gpu,
        notes=(ENDED_EARLY,),
    )
    return record_run_energy(store, run_id, report, prices)
