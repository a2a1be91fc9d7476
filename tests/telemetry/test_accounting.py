"""Per-run energy and cost in the store: recording, adding up, exporting, settings."""

import csv
from datetime import datetime

import pytest

from modelyard.errors import InvalidInputError
from modelyard.telemetry.accounting import (
    costs_by_period,
    export_csv,
    get_run_cost,
    list_run_costs,
    model_version_costs,
    record_run_energy,
    system_series,
)
from modelyard.telemetry.energy import EnergyFigure, EnergyReport
from modelyard.telemetry.prices import Prices, load_prices, save_prices
from modelyard.tracking.runs import get_run
from tests.conftest import store_snapshot

REPORT = EnergyReport(
    duration_s=7200.0,
    cpu=EnergyFigure(300.0, "estimated: TDP 65 W"),
    memory=EnergyFigure(20.0, "estimated: 0.375 W per GB resident"),
    gpu=EnergyFigure(680.0, "GPU 0 measured: NVML"),
    notes=("RAPL is not available",),
)


def test_prices_are_stored_for_everyone_and_bad_input_writes_nothing(store):
    assert load_prices(store) == Prices()
    save_prices(store, {"price_per_kwh": "0.4", "currency": "USD"})
    assert load_prices(store).price_per_kwh == 0.4 and load_prices(store).currency == "USD"
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError):
        save_prices(store, {"carbon_g_per_kwh": "300", "price_per_kwh": "-2"})
    assert store_snapshot(store) == before
    assert load_prices(store).carbon_g_per_kwh == 475


def test_run_cost_is_recorded_with_methods_and_added_up(store, finished_run):
    prices = Prices(price_per_kwh=0.2, amortisation_per_hour=0.1, cloud_hourly=2.0)
    cost = record_run_energy(store, finished_run.id, REPORT, prices)
    assert cost.energy_wh == 1000.0
    assert cost.cost == pytest.approx(0.2 + 0.2)  # 1 kWh × 0.2 + 2 h × 0.1
    assert cost.cloud_equivalent == pytest.approx(4.0)
    assert cost.co2_g == pytest.approx(475.0)
    assert cost.methods == {
        "cpu": "estimated: TDP 65 W",
        "memory": "estimated: 0.375 W per GB resident",
        "gpu": "GPU 0 measured: NVML",
    }
    text = "\n".join(cost.describe())
    assert "300 Wh (estimated: TDP 65 W)" in text and "note     RAPL is not available" in text
    assert get_run_cost(store, finished_run.id + 99) is None

    day = get_run(store, finished_run.id).started_at
    by_day = costs_by_period(list_run_costs(store), "day")
    assert [(p.period, p.runs, p.cost) for p in by_day] == [(f"{day:%Y-%m-%d}", 1, cost.cost)]
    assert costs_by_period(list_run_costs(store), "week")[0].period.startswith(f"{day:%Y}-W")
    with pytest.raises(InvalidInputError, match="by day or week"):
        costs_by_period([], "month")


def test_cost_per_model_version(store, finished_run):
    from modelyard.registry.service import register

    record_run_energy(store, finished_run.id, REPORT, Prices())
    register(store, finished_run.id, "churner")
    [(label, cost)] = model_version_costs(store, "churner")
    assert label == "churner:1" and cost.run_id == finished_run.id
    with pytest.raises(InvalidInputError, match="no model 'nope'"):
        model_version_costs(store, "nope")


def test_csv_export_is_complete_and_atomic(store, finished_run, tmp_path):
    record_run_energy(store, finished_run.id, REPORT, Prices(currency="GBP"))
    out = export_csv(list_run_costs(store), tmp_path / "costs.csv")
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 1
    assert rows[0]["run"] == str(finished_run.id) and rows[0]["currency"] == "GBP"
    assert float(rows[0]["energy_wh"]) == 1000.0 and rows[0]["gpu_method"] == "GPU 0 measured: NVML"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["costs.csv", "home"]
    with pytest.raises(InvalidInputError, match="does not exist"):
        export_csv([], tmp_path / "missing" / "x.csv")


def test_period_grouping_by_hand():
    from modelyard.telemetry.accounting import RunCost

    def cost(day, value):
        return RunCost(
            1,
            "k",
            "d:1",
            "finished",
            datetime(2026, 11, day, 12),
            1,
            1,
            1,
            None,
            2.0,
            value,
            value,
            0,
            None,
            "EUR",
            1.0,
            {},
            (),
        )

    # 16 Nov 2026 is a Monday: 16 and 22 share ISO week 47, 23 starts week 48
    weeks = costs_by_period([cost(16, 1.0), cost(22, 2.0), cost(23, 4.0)], "week")
    assert [(w.period, w.runs, w.cost) for w in weeks] == [
        ("2026-W47", 2, 3.0),
        ("2026-W48", 1, 4.0),
    ]


def test_worker_records_system_metrics_and_energy(store, finished_run):
    cost = get_run_cost(store, finished_run.id)
    assert cost is not None and cost.energy_wh > 0
    assert cost.methods["cpu"].startswith(("measured: RAPL", "estimated: "))
    assert any("NVML" in note for note in cost.notes)  # no GPU here, said once
    series = system_series(store, finished_run.id)
    assert {"system/cpu_percent", "system/memory_mb", "system/energy_wh"} <= set(series)
    assert len(series["system/memory_mb"]) >= 2 and series["system/memory_mb"][0][1] > 10
    energy = [v for _, v in series["system/energy_wh"]]
    assert energy == sorted(energy) and energy[-1] == pytest.approx(cost.energy_wh)
    assert not any(k.startswith("system/") for k in finished_run.metrics)


def test_money_in_different_currencies_is_never_added():
    from modelyard.telemetry.accounting import RunCost, totals_by_currency

    def cost(currency, value):
        return RunCost(
            1,
            "k",
            "d:1",
            "finished",
            datetime(2026, 11, 20, 9),
            1,
            1,
            1,
            None,
            2.0,
            value,
            value,
            0,
            None,
            currency,
            1.0,
            {},
            (),
        )

    costs = [cost("EUR", 1.0), cost("USD", 2.0), cost("EUR", 0.5)]
    assert totals_by_currency(costs) == {"EUR": 1.5, "USD": 2.0}
    days = costs_by_period(costs, "day")
    assert [(d.currency, d.runs, d.cost) for d in days] == [("EUR", 2, 1.5), ("USD", 1, 2.0)]


@pytest.mark.slow
def test_a_cancelled_worker_still_gets_its_energy_from_its_samples(store, churn):
    import time

    from modelyard.telemetry.accounting import ENDED_EARLY
    from modelyard.training import launcher
    from modelyard.training.jobs import create_run

    run = create_run(store, churn, "churn", "random_forest", {"n_estimators": 3000})
    proc = launcher.start(store, run.id)
    deadline = time.monotonic() + 90
    while len(system_series(store, run.id).get("system/energy_cpu_wh", [])) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    assert launcher.cancel(store, run.id)
    proc.wait(timeout=30)
    cost = get_run_cost(store, run.id)
    assert cost is not None and cost.status == "cancelled"
    assert cost.notes == (ENDED_EARLY,)
    series = system_series(store, run.id)
    assert cost.energy_wh == pytest.approx(series["system/energy_wh"][-1][1])
    assert cost.energy_wh > 0 and cost.methods["cpu"].startswith("estimated: ")
    from modelyard.telemetry.accounting import record_from_samples

    assert record_from_samples(store, run.id) is None  # recorded once only
    assert get_run_cost(store, run.id) == cost


def test_a_run_still_trains_when_sampling_is_impossible(store, churn, monkeypatch, capsys):
    import psutil

    from modelyard.telemetry import run_monitor
    from tests.conftest import train_in_process

    def refuse(pid):
        raise psutil.AccessDenied(pid)

    monkeypatch.setattr(run_monitor, "ProcessTreeSampler", refuse)
    run = train_in_process(store, churn)
    assert run.status == "finished" and get_run_cost(store, run.id) is None
    assert "Resource sampling is off for this run" in capsys.readouterr().err


def test_two_recorders_of_one_runs_energy_at_once_both_succeed(store, churn):
    """The worker (as it stops) and whoever stopped it may record the energy at the same time."""
    import threading

    from modelyard.training.jobs import create_run

    prices = Prices(price_per_kwh=0.2)
    for _ in range(10):
        run = create_run(store, churn, "churn", "ridge")
        start, errors = threading.Barrier(4), []

        def record(run_id=run.id, start=start, errors=errors):
            start.wait()
            try:
                record_run_energy(store, run_id, REPORT, prices)
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=record) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert get_run_cost(store, run.id).energy_wh == 1000.0
