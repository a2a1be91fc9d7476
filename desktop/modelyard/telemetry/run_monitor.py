"""Inside a worker: sample the run's own process tree and GPUs about once a second.

Samples are stored with the run as `system/…` metrics while it trains; when it stops, the
integrated energy, cost and CO2 are recorded with the method behind each figure.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import psutil

from modelyard.store import Store
from modelyard.telemetry.accounting import RunCost, record_run_energy
from modelyard.telemetry.energy import EnergyMeter, EnergyReport
from modelyard.telemetry.gpu import GpuMonitor
from modelyard.telemetry.power import cpu_power
from modelyard.telemetry.prices import Prices, load_prices
from modelyard.telemetry.sampler import ProcessTreeSampler
from modelyard.tracking.runs import log_metric_batch


class RunMonitor:
    def __init__(
        self,
        store: Store,
        run_id: int,
        interval: float = 1.0,
        pid: int | None = None,
        gpus: GpuMonitor | None = None,
        prices: Prices | None = None,
        on_budget_stop=None,
    ) -> None:
        """`on_budget_stop()`: how to stop the run's code when its budget runs out (after the
        run is recorded as cancelled with its energy); by default the process ends."""
        self.store = store
        self.on_budget_stop = on_budget_stop
        self.run_id = run_id
        self.interval = interval
        self.prices = prices or load_prices(store)
        self.tree = ProcessTreeSampler(pid or os.getpid())
        self.gpus = gpus if gpus is not None else GpuMonitor()
        power = cpu_power(self.prices.cpu_tdp_w)
        self.notes = [n for n in (power.note,) if n]
        self.meter = EnergyMeter(power, psutil.cpu_count() or 1, self.prices.memory_w_per_gb)
        self.step = 0
        self.write_every_s = 1.0
        self._pending: list[tuple[str, float, int, float]] = []
        self._written = float("-inf")
        self.errors: list[str] = []
        self.budget_every_s = 2.0
        self._budget_checked = float("-inf")
        self._warned = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="run-monitor", daemon=True)
        psutil.cpu_percent()

    def start(self) -> RunMonitor:
        self.sample()
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self, force_write: bool = False) -> None:
        """One reading of the tree and the GPUs it uses, stored as system metrics."""
        t = time.monotonic()
        tree = self.tree.sample()
        machine = psutil.cpu_percent()
        values = {"system/cpu_percent": tree.cpu_percent, "system/memory_mb": tree.memory_mb}
        gpu_power: dict[int, float | None] = {}
        for gpu in self.gpus.read():
            used = {pid: mb for pid, mb in gpu.process_memory_mb.items() if pid in tree.pids}
            if not used:
                continue
            gpu_power[gpu.index] = gpu.power_w
            prefix = f"system/gpu{gpu.index}/"
            if gpu.utilisation_percent is not None:
                values[prefix + "utilisation_percent"] = gpu.utilisation_percent
            values[prefix + "memory_mb"] = sum(used.values())
            if gpu.power_w is not None:
                values[prefix + "power_w"] = gpu.power_w
        self.meter.add(t, tree.cpu_percent, tree.memory_mb, gpu_power, machine)
        values["system/power_w"] = self.meter.last_power_w
        report = self.meter.report()
        values["system/energy_wh"] = report.total_wh
        values["system/energy_cpu_wh"] = report.cpu.wh
        values["system/energy_memory_wh"] = report.memory.wh
        if report.gpu is not None:
            values["system/energy_gpu_wh"] = report.gpu.wh
        self._pending += [(k, v, self.step, tree.time) for k, v in values.items()]
        self.step += 1
        if force_write or t - self._written >= self.write_every_s:
            self.flush()
        if not force_write and t - self._budget_checked >= self.budget_every_s:
            self._budget_checked = t
            self.check_budget()

    def check_budget(self) -> None:
        """Warn once at 80% of the experiment's budget; at 100% with auto-stop, stop this run."""
        from modelyard.telemetry.budgets import status_for_run

        try:
            status = status_for_run(self.store, self.run_id, self.prices)
        except Exception as exc:  # noqa: BLE001 - a busy store must not stop the training
            self.errors.append(str(exc))
            return
        if status is None or status.state in ("ok", "no budget"):
            return
        if status.state == "exceeded" and status.experiment.budget_auto_stop:
            self._stop_for_budget(status)
        elif not self._warned:
            self._warned = True
            print(f"Budget warning: {status.describe()}", file=sys.stderr, flush=True)

    def _stop_for_budget(self, status) -> None:
        """Record the run as cancelled with the reason and its energy, then end this worker."""
        from modelyard.tracking.runs import fail

        message = f"Stopped: {status.describe()}"
        print(message, file=sys.stderr, flush=True)
        if not fail(self.store, self.run_id, message, status="cancelled"):
            return
        self._stop.set()
        self.sample(force_write=True)
        try:
            record_run_energy(self.store, self.run_id, self.report(), self.prices)
        except Exception as exc:  # noqa: BLE001 - stopping matters more than the bill
            print(f"Could not record the run's energy: {exc}", file=sys.stderr)
        finally:
            self.gpus.close()
        (self.on_budget_stop or self._end_process)()

    def _end_process(self) -> None:
        self.store.close()
        sys.stdout.flush()
        os._exit(3)  # the training itself cannot be interrupted more gently

    def flush(self) -> None:
        """Store the pending samples in one transaction (about once a second at any rate)."""
        self._written = time.monotonic()
        rows, self._pending = self._pending, []
        if not rows:
            return
        try:
            log_metric_batch(self.store, self.run_id, rows)
        except Exception as exc:  # noqa: BLE001 - a busy store must not stop the training
            self.errors.append(str(exc))

    def report(self) -> EnergyReport:
        return self.meter.report(self.notes + self.gpus.notes)

    def stop(self) -> RunCost | None:
        """Take a last sample, record energy, cost and CO2; None if the store refused."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.sample(force_write=True)
        self.gpus.close()
        try:
            return record_run_energy(self.store, self.run_id, self.report(), self.prices)
        except Exception as exc:  # noqa: BLE001 - the run's result matters more than its bill
            print(f"Could not record the run's energy: {exc}", file=sys.stderr)
            return None


def start_monitor(store: Store, run_id: int, on_budget_stop=None) -> RunMonitor | None:
    """The worker's monitor; a machine where sampling fails still trains, and says why."""
    try:
        return RunMonitor(store, run_id, on_budget_stop=on_budget_stop).start()
    except Exception as exc:  # noqa: BLE001 - measuring must never stop the training
        print(f"Resource sampling is off for this run: {exc}", file=sys.stderr)
        return None


def stop_monitor(monitor: RunMonitor | None) -> None:
    if monitor is None:
        return
    cost = monitor.stop()
    if cost is not None:
        print("\n".join(cost.describe()))
