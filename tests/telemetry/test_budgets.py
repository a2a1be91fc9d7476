"""Experiment budgets: usage from recorded and live energy, warning at 80%, auto-stop at 100%."""

import time

import pytest
from sqlalchemy import text

from modelyard.errors import InvalidInputError
from modelyard.telemetry.accounting import record_run_energy
from modelyard.telemetry.budgets import all_budgets, budget_status
from modelyard.telemetry.energy import EnergyFigure, EnergyReport
from modelyard.telemetry.prices import load_prices, save_prices
from modelyard.tracking.experiments import get_experiment, set_budget
from modelyard.tracking.runs import get_run, log_metric_batch
from modelyard.training.jobs import create_run
from tests.conftest import store_snapshot


def _report(wh: float) -> EnergyReport:
    return EnergyReport(3600.0, EnergyFigure(wh, "estimated"), EnergyFigure(0.0, "estimated"), None)


def test_usage_adds_ended_and_running_runs_and_sets_the_state(store, churn):
    save_prices(store, {"price_per_kwh": 0.5, "currency": "EUR", "amortisation_per_hour": 0})
    ended = create_run(store, churn, "churn", "logistic_regression", experiment="tuning")
    record_run_energy(store, ended.id, _report(600.0), load_prices(store))  # 0.6 kWh, 0.30 EUR
    running = create_run(store, churn, "churn", "logistic_regression", experiment="tuning")
    log_metric_batch(
        store,
        running.id,
        [("system/energy_wh", 100.0, 0, 10.0), ("system/energy_wh", 200.0, 1, 20.0)],
    )
    create_run(store, churn, "churn", "logistic_regression")  # another experiment: not counted
    experiment = set_budget(store, "tuning", kwh=1.0)
    status = budget_status(store, experiment)
    assert status.used_kwh == pytest.approx(0.8)
    assert status.used_money == pytest.approx(0.30 + 0.2 * 0.5)
    assert status.running == 1 and status.state == "warning"
    assert "80% of its budget of 1 kWh" in status.describe()
    status = budget_status(store, set_budget(store, "tuning", money=0.35, auto_stop=True))
    assert status.state == "exceeded" and status.fraction == pytest.approx(0.4 / 0.35)
    assert [s.experiment.name for s in all_budgets(store)] == ["tuning"]
    assert get_experiment(store, "tuning").budget_auto_stop


def test_bad_budgets_are_refused_and_write_nothing(store, churn):
    create_run(store, churn, "churn", "logistic_regression", experiment="tuning")
    before = store_snapshot(store)
    for kwh in (-1.0, 0.0, float("nan"), float("inf")):
        with pytest.raises(InvalidInputError, match="positive number"):
            set_budget(store, "tuning", kwh=kwh)
    with pytest.raises(InvalidInputError, match="experiment name"):
        set_budget(store, "  ", kwh=1.0)
    assert store_snapshot(store) == before


@pytest.mark.slow
def test_a_run_over_its_experiments_budget_stops_itself(store, churn):
    from modelyard.training import launcher

    set_budget(store, "capped", kwh=1e-9, auto_stop=True)
    run = create_run(
        store, churn, "churn", "random_forest", {"n_estimators": 5000}, experiment="capped"
    )
    proc = launcher.start(store, run.id)
    ended = launcher.wait(store, proc, run.id, timeout=120)
    assert proc.returncode == 3
    assert ended.status == "cancelled"
    assert "Stopped: Experiment 'capped' has used" in ended.error
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        energy = conn.execute(
            text("SELECT cpu_wh FROM run_energy WHERE run_id = :r"), {"r": run.id}
        ).scalar()
    assert energy is not None and energy > 0
    # a budget without auto-stop only warns, in the run's log
    set_budget(store, "capped", kwh=1e-9, auto_stop=False)
    run = create_run(
        store, churn, "churn", "random_forest", {"n_estimators": 300}, experiment="capped"
    )
    started = time.monotonic()
    done = launcher.wait(store, launcher.start(store, run.id), run.id, timeout=120)
    assert done.status == "finished", time.monotonic() - started
    assert "Budget warning" in launcher.log_path(store, run.id).read_text()
    assert get_run(store, run.id).experiment == "capped"
