"""Plain, immutable records handed out by the store; never ORM rows, never bound to a session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelyard.store import models

TERMINAL_STATUSES = ("finished", "failed", "cancelled")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # integer, float, boolean, categorical, text, datetime
    nullable: bool
    n_unique: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "nullable": self.nullable,
            "n_unique": self.n_unique,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Column:
        return cls(data["name"], data["kind"], bool(data["nullable"]), int(data["n_unique"]))


@dataclass(frozen=True)
class DatasetVersion:
    id: int
    dataset_name: str
    version: int
    content_hash: str
    source_name: str
    source_size: int
    n_rows: int
    n_cols: int
    columns: tuple[Column, ...]
    created_at: datetime

    @property
    def label(self) -> str:
        return f"{self.dataset_name}:{self.version}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @classmethod
    def from_row(cls, row: models.DatasetVersion) -> DatasetVersion:
        return cls(
            id=row.id,
            dataset_name=row.dataset.name,
            version=row.version,
            content_hash=row.content_hash,
            source_name=row.source_name,
            source_size=row.source_size,
            n_rows=row.n_rows,
            n_cols=row.n_cols,
            columns=tuple(Column.from_json(c) for c in row.columns),
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class Dataset:
    id: int
    name: str
    versions: tuple[DatasetVersion, ...]

    @property
    def latest(self) -> DatasetVersion | None:
        return self.versions[-1] if self.versions else None


DEFAULT_EXPERIMENT = "Default"


SOURCES = ("trainer", "script", "sdk")


@dataclass(frozen=True)
class Run:
    id: int
    dataset: DatasetVersion | None  # None for a script or SDK run that named no dataset
    target: str | None
    task: str | None
    model_kind: str
    params: dict[str, Any]
    seed: int
    status: str
    error: str | None
    model_blob: str | None
    signature: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    pid: int | None = None
    pid_started_at: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    experiment: str = DEFAULT_EXPERIMENT
    name: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    notes: str | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    sweep_id: int | None = None
    trial: int | None = None
    source: str = "trainer"
    command: dict[str, Any] | None = None
    resource: str | None = None
    queued_at: datetime | None = None
    executor: str | None = None
    host: str | None = None
    worker: str | None = None
    attempts: int = 0

    @property
    def where(self) -> str:
        """Where it executed, in a few words: "this machine (host)" or "tcp://… worker …"."""
        if self.executor in (None, "local"):
            return f"this machine ({self.host})" if self.host else ""
        parts = [self.executor, f"on {self.host}" if self.host else "", self.worker or ""]
        return " ".join(p for p in parts if p)

    @property
    def on_cluster(self) -> bool:
        return self.executor not in (None, "local")

    @property
    def label(self) -> str:
        return f"run {self.id}" + (f" ({self.name})" if self.name else "")

    @property
    def dataset_label(self) -> str:
        return self.dataset.label if self.dataset is not None else ""

    @property
    def what(self) -> str:
        """One line on what the run does: its trainer and data, or its script."""
        if self.source == "script" and self.command:
            return f"script {self.command.get('script_name') or self.command.get('script')}"
        if self.dataset is None:
            return (
                f"{self.model_kind} (logged from {'a script' if self.source == 'sdk' else 'code'})"
            )
        return f"{self.model_kind} on {self.dataset.label}"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.ended_at or models.utcnow()
        return (end - self.started_at).total_seconds()

    @classmethod
    def from_row(cls, row: models.Run) -> Run:
        return cls(
            id=row.id,
            dataset=(
                DatasetVersion.from_row(row.dataset_version)
                if row.dataset_version is not None
                else None
            ),
            target=row.target,
            task=row.task,
            model_kind=row.model_kind,
            params=dict(row.params),
            seed=row.seed,
            status=row.status,
            error=row.error,
            model_blob=row.model_blob,
            signature=row.signature,
            created_at=row.created_at,
            started_at=row.started_at,
            ended_at=row.ended_at,
            pid=row.pid,
            pid_started_at=row.pid_started_at,
            metrics=dict(row.summary or {}),
            experiment=row.experiment.name if row.experiment else DEFAULT_EXPERIMENT,
            name=row.name,
            tags=dict(row.tags or {}),
            notes=row.notes,
            environment=dict(row.environment or {}),
            sweep_id=row.sweep_id,
            trial=row.trial,
            source=row.source or "trainer",
            command=dict(row.command) if row.command else None,
            resource=row.resource,
            queued_at=row.queued_at,
            executor=row.executor,
            host=row.host,
            worker=row.worker,
            attempts=row.attempts or 0,
        )


@dataclass(frozen=True)
class Artifact:
    run_id: int
    path: str
    blob: str
    size: int
    created_at: datetime


@dataclass(frozen=True)
class ModelVersion:
    id: int
    model_name: str
    version: int
    run_id: int
    blob: str
    format: str
    signature: dict[str, Any]
    metrics: dict[str, float]
    model_kind: str
    task: str
    dataset: DatasetVersion | None  # None for a model logged from a script without a dataset
    created_at: datetime

    @property
    def label(self) -> str:
        return f"{self.model_name} v{self.version}"

    @classmethod
    def from_row(cls, row: models.ModelVersion) -> ModelVersion:
        return cls(
            id=row.id,
            model_name=row.model.name,
            version=row.version,
            run_id=row.run_id,
            blob=row.blob,
            format=row.format,
            signature=dict(row.signature),
            metrics=dict(row.metrics),
            # a script's run may log several models: each version keeps its own kind and task
            model_kind=row.signature.get("kind") or row.run.model_kind,
            task=row.signature.get("task") or row.run.task or "",
            dataset=(
                DatasetVersion.from_row(row.run.dataset_version)
                if row.run.dataset_version is not None
                else None
            ),
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class Deployment:
    id: int
    model_version: ModelVersion
    path: str
    n_files: int
    size: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Deployment) -> Deployment:
        return cls(
            id=row.id,
            model_version=ModelVersion.from_row(row.model_version),
            path=row.path,
            n_files=row.n_files,
            size=row.size,
            created_at=row.created_at,
        )
