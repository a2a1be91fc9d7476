"""`modelyard resources`, `cost` and `prices` in real subprocesses, with a real worker."""

import csv

import pytest

from tests.cli.test_cli import modelyard, ok
from tests.conftest import store_snapshot

pytestmark = pytest.mark.slow


def test_resources_once_prints_one_sample(home):
    out = ok(modelyard("resources", "--once", home=home))
    assert "CPU" in out and "memory" in out and "disk" in out and "net" in out
    assert "no runs are training" in out
    assert "NVML" in out  # no GPU here: said once, plainly
    result = modelyard("resources", "--once", "--interval", "0", home=home)
    assert result.returncode == 1 and "--interval must be more than 0" in result.stderr


def test_prices_and_cost_of_a_worker_run(home, sample_csv, tmp_path, store):
    out = ok(modelyard("prices", "--set", "price_per_kwh=0.5", "--set", "currency=USD", home=home))
    assert "0.5" in out and "USD" in out
    before = store_snapshot(store)
    bad = modelyard("prices", "--set", "carbon_g_per_kwh=lots", home=home)
    assert bad.returncode == 1
    assert bad.stderr == "error: Carbon intensity (g CO2 per kWh) must be a number, not 'lots'.\n"
    assert store_snapshot(store) == before

    ok(modelyard("import", sample_csv, home=home))
    ok(
        modelyard(
            "train",
            "--dataset",
            "customer_churn",
            "--target",
            "churn",
            "--model",
            "logistic_regression",
            "--wait",
            home=home,
        )
    )
    shown = ok(modelyard("runs", "show", "latest", home=home))
    assert "energy" in shown and "cost" in shown and "USD" in shown and "estimated:" in shown

    from modelyard.telemetry.accounting import list_run_costs, system_series

    [cost] = list_run_costs(store)
    assert cost.currency == "USD" and cost.energy_wh > 0
    assert cost.cost == pytest.approx(cost.energy_wh / 1000 * 0.5)
    assert system_series(store, cost.run_id)["system/memory_mb"][0][1] > 10

    table = ok(modelyard("cost", home=home))
    assert "total:" in table and "USD" in table
    ok(modelyard("register", "--run", "latest", "--name", "churner", home=home))
    assert "churner:1" in ok(modelyard("cost", "--model", "churner", home=home))
    assert "-W" in ok(modelyard("cost", "--by", "week", home=home))
    ok(modelyard("cost", "--csv", tmp_path / "c.csv", home=home))
    [row] = list(csv.DictReader((tmp_path / "c.csv").open()))
    assert row["currency"] == "USD" and float(row["energy_wh"]) == pytest.approx(
        cost.energy_wh, rel=1e-3
    )
    missing = modelyard("cost", "--csv", tmp_path / "nope" / "c.csv", home=home)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
