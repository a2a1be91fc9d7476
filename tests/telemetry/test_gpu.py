"""The NVML boundary with a fake device object: every way a GPU reading can go missing."""

from modelyard.telemetry.gpu import GpuMonitor
from tests.telemetry.fake_nvml import FakeGpu, FakeNvml


def test_no_nvml_library_on_this_machine_gives_no_gpus_and_one_note():
    monitor = GpuMonitor()  # the real pynvml: this machine has no NVIDIA driver
    assert not monitor.available
    assert monitor.read() == []
    assert len(monitor.notes) == 1
    assert monitor.notes[0].startswith("No GPU readings: NVML is not available")


def test_nvml_library_missing_is_said_once():
    monitor = GpuMonitor(FakeNvml(init_error="NVML Shared Library Not Found"))
    monitor.read()
    monitor.read()
    assert monitor.notes == [
        "No GPU readings: NVML is not available (NVML Shared Library Not Found)."
    ]


def test_two_gpus_are_read_with_units_converted():
    nvml = FakeNvml(
        [
            FakeGpu("A", util=30, used_mb=2048, power_mw=150_500, temp=70, processes=[(11, 512)]),
            FakeGpu("B", util=90, used_mb=100, power_mw=75_000, temp=55),
        ]
    )
    monitor = GpuMonitor(nvml)
    assert monitor.names == ["GPU 0: A", "GPU 1: B"]
    a, b = monitor.read()
    assert (a.index, a.utilisation_percent, a.memory_used_mb, a.memory_total_mb) == (
        0,
        30,
        2048,
        8192,
    )
    assert a.power_w == 150.5 and a.temperature_c == 70
    assert a.process_memory_mb == {11: 512}
    assert (b.index, b.power_w, b.utilisation_percent) == (1, 75.0, 90)
    assert monitor.notes == []
    monitor.close()
    assert nvml.shutdowns == 1


def test_power_without_permission_leaves_the_other_readings_and_is_noted_once():
    monitor = GpuMonitor(FakeNvml([FakeGpu("A", fail={"power"})]))
    for _ in range(3):
        (reading,) = monitor.read()
        assert reading.power_w is None
        assert reading.utilisation_percent == 50 and reading.temperature_c == 60
    assert monitor.notes == [
        "GPU 0 (A): no power reading (insufficient Permissions); it is left out."
    ]


def test_one_gpu_failing_leaves_the_other_complete():
    monitor = GpuMonitor(
        FakeNvml(
            [FakeGpu("A", fail={"utilisation", "memory", "power", "temperature"}), FakeGpu("B")]
        )
    )
    a, b = monitor.read()
    assert a.utilisation_percent is a.memory_used_mb is a.power_w is a.temperature_c is None
    assert b.utilisation_percent == 50 and b.power_w == 120.0 and b.memory_used_mb == 1024
    assert len(monitor.notes) == 4 and all(n.startswith("GPU 0 (A)") for n in monitor.notes)
