"""Monitoring page: each model version with its alerts; drop new data on one to check it for
drift and decay, see its history, set alert rules and retrain it. Work runs off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from modelyard.errors import ModelyardError
from modelyard.gui import tasks
from modelyard.gui.pages.base import Page, dropped_files
from modelyard.gui.pages.monitoring.panels import AlertsPanel, HistoryPanel, WatchPanel
from modelyard.gui.pages.monitoring.report_view import ReportView
from modelyard.gui.widgets import fill_table, make_table, select_row, selected_key

if TYPE_CHECKING:
    from modelyard.store.entities import ModelVersion

VERSION_HEADERS = ("Model version", "Alerts", "Aliases", "Last check", "Drift")


class MonitoringPage(Page):
    title = "Monitoring"
    empty_title = "No model to watch yet"
    empty_hint = (
        "Register a model first (Runs page → Register model…). Then drop new data on it here to\n"
        "see whether it still fits what the model was trained on, and whether the model still\n"
        "performs; alert rules and retraining close the loop."
    )
    alerts_changed = Signal(int)  # unacknowledged alerts in all
    checked = Signal(object)  # a Check, after it is stored

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.setAcceptDrops(True)
        self.check_file_button = QPushButton("Check file…")
        self.check_file_button.clicked.connect(self.choose_file)
        self.dataset_box = QComboBox()
        self.dataset_box.setMinimumWidth(160)
        self.check_dataset_button = QPushButton("Check dataset")
        self.check_dataset_button.clicked.connect(self.check_dataset)
        self.check_log_button = QPushButton("Check request log…")
        self.check_log_button.clicked.connect(self.choose_log)
        self.labels_button = QPushButton("Import labels…")
        self.labels_button.clicked.connect(self.choose_labels)
        self.report_button = QPushButton("Save report…")
        self.report_button.clicked.connect(self.save_report)
        for widget in (
            self.check_file_button, self.dataset_box, self.check_dataset_button,
            self.check_log_button, self.labels_button, self.report_button,
        ):  # fmt: skip
            self.actions_layout.addWidget(widget)
        self.versions_table = make_table(VERSION_HEADERS)
        self.versions_table.itemSelectionChanged.connect(self._version_changed)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.report_view = ReportView()
        self.history = HistoryPanel()
        self.history.check_chosen.connect(self.show_check)
        self.alerts = AlertsPanel()
        self.alerts.add_rule_requested.connect(self.add_rule)
        self.alerts.remove_rule_requested.connect(self.remove_rule)
        self.alerts.retrain_requested.connect(self.retrain_from_alert)
        self.alerts.acknowledge_requested.connect(self.acknowledge)
        self.watch = WatchPanel()
        self.watch.save_requested.connect(self.save_settings)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.report_view, "Report")
        self.tabs.addTab(self.history, "History")
        self.tabs.addTab(self.alerts, "Alerts and rules")
        self.tabs.addTab(self.watch, "Settings")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Drop a data file on a version to check it:"))
        left_layout.addWidget(self.versions_table, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setSizes([430, 750])
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self.set_content(content)
        self._versions: list[ModelVersion] = []
        self.task: tasks.Task | None = None
        self.current_check = None

    # ---- reading ------------------------------------------------------------------------
    def read(self):
        from modelyard.datasets.service import list_datasets
        from modelyard.monitoring.checks import latest_checks
        from modelyard.monitoring.rules import open_alert_counts
        from modelyard.registry.aliases import all_aliases
        from modelyard.registry.service import list_models

        store = self.store

        def work():
            versions = [v for m in list_models(store) for v in reversed(m.versions)]
            labels = [dv.label for d in list_datasets(store) for dv in reversed(d.versions)]
            return (
                versions,
                open_alert_counts(store),
                all_aliases(store),
                latest_checks(store),
                labels,
            )

        return work

    def show_data(self, data) -> None:
        self._versions, counts, by_version, latest, labels = data
        rows = []
        for v in self._versions:
            last = latest.get(v.id)  # (time, drift share, dataset drift)
            last_text = f"{last[0]:%Y-%m-%d %H:%M}" if last else "never"
            drift = f"{last[1]:.0%}{' drift' if last[2] else ''}" if last else "—"
            alerts = f"⚠ {counts[v.id]}" if counts.get(v.id) else ""
            rows.append((v.label, alerts, ", ".join(by_version.get(v.id, [])), last_text, drift))
        fill_table(self.versions_table, rows, [v.id for v in self._versions])
        chosen = self.dataset_box.currentData()
        self.dataset_box.clear()
        for label in labels:
            self.dataset_box.addItem(label, label)
        if chosen is not None and self.dataset_box.findData(chosen) >= 0:
            self.dataset_box.setCurrentIndex(self.dataset_box.findData(chosen))
        self.show_empty(not self._versions)
        self.alerts_changed.emit(sum(counts.values()))
        self._version_changed()

    def selected_version(self) -> ModelVersion | None:
        key = selected_key(self.versions_table)
        return next((v for v in self._versions if v.id == key), None)

    def select_version(self, version: ModelVersion) -> None:
        for row in range(self.versions_table.rowCount()):
            if self.versions_table.item(row, 0).data(256) == version.id:  # Qt.UserRole
                select_row(self.versions_table, row)

    def _version_changed(self) -> None:
        from modelyard.monitoring.checks import history
        from modelyard.monitoring.rules import list_alerts, list_rules
        from modelyard.monitoring.settings import get_settings

        version = self.selected_version()
        if version is None or self.store is None:
            return
        checks = history(self.store, version)
        if (
            self.current_check is None
            or self.current_check.version != version.version
            or self.current_check.model != version.model_name
        ):
            self.current_check = checks[-1] if checks else None
            self.report_view.show_report(self.current_check.report if self.current_check else None)
        self.history.show_history(checks)
        self.alerts.show_rules(list_rules(self.store, version.model_name))
        self.alerts.show_alerts(list_alerts(self.store, version.model_name))
        self.watch.show_settings(get_settings(self.store, version.model_name))

    def show_check(self, check_id: int) -> None:
        from modelyard.monitoring.checks import get_check

        self.current_check = get_check(self.store, check_id)
        self.report_view.show_report(self.current_check.report)
        self.tabs.setCurrentWidget(self.report_view)

    # ---- checking -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = dropped_files(event)
        if not files:
            return
        event.acceptProposedAction()
        viewport = self.versions_table.viewport()
        point = viewport.mapFrom(self, event.position().toPoint())
        item = self.versions_table.itemAt(point) if viewport.rect().contains(point) else None
        if item is not None:
            select_row(self.versions_table, item.row())
        self.check_path(files[0])

    def check_path(self, path: Path) -> None:
        """A dropped file: labels (an id and a label column) are kept, data is checked."""
        if path.is_dir():
            self.start_check(requests=str(path))
        elif _looks_like_labels(path):
            self.import_labels(path)
        else:
            self.start_check(data=str(path))

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Check data against the model", str(Path.home())
        )
        if path:
            self.start_check(data=path)

    def check_dataset(self) -> None:
        if self.dataset_box.currentData():
            self.start_check(data=self.dataset_box.currentData())

    def choose_log(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "A bundle's request log folder", str(Path.home() / ".modelyard-requests")
        )
        if folder:
            self.start_check(requests=folder)

    def start_check(
        self,
        data: str | None = None,
        requests: str | None = None,
        version: ModelVersion | None = None,
        quiet: bool = False,
    ) -> bool:
        version = version or self.selected_version()
        if version is None or self.task is not None:
            if version is None and not quiet:
                self.message.emit("Pick a model version to check first.", True)
            return False
        store = self.store

        def work(progress):
            from modelyard.monitoring.checks import check
            from modelyard.monitoring.retrain import act_on_alerts

            result = check(store, version, data=data, requests=requests, progress=progress)
            return result, act_on_alerts(store, version, result, progress)

        self._busy(f"Checking {version.label}…")
        self.task = tasks.start(
            work,
            on_success=self._checked,
            on_failure=self._failed,
            on_progress=lambda _f, message: self.status.setText(message + "…"),
            on_finished=self._finished,
        )
        return True

    def _busy(self, text: str) -> None:
        self.status.setText(text)
        for button in (self.check_file_button, self.check_dataset_button, self.check_log_button):
            button.setEnabled(False)

    def _checked(self, outcome) -> None:
        result, lines = outcome
        self.current_check = result
        self.report_view.show_report(result.report)
        self.tabs.setCurrentWidget(self.report_view)
        verdict = "the data drifts" if result.dataset_drift else "no dataset drift"
        text = f"{result.model} v{result.version} on {Path(result.source).name or result.source}: {verdict} ({result.drift_share:.0%} of columns)."
        if result.alert_ids:
            text += (
                f" {len(result.alert_ids)} alert{'s' if len(result.alert_ids) > 1 else ''} raised."
            )
        self.status.setText("\n".join([text, *lines]))
        self.message.emit(text, bool(result.alert_ids))
        self.checked.emit(result)
        self.refresh()

    def _failed(self, message: str) -> None:
        self.status.setText("")
        self.message.emit(message, True)

    def _finished(self) -> None:
        self.task = None
        for button in (self.check_file_button, self.check_dataset_button, self.check_log_button):
            button.setEnabled(True)

    # ---- labels, rules, alerts, settings, reports ----------------------------------------
    def choose_labels(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Labels: a file with id and label columns", str(Path.home())
        )
        if path:
            self.import_labels(Path(path))

    def import_labels(self, path: Path) -> None:
        from modelyard.monitoring.feedback import add_feedback, read_labels

        version = self.selected_version()
        if version is None:
            return
        self._act(
            lambda: (
                f"Kept {add_feedback(self.store, version, read_labels(path)):,} labels for {version.label}; the next check of its request log uses them."
            )
        )

    def _act(self, fn) -> None:
        try:
            text = fn()
        except ModelyardError as exc:
            self.message.emit(str(exc), True)
            return
        self.message.emit(text, False)
        self.refresh()

    def add_rule(self, spec: str) -> None:
        from modelyard.monitoring.rules import add_rule

        version = self.selected_version()
        if version is not None:
            self._act(
                lambda: (
                    f"Rule {add_rule(self.store, version.model_name, spec).spec} added to {version.model_name}."
                )
            )
            self.alerts.spec.clear()

    def remove_rule(self, rule_id: int) -> None:
        from modelyard.monitoring.rules import remove_rule

        version = self.selected_version()
        if version is not None:
            self._act(
                lambda: (
                    remove_rule(self.store, version.model_name, rule_id)
                    or f"Rule {rule_id} removed."
                )
            )

    def acknowledge(self) -> None:
        from modelyard.monitoring.rules import acknowledge

        version = self.selected_version()
        if version is not None:
            self._act(lambda: f"{acknowledge(self.store, version.model_name)} alerts marked seen.")

    def save_settings(self) -> None:
        from modelyard.monitoring.settings import update_settings

        version = self.selected_version()
        if version is not None:
            self._act(
                lambda: (
                    update_settings(self.store, version.model_name, **self.watch.values())
                    and f"Monitoring settings of {version.model_name} saved."
                )
            )

    def save_report(self) -> None:
        from modelyard.monitoring.report_html import write_report

        if self.current_check is None:
            self.message.emit("Check a version first; then its report can be saved.", True)
            return
        name = f"drift-{self.current_check.model}-v{self.current_check.version}.html"
        path, chosen = QFileDialog.getSaveFileName(
            self, "Save report", str(Path.home() / name), "HTML (*.html);;JSON (*.json)"
        )
        if path:
            kind = "json" if path.endswith(".json") or "JSON" in chosen else "html"
            self._act(
                lambda: (
                    write_report(self.current_check.report, Path(path), kind)
                    or f"Report saved to {path}."
                )
            )

    def retrain_from_alert(self, alert_id: int) -> None:
        from modelyard.monitoring.checks import get_check
        from modelyard.monitoring.retrain import labelled_data
        from modelyard.monitoring.rules import get_alert

        version = self.selected_version()
        if version is None or self.task is not None:
            return
        try:
            alert = get_alert(self.store, alert_id)
            check = get_check(self.store, alert.check_id)
            suggested = labelled_data(
                self.store,
                next(
                    v
                    for v in self._versions
                    if v.model_name == alert.model and v.version == alert.version
                ),
                check,
            )
        except (ModelyardError, StopIteration) as exc:
            self.message.emit(str(exc) or "That alert's model version is gone.", True)
            return
        choices = ["the new rows alone", "the new rows merged with the training data"]
        choice, ok = QInputDialog.getItem(
            self,
            "Retrain",
            f"Retrain {alert.model} v{alert.version} on {suggested}:",
            choices,
            0,
            False,
        )
        if ok:
            self.start_retrain(alert, suggested, merge=choice == choices[1])

    def start_retrain(self, alert, data: str, merge: bool, promote: bool = False) -> None:
        store = self.store
        version = next(
            v for v in self._versions if v.model_name == alert.model and v.version == alert.version
        )

        def work(progress):
            from modelyard.monitoring.retrain import retrain

            return retrain(
                store,
                version,
                data,
                merge=merge,
                promote_if_better=promote,
                alert_id=alert.id,
                progress=progress,
            )

        self._busy(f"Retraining {version.label} on {data}…")
        self.task = tasks.start(
            work,
            on_success=lambda result: (
                self.status.setText(result.message),
                self.message.emit(result.message, False),
                self.refresh(),
            ),
            on_failure=self._failed,
            on_progress=lambda _f, message: self.status.setText(message + "…"),
            on_finished=self._finished,
        )


def _looks_like_labels(path: Path) -> bool:
    """A small text file whose header has an id and a label column and nothing more."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return False
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            header = f.readline().strip().lower()
    except OSError:
        return False
    names = {n.strip().strip('"') for n in header.replace("\t", ",").split(",")}
    return names == {"id", "label"}
