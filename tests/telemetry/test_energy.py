"""Energy integration, CPU power sources and cost arithmetic against hand-computed values."""

from pathlib import Path

import pytest

from modelyard.errors import InvalidInputError
from modelyard.telemetry.energy import EnergyMeter, trapezoid_wh
from modelyard.telemetry.power import CpuPower, cpu_power, default_tdp, find_rapl
from modelyard.telemetry.prices import Prices, cost_of, validate


def test_trapezoid_over_irregular_samples():
    # (0→2 s: 10→30 W) = 40 J; (2→7 s: 30→20 W) = 125 J; (7→7.5 s: 20→0 W) = 5 J → 170 J
    assert trapezoid_wh([0, 2, 7, 7.5], [10, 30, 20, 0]) == pytest.approx(170 / 3600)
    assert trapezoid_wh([5], [100]) == 0.0
    with pytest.raises(ValueError):
        trapezoid_wh([0, 1], [1])


def test_meter_tdp_model_memory_and_two_gpus_one_missing_a_reading():
    meter = EnergyMeter(CpuPower(method="estimated: TDP 65 W", tdp_w=65.0), n_cores=2)
    # tree CPU 100 % of one core on 2 cores = half the package: 32.5 W; then 200 % = 65 W
    meter.add(0.0, 100.0, 2048, {0: 100.0, 1: 50.0})
    meter.add(3.0, 200.0, 2048, {0: 200.0, 1: None})
    meter.add(4.0, 200.0, 1024, {0: 200.0, 1: 60.0})
    report = meter.report(["a note"])
    cpu_j = 3 * (32.5 + 65) / 2 + 1 * 65  # 146.25 + 65
    mem_j = 3 * 0.75 + 1 * (0.75 + 0.375) / 2  # 2 GB × 0.375 W, then 1 GB
    gpu0_j = 3 * 150 + 200  # GPU 1 has no interval with two readings
    assert report.duration_s == 4.0
    assert report.cpu.wh == pytest.approx(cpu_j / 3600)
    assert report.cpu.method == "estimated: TDP 65 W"
    assert report.memory.wh == pytest.approx(mem_j / 3600)
    assert report.memory.method == "estimated: 0.375 W per GB resident"
    assert report.gpu.wh == pytest.approx(gpu0_j / 3600)
    assert report.gpu.method == "GPU 0 measured: NVML; GPU 1 not counted: no power reading"
    assert report.total_wh == pytest.approx((cpu_j + mem_j + gpu0_j) / 3600)
    assert report.notes == ("a note",)
    assert meter.last_power_w == pytest.approx(65 + 0.375 + 200 + 60)


def test_no_gpu_means_no_gpu_figure():
    meter = EnergyMeter(CpuPower(method="m", tdp_w=10.0), n_cores=1)
    meter.add(0, 50, 0)
    meter.add(2, 50, 0)
    report = meter.report()
    assert report.gpu is None and report.cpu.wh == pytest.approx(10 / 3600)
    assert set(report.methods) == {"cpu", "memory"}


def fake_rapl(root, packages):
    for i, (energy, wrap) in enumerate(packages):
        domain = root / f"intel-rapl:{i}"
        domain.mkdir(parents=True)
        (domain / "energy_uj").write_text(f"{energy}\n")
        (domain / "max_energy_range_uj").write_text(f"{wrap}\n")
        (root / f"intel-rapl:{i}:0").mkdir()  # a sub-domain, not counted again
    return root


def test_rapl_is_measured_apportioned_to_the_tree_and_survives_wrap_around(tmp_path):
    root = fake_rapl(tmp_path / "powercap", [(1_000_000, 10_000_000), (9_000_000, 10_000_000)])
    power = cpu_power(None, root)
    assert power.method == "measured: RAPL" and power.note is None
    meter = EnergyMeter(power, n_cores=2)
    meter.add(0.0, 100.0, 0, machine_cpu_percent=50.0)
    (root / "intel-rapl:0" / "energy_uj").write_text("4000000")  # +3 J
    (root / "intel-rapl:1" / "energy_uj").write_text("1000000")  # wrapped: +2 J
    # the tree used 100 % of one of 2 cores = 50 % of the machine, which was 100 % busy → half
    meter.add(2.0, 100.0, 0, machine_cpu_percent=100.0)
    assert meter.report().cpu.wh == pytest.approx(2.5 / 3600)
    assert meter.last_power_w == pytest.approx(1.25)


def test_unreadable_rapl_falls_back_to_tdp_and_says_why(tmp_path, monkeypatch):
    root = fake_rapl(tmp_path / "powercap", [(1, 10)])
    locked = root / "intel-rapl:0" / "energy_uj"
    real_read = Path.read_text

    def read_text(self, *args, **kwargs):  # as for a non-root user since Linux 5.10
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    reader, reason = find_rapl(root)
    assert reader is None
    assert "permission denied" in reason
    power = cpu_power(42.0, root)
    assert power.tdp_w == 42.0 and power.method.startswith("estimated: TDP 42 W")
    assert "permission denied" in power.note


def test_missing_rapl_uses_the_default_tdp_for_the_cpu_name(tmp_path):
    power = cpu_power(None, tmp_path / "absent")
    assert power.method.startswith("estimated: ") and power.tdp_w > 0
    assert "does not exist" in power.note
    assert default_tdp("Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz")[0] == 65.0
    assert default_tdp("Intel(R) Core(TM) i7-8550U CPU")[0] == 15.0
    assert default_tdp("AMD Ryzen 9 5950X 16-Core Processor")[0] == 105.0
    watts, how = default_tdp("Mystery CPU 3000")
    assert watts == 85.0 and how == "fallback TDP 85 W (no known TDP for 'Mystery CPU 3000')"


def test_cost_arithmetic():
    prices = Prices(
        price_per_kwh=0.25,
        currency="USD",
        amortisation_per_hour=0.5,
        cloud_hourly=3.0,
        carbon_g_per_kwh=400,
    )
    cost = cost_of(energy_wh=120.0, duration_s=1800, prices=prices)
    assert cost.energy_cost == pytest.approx(0.12 * 0.25)
    assert cost.amortisation_cost == pytest.approx(0.25)
    assert cost.total == pytest.approx(0.28)
    assert cost.cloud_equivalent == pytest.approx(1.5)
    assert cost.co2_g == pytest.approx(48.0)
    assert cost_of(1000, 3600, Prices()).cloud_equivalent is None
    assert cost_of(1000, 3600, Prices()).co2_g == 475


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"price_per_kwh": "abc"}, "Electricity price per kWh must be a number, not 'abc'."),
        ({"price_per_kwh": -1}, "Electricity price per kWh must be 0 or more, not -1."),
        ({"price_per_kwh": ""}, "Electricity price per kWh is required."),
        ({"carbon_g_per_kwh": 1e9}, "implausible"),
        ({"currency": "euro dollars"}, "Currency must be a short code"),
        ({"cpu_tdp_w": 0}, "more than 0 W"),
        ({"colour": 1}, "Unknown setting colour"),
    ],
)
def test_bad_prices_are_refused_with_one_sentence(values, message):
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate(values)


def test_prices_accept_text_input_and_empty_optionals():
    prices = validate({"price_per_kwh": " 0,31 ", "cloud_hourly": "", "cpu_tdp_w": "65"})
    assert prices.price_per_kwh == 0.31 and prices.cloud_hourly is None and prices.cpu_tdp_w == 65
