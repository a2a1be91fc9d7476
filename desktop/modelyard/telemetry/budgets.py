"""Experiment budgets: how much of its kWh or money limit an experiment has used.

Ended runs count with their recorded energy and cost; running runs with the energy their
worker has sampled so far. At 80% the experiment is in warning; at 100% it is exceeded, and
with auto-stop its running runs stop themselves (see run_monitor).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from modelyard.store import Store, models
from modelyard.telemetry.prices import Prices, cost_of, load_prices
from modelyard.tracking.experiments import Experiment, list_experiments

WARN_AT = 0.8


@dataclass(frozen=True)
class BudgetStatus:
    experiment: Experiment
    used_kwh: float
    used_money: float
    currency: str
    running: int

    @property
    def fraction(self) -> float:
        parts = []
        if self.experiment.budget_kwh:
            parts.append(self.used_kwh / self.experiment.budget_kwh)
        if self.experiment.budget_money:
            parts.append(self.used_money / self.experiment.budget_money)
        return max(parts, default=0.0)

    @property
    def state(self) -> str:
        if not self.experiment.has_budget:
            return "no budget"
        if self.fraction >= 1.0:
            return "exceeded"
        return "warning" if self.fraction >= WARN_AT else "ok"

    def limit_text(self) -> str:
        e = self.experiment
        parts = []
        if e.budget_kwh is not None:
            parts.append(f"{e.budget_kwh:g} kWh")
        if e.budget_money is not None:
            parts.append(f"{e.budget_money:g} {self.currency}")
        return " or ".join(parts) or "none"

    def describe(self) -> str:
        used = f"{self.used_kwh:.4g} kWh, {self.used_money:.4g} {self.currency}"
        if not self.experiment.has_budget:
            return f"Experiment '{self.experiment.name}' has used {used}; it has no budget."
        stop = " (running runs stop at 100%)" if self.experiment.budget_auto_stop else ""
        return (
            f"Experiment '{self.experiment.name}' has used {self.fraction:.0%} of its budget of "
            f"{self.limit_text()}{stop}: {used}."
        )


def _used(session, experiment_id: int, prices: Prices) -> tuple[float, float, int]:
    """(kWh, money in the current currency, running runs) of one experiment."""
    ended = session.execute(
        select(
            func.coalesce(
                func.sum(
                    models.RunEnergy.cpu_wh
                    + models.RunEnergy.memory_wh
                    + func.coalesce(models.RunEnergy.gpu_wh, 0.0)
                ),
                0.0,
            ),
            func.coalesce(func.sum(models.RunEnergy.cost), 0.0),
        )
        .join(models.Run, models.Run.id == models.RunEnergy.run_id)
        .where(
            models.Run.experiment_id == experiment_id,
            models.RunEnergy.currency == prices.currency,
        )
    ).one()
    wh, money = float(ended[0]), float(ended[1])
    # runs still going (no energy record yet): their latest sampled energy and time
    live = (
        select(
            models.Metric.run_id,
            func.max(models.Metric.value).label("wh"),
            (func.max(models.Metric.timestamp) - func.min(models.Metric.timestamp)).label("s"),
        )
        .join(models.Run, models.Run.id == models.Metric.run_id)
        .outerjoin(models.RunEnergy, models.RunEnergy.run_id == models.Run.id)
        .where(
            models.Run.experiment_id == experiment_id,
            models.RunEnergy.run_id.is_(None),
            models.Metric.key == "system/energy_wh",
        )
        .group_by(models.Metric.run_id)
    )
    running = 0
    for _run_id, run_wh, seconds in session.execute(live).all():
        running += 1
        wh += run_wh
        money += cost_of(run_wh, seconds or 0.0, prices).total
    return wh / 1000.0, money, running


def budget_status(store: Store, experiment: Experiment, prices: Prices | None = None):
    prices = prices or load_prices(store)
    with store.session() as session:
        kwh, money, running = _used(session, experiment.id, prices)
    return BudgetStatus(experiment, kwh, money, prices.currency, running)


def all_budgets(store: Store) -> list[BudgetStatus]:
    """Every experiment with a budget, and how much of it is used."""
    prices = load_prices(store)
    return [budget_status(store, e, prices) for e in list_experiments(store) if e.has_budget]


def status_for_run(store: Store, run_id: int, prices: Prices | None = None):
    """The budget status of the run's experiment, or None when it has no budget."""
    with store.session() as session:
        experiment_id = session.scalar(
            select(models.Run.experiment_id).where(models.Run.id == run_id)
        )
    if experiment_id is None:
        return None
    for experiment in list_experiments(store):
        if experiment.id == experiment_id and experiment.has_budget:
            return budget_status(store, experiment, prices)
    return None
