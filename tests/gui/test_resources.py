"""Resources, Costs and Settings pages, the status-bar indicator, and a run's system panel."""

import csv
import os
import threading

from modelyard.gui import charts
from modelyard.gui.pages.resources.page import ResourcesPage
from modelyard.gui.widgets import cell_under
from modelyard.telemetry.gpu import GpuMonitor
from modelyard.telemetry.machine import MachineMonitor, RunProcess
from modelyard.telemetry.prices import load_prices
from tests.telemetry.fake_nvml import FakeGpu, FakeNvml


def test_live_charts_receive_samples_and_the_window_stays_responsive(window, qtbot, monkeypatch):
    # Responsiveness by construction, not by the clock (benchmarks/gui_stalls.py times it):
    # every sample is taken on a thread other than the GUI's.
    sampled_on = []
    real_sample = MachineMonitor.sample

    def sample(self, *args, **kwargs):
        sampled_on.append(threading.get_ident())
        return real_sample(self, *args, **kwargs)

    monkeypatch.setattr(MachineMonitor, "sample", sample)
    window.start_resource_feed(interval_ms=150)
    window.show_page(window.resources_page)
    page = window.resources_page
    qtbot.waitUntil(lambda: page.point_count("cpu/total") >= 4, timeout=20000)
    assert not page.is_empty_shown
    assert page.point_count("cpu/core 0") >= 4 and page.point_count("memory/memory used") >= 4
    assert "gpu0" not in page.plots  # no NVML on this machine: no GPU charts
    assert window.resource_indicator.text().startswith("CPU ")
    assert "NVML" in page.notes.text()
    page.window_box.setCurrentIndex(1)
    assert page.plots["cpu"].viewRange()[0][0] == -3600
    assert sampled_on and threading.get_ident() not in sampled_on


def test_gpu_charts_and_run_usage_appear_with_nvml(qtbot):
    me = os.getpid()
    nvml = FakeNvml([FakeGpu("A", processes=[(me, 300)]), FakeGpu("B", fail={"power"})])
    monitor = MachineMonitor(GpuMonitor(nvml))
    qtbot.waitUntil(charts.ready, timeout=30000)
    page = ResourcesPage()
    qtbot.addWidget(page)
    page.show()
    for _ in range(3):
        page.add_snapshot(monitor.sample([RunProcess(7, "run 7: test", me)]))
    assert {"gpu0", "gpu1", "gpu0power", "gpu1power"} <= set(page.plots)
    assert page.point_count("gpu0/utilisation %") == 3
    assert page.point_count("gpu0power/power") == 3
    assert page.point_count("gpu1power/power") == 0  # no permission: no invented readings
    assert page.runs_table.rowCount() == 1
    assert page.runs_table.item(0, 0).text() == "run 7: test"
    assert page.runs_table.item(0, 4).text() == "300 MB"
    assert "GPU 1 (B): no power reading" in page.notes.text()
    assert "No run is training" not in page.notes.text()
    page.add_snapshot(monitor.sample([]))
    assert page.runs_table.rowCount() == 0 and "No run is training" in page.notes.text()


def test_settings_page_validates_and_saves_to_the_store(window, store, qtbot):
    page = window.settings_page
    window.show_page(page)
    assert page.fields["carbon_g_per_kwh"].text() == "475"
    page.fields["price_per_kwh"].setText("-3")
    assert not page.save()
    assert "must be 0 or more" in window.banner.label.text()
    assert load_prices(store).price_per_kwh == 0.30
    page.fields["price_per_kwh"].clear()
    qtbot.keyClicks(page.fields["price_per_kwh"], "0.42")
    window.refresh_current()  # a store change while typing keeps what was typed
    assert page.fields["price_per_kwh"].text() == "0.42"
    page.fields["currency"].setText("USD")
    page.fields["cloud_hourly"].setText("1.5")
    assert page.save()
    prices = load_prices(store)
    assert (prices.price_per_kwh, prices.currency, prices.cloud_hourly) == (0.42, "USD", 1.5)


def test_settings_page_sets_how_many_runs_train_at_once(window, store):
    from modelyard.training.queue import load_limits

    page = window.settings_page
    window.show_page(page)
    assert page.cpu_runs.text() == str(load_limits(store).cpu_runs)
    page.cpu_runs.setText("three")
    page.fields["currency"].setText("GBP")
    assert not page.save()
    assert "CPU runs at a time must be a whole number" in page.status.text()
    assert load_prices(store).currency != "GBP"  # nothing saved when one value is wrong
    page.cpu_runs.setText("3")
    assert page.save()
    assert load_limits(store, gpus=0).cpu_runs == 3 and load_prices(store).currency == "GBP"


def test_costs_page_and_run_panel_show_a_finished_runs_energy(
    window, store, finished_run, tmp_path, qtbot
):
    from modelyard.registry.service import register
    from modelyard.telemetry.accounting import get_run_cost

    cost = get_run_cost(store, finished_run.id)
    register(store, finished_run.id, "churner")
    page = window.costs_page
    window.show_page(page)
    assert not page.is_empty_shown
    assert page.table.rowCount() == 1 and page.table.item(0, 0).text() == str(finished_run.id)
    assert page.table.item(0, 2).text() == "churner:1"
    assert cell_under(page.table, "Registered as") == "churner:1"
    assert cell_under(page.table, "Time").endswith(" s")
    assert cell_under(page.table, "Energy").endswith("Wh")
    assert cell_under(page.table, "CO2").endswith("g") and "e-" not in cell_under(page.table, "CO2")
    assert "e-" not in cell_under(page.table, "Cost")
    assert ":" in cell_under(page.table, "How measured")
    qtbot.waitUntil(lambda: "per_run" in page.plots, timeout=30000)
    assert page.chart_heights("per_run") == [cost.cost]
    assert page.chart_heights("cumulative") == [cost.cost]
    page.export_to(tmp_path / "c.csv")
    assert [r["run"] for r in csv.DictReader((tmp_path / "c.csv").open())] == [str(finished_run.id)]
    assert "Exported 1 run costs" in window.banner.label.text()

    window.show_page(window.runs_page)
    qtbot.waitUntil(lambda: window.runs_page.model.rowCount() == 1)
    window.runs_page.select_run(finished_run.id)
    detail = window.runs_page.detail
    detail.setCurrentWidget(detail.system_panel)
    panel = window.runs_page.system_panel
    qtbot.waitUntil(lambda: "energy" in panel.summary.text(), timeout=10000)
    assert "estimated:" in panel.summary.text()
    qtbot.waitUntil(lambda: "system/memory_mb" in panel.curves, timeout=30000)
    xs, _ = panel.curves["system/memory_mb"].getData()
    assert len(xs) >= 2


def test_money_and_quantities_read_without_scientific_notation():
    from modelyard.gui.pages.costs.page import money, scaled

    assert money(3.49e-05, "EUR") == "0.000035 EUR" and money(1234.5, "EUR") == "1,234.50 EUR"
    assert scaled(0.0123, "Wh") == "12.3 mWh" and scaled(1534, "Wh") == "1.53 kWh"
    assert scaled(0, "g") == "0 g"


def test_settings_page_chooses_the_python_for_user_scripts(window, store, tmp_path):
    import sys

    from modelyard.training.launcher import script_python

    page = window.settings_page
    window.show_page(page)
    assert page.script_python.text() == "" and script_python(store) is None
    page.script_python.setText(str(tmp_path / "no-python"))
    assert not page.save()
    assert "not a Python interpreter" in page.status.text() and script_python(store) is None
    page.script_python.setText(sys.executable)
    assert page.save() and script_python(store) == sys.executable
    page.script_python.setText("")
    assert page.save() and script_python(store) is None


def test_theme_choice_applies_at_once_and_is_kept(window, qapp):
    from modelyard.gui import theme

    page = window.settings_page
    window.show_page(page)
    page.theme_box.setCurrentIndex(page.theme_box.findData("dark"))
    assert theme.chosen() == "dark" and "#111820" in qapp.styleSheet()
    page.theme_box.setCurrentIndex(page.theme_box.findData("light"))
    assert theme.chosen() == "light" and "#1f2933" in qapp.styleSheet()
