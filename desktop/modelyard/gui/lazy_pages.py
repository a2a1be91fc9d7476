"""The sidebar's pages, each imported and built the first time it is shown or asked for.

Building all ten pages (and importing what they need: SQLAlchemy queries, charts, the runs
model) at start-up doubled the time to first paint as pages were added; a page the user never
opens now costs nothing. Until it is built, its place in the stack holds an empty widget.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QStackedWidget, QWidget

if TYPE_CHECKING:
    from modelyard.gui.pages.base import Page

# (window attribute, sidebar title, module, class) in sidebar order
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("datasets_page", "Datasets", "datasets.page", "DatasetsPage"),
    ("runs_page", "Runs", "runs.page", "RunsPage"),
    ("sweeps_page", "Sweeps", "sweeps.page", "SweepsPage"),
    ("models_page", "Models", "models.page", "ModelsPage"),
    ("evaluation_page", "Evaluation", "evaluation.page", "EvaluationPage"),
    ("deployments_page", "Deployments", "deployments.page", "DeploymentsPage"),
    ("monitoring_page", "Monitoring", "monitoring.page", "MonitoringPage"),
    ("resources_page", "Resources", "resources.page", "ResourcesPage"),
    ("costs_page", "Costs", "costs.page", "CostsPage"),
    ("settings_page", "Settings", "settings.page", "SettingsPage"),
)
TITLES = [title for _, title, _, _ in PAGES]
ATTRIBUTES = [attribute for attribute, _, _, _ in PAGES]


class LazyPages:
    def __init__(self, stack: QStackedWidget, on_built: Callable[[str, Page], None]) -> None:
        self.stack = stack
        self._on_built = on_built
        self._built: dict[int, Page] = {}
        for _ in PAGES:
            stack.addWidget(QWidget())

    def index(self, attribute: str) -> int:
        return ATTRIBUTES.index(attribute)

    def is_built(self, attribute: str) -> bool:
        return self.index(attribute) in self._built

    def get(self, index: int) -> Page:
        page = self._built.get(index)
        if page is None:
            attribute, _title, module, cls = PAGES[index]
            page = getattr(import_module(f"modelyard.gui.pages.{module}"), cls)()
            placeholder = self.stack.widget(index)
            current = self.stack.currentIndex()
            self.stack.insertWidget(index, page)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self.stack.setCurrentIndex(current)
            self._built[index] = page
            self._on_built(attribute, page)
        return page

    def built(self) -> list[Page]:
        return [self._built[i] for i in sorted(self._built)]

    def all(self) -> list[Page]:
        return [self.get(i) for i in range(len(PAGES))]
