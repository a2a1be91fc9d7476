"""Resources page: the machine live, in rolling charts, and what each running run uses."""

from __future__ import annotations

from collections import deque

from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from modelyard.gui.pages.base import Page
from modelyard.gui.widgets import fill_table, make_table

WINDOWS = (("Last 5 minutes", 300), ("Last hour", 3600))
HISTORY = 3600 * 2  # samples kept: an hour at 2 Hz


class ResourcesPage(Page):
    title = "Resources"
    always_filled = True  # nothing for the user to fill: the empty-state test skips it
    empty_title = "Waiting for the first sample"
    empty_hint = "Machine readings appear here within a second."

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.window_box = QComboBox()
        for label, seconds in WINDOWS:
            self.window_box.addItem(label, seconds)
        self.window_box.currentIndexChanged.connect(lambda _i: self.redraw())
        self.actions_layout.addWidget(self.window_box)
        self.snapshots: deque = deque(maxlen=HISTORY)
        self.curves: dict[str, object] = {}
        self.plots: dict[str, object] = {}
        self._gpu_count = 0
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setObjectName("emptyHint")
        self.notes.setMinimumHeight(3 * self.notes.fontMetrics().height())
        self._grid = QGridLayout()
        self.runs_table = make_table(("Run", "PID", "CPU (% of a core)", "Memory", "GPU memory"))
        self.runs_table.setMinimumHeight(70)
        self.runs_table.setMaximumHeight(120)
        self._layout.addWidget(QLabel("What the running runs use (worker and its child processes)"))
        self._layout.addWidget(self.runs_table)
        self._layout.addWidget(self.notes)
        self._layout.addLayout(self._grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.set_content(scroll)

    @property
    def window_seconds(self) -> int:
        return int(self.window_box.currentData())

    def load(self) -> None:
        self.redraw()

    def _build_charts(self) -> None:
        from modelyard.gui.charts import add_line, make_plot

        snap = self.snapshots[-1]
        specs = [
            (
                "cpu",
                "CPU",
                "%",
                ["total"] + [f"core {i}" for i in range(len(snap.system.per_core))],
            ),
            ("memory", "Memory and swap", "MB", ["memory used", "swap used"]),
            ("disk", "Disk throughput", "MB/s", ["read", "write"]),
            ("net", "Network throughput", "MB/s", ["received", "sent"]),
        ]
        for gpu in snap.gpus:
            specs.append(
                (
                    f"gpu{gpu.index}",
                    f"GPU {gpu.index}: {gpu.name}",
                    "% / °C",
                    ["utilisation %", "memory %", "temperature °C"],
                )
            )
            specs.append((f"gpu{gpu.index}power", f"GPU {gpu.index} power", "W", ["power"]))
        self._gpu_count = len(snap.gpus)
        for n, (key, title, unit, lines) in enumerate(specs):
            plot = make_plot(title, unit)
            plot.setFixedHeight(230)
            plot.setLabel("bottom", "seconds ago")
            if key == "cpu" or key.startswith("gpu") and not key.endswith("power"):
                plot.setYRange(0, 105 if key == "cpu" else 110, padding=0)
            else:
                plot.setLimits(yMin=0)
            plot.setXRange(-self.window_seconds, 0)
            self.plots[key] = plot
            for i, line in enumerate(lines):
                self.curves[f"{key}/{line}"] = add_line(plot, line, i, 2.2 if i == 0 else 1.0)
            self._grid.addWidget(plot, n // 2, n % 2)

    def add_snapshot(self, snapshot) -> None:
        first = not self.snapshots
        self.snapshots.append(snapshot)
        if first:
            self.show_empty(False)
        if self.isVisible():
            self.redraw()

    def _series(self, value) -> tuple[list[float], list[float]]:
        now = self.snapshots[-1].system.time
        xs, ys = [], []
        for snap in self.snapshots:
            age = snap.system.time - now
            if age < -self.window_seconds:
                continue
            y = value(snap)
            if y is not None:
                xs.append(age)
                ys.append(y)
        return xs, ys

    def redraw(self) -> None:
        if not self.snapshots:
            return
        if not self.curves:
            from modelyard.gui.charts import ready

            if not ready():  # charts appear with the next sample, once pyqtgraph is loaded
                return
            self._build_charts()
        series = {
            "cpu/total": lambda s: s.system.cpu_percent,
            "memory/memory used": lambda s: s.system.memory_used_mb,
            "memory/swap used": lambda s: s.system.swap_used_mb,
            "disk/read": lambda s: s.system.disk_read_mb_s,
            "disk/write": lambda s: s.system.disk_write_mb_s,
            "net/received": lambda s: s.system.net_recv_mb_s,
            "net/sent": lambda s: s.system.net_sent_mb_s,
        }
        for i in range(len(self.snapshots[-1].system.per_core)):
            series[f"cpu/core {i}"] = lambda s, i=i: (
                s.system.per_core[i] if i < len(s.system.per_core) else None
            )
        for g in range(self._gpu_count):
            series[f"gpu{g}/utilisation %"] = lambda s, g=g: _gpu(s, g, "utilisation_percent")
            series[f"gpu{g}/memory %"] = lambda s, g=g: _gpu_memory_percent(s, g)
            series[f"gpu{g}/temperature °C"] = lambda s, g=g: _gpu(s, g, "temperature_c")
            series[f"gpu{g}power/power"] = lambda s, g=g: _gpu(s, g, "power_w")
        for key, value in series.items():
            curve = self.curves.get(key)
            if curve is not None:
                curve.setData(*self._series(value))
        for plot in self.plots.values():
            plot.setXRange(-self.window_seconds, 0, padding=0)
        self._show_runs(self.snapshots[-1])

    def _show_runs(self, snapshot) -> None:
        rows = [
            (
                u.label,
                u.pid,
                f"{u.cpu_percent:.0f}%",
                f"{u.memory_mb:,.0f} MB",
                "n/a" if u.gpu_memory_mb is None else f"{u.gpu_memory_mb:,.0f} MB",
            )
            for u in snapshot.runs
        ]
        fill_table(self.runs_table, rows, [u.run_id for u in snapshot.runs], select_first=False)
        notes = list(snapshot.notes)
        if not snapshot.runs:
            notes.insert(0, "No run is training; start one to see what it uses.")
        self.notes.setText("\n".join(notes))

    def point_count(self, key: str) -> int:
        curve = self.curves.get(key)
        if curve is None:
            return 0
        xs, _ = curve.getData()
        return 0 if xs is None else len(xs)


def _gpu(snapshot, index: int, attribute: str):
    for gpu in snapshot.gpus:
        if gpu.index == index:
            return getattr(gpu, attribute)
    return None


def _gpu_memory_percent(snapshot, index: int):
    used, total = _gpu(snapshot, index, "memory_used_mb"), _gpu(snapshot, index, "memory_total_mb")
    return 100.0 * used / total if used is not None and total else None
