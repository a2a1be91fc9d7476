"""The store's tables, as SQLAlchemy 2.0 typed ORM classes.

Only store-side code touches these; the rest of Modelyard gets plain entity objects
(``modelyard.store.entities``) so that no session ever leaks out of the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset", order_by="DatasetVersion.version"
    )


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    source_name: Mapped[str] = mapped_column(String(500))
    source_size: Mapped[int]
    n_rows: Mapped[int]
    n_cols: Mapped[int]
    columns: Mapped[list[Any]]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))
    # a version made by merging new rows into another dataset's version (retraining)
    merged_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("dataset_versions.id", name="fk_dataset_versions_merged_from_id")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="versions")


class Experiment(Base):
    """A named group of runs, with an optional energy or money budget."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    budget_kwh: Mapped[float | None] = mapped_column(Float)
    budget_money: Mapped[float | None] = mapped_column(Float)
    budget_auto_stop: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sweep(Base):
    """A hyperparameter search: Optuna asks, each trial trains as a run in its own worker."""

    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"))
    dataset_version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"))
    target: Mapped[str] = mapped_column(String(500))
    task: Mapped[str] = mapped_column(String(20))
    space: Mapped[dict[str, Any]]
    sampler: Mapped[str] = mapped_column(String(20))
    n_trials: Mapped[int]
    parallel: Mapped[int]
    metric: Mapped[str] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(10))
    seed: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    executor: Mapped[str | None] = mapped_column(String(200))  # None/"local" or a scheduler


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiments.id", name="fk_runs_experiment_id"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[dict[str, Any] | None]
    notes: Mapped[str | None] = mapped_column(Text)
    environment: Mapped[dict[str, Any] | None]
    sweep_id: Mapped[int | None] = mapped_column(
        ForeignKey("sweeps.id", name="fk_runs_sweep_id"), index=True
    )
    trial: Mapped[int | None]
    # trainer: a built-in trainer; script: a user's script started by Modelyard; sdk: a run a
    # script or notebook opened itself with modelyard.start_run
    source: Mapped[str] = mapped_column(String(20), server_default="trainer")
    command: Mapped[dict[str, Any] | None]  # a script run's script, arguments and folder
    dataset_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))
    target: Mapped[str | None] = mapped_column(String(500))
    task: Mapped[str | None] = mapped_column(String(20))
    model_kind: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]]
    seed: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None]
    pid_started_at: Mapped[float | None] = mapped_column(Float)
    # the latest value of every result metric, kept by each writer: the runs table reads this
    # instead of the metric history
    summary: Mapped[dict[str, Any] | None]
    queued_at: Mapped[datetime | None]  # submitted to the worker queue
    resource: Mapped[str | None] = mapped_column(String(20))  # "cpu" or "gpu:N", once dispatched
    dispatched_at: Mapped[datetime | None]
    # where it executed: "local" or the Dask scheduler's address, the machine's name, the Dask
    # worker's address; attempts counts starts on a cluster (a lost worker's run may get two)
    executor: Mapped[str | None] = mapped_column(String(200))
    host: Mapped[str | None] = mapped_column(String(255))
    worker: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int | None]
    model_blob: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    dataset_version: Mapped[DatasetVersion | None] = relationship()
    experiment: Mapped[Experiment | None] = relationship()
    metrics: Mapped[list[Metric]] = relationship(
        back_populates="run", order_by="Metric.id", cascade="all, delete-orphan"
    )


class RunArtifact(Base):
    """A file a run kept (a plot, a report, a checkpoint), stored once in the blob folder."""

    __tablename__ = "run_artifacts"
    __table_args__ = (UniqueConstraint("run_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(500))
    blob: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Metric(Base):
    __tablename__ = "metrics"
    __table_args__ = (Index("ix_metrics_run_key", "run_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(250))
    value: Mapped[float] = mapped_column(Float)
    step: Mapped[int] = mapped_column(Integer, default=0)
    timestamp: Mapped[float] = mapped_column(Float)

    run: Mapped[Run] = relationship(back_populates="metrics")


class RegisteredModel(Base):
    __tablename__ = "registered_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[ModelVersion]] = relationship(
        back_populates="model", order_by="ModelVersion.version"
    )


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    version: Mapped[int]
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    blob: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(20))
    signature: Mapped[dict[str, Any]]
    metrics: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    model: Mapped[RegisteredModel] = relationship(back_populates="versions")
    run: Mapped[Run] = relationship()


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    path: Mapped[str] = mapped_column(Text)
    n_files: Mapped[int]
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    model_version: Mapped[ModelVersion] = relationship()


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class RunEnergy(Base):
    """What a run consumed and cost, recorded by its worker when it ends."""

    __tablename__ = "run_energy"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    duration_s: Mapped[float] = mapped_column(Float)
    cpu_wh: Mapped[float] = mapped_column(Float)
    memory_wh: Mapped[float] = mapped_column(Float)
    gpu_wh: Mapped[float | None] = mapped_column(Float)
    methods: Mapped[dict[str, Any]]
    notes: Mapped[list[Any]]
    cost: Mapped[float] = mapped_column(Float)
    energy_cost: Mapped[float] = mapped_column(Float)
    amortisation_cost: Mapped[float] = mapped_column(Float)
    cloud_equivalent: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(8))
    co2_g: Mapped[float] = mapped_column(Float)
    prices: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelAlias(Base):
    """A named pointer (staging, production, archived, or any custom name) to one version."""

    __tablename__ = "model_aliases"
    __table_args__ = (UniqueConstraint("model_id", "alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(100))
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegistryEvent(Base):
    """The registry's audit log: every change, with the state before and after it."""

    __tablename__ = "registry_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    time: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    model_name: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(50))
    before: Mapped[dict[str, Any]]
    after: Mapped[dict[str, Any]]


class DatasetProfile(Base):
    """Statistics computed once at import, and the version's latest validation report."""

    __tablename__ = "dataset_profiles"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), primary_key=True
    )
    profile: Mapped[dict[str, Any]]
    validation: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DatasetRule(Base):
    """A validation rule on one column of a dataset, checked on every new version."""

    __tablename__ = "dataset_rules"
    __table_args__ = (Index("ix_dataset_rules_dataset", "dataset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    column: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitoringCheck(Base):
    """One drift and performance check of a model version, with every figure it found."""

    __tablename__ = "monitoring_checks"
    __table_args__ = (Index("ix_monitoring_checks_version", "model_version_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    source_kind: Mapped[str] = mapped_column(String(20))  # file, dataset or requests
    source: Mapped[str] = mapped_column(Text)
    n_reference: Mapped[int]
    n_current: Mapped[int]
    dataset_drift: Mapped[bool]
    drift_share: Mapped[float] = mapped_column(Float)
    report: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitoringRule(Base):
    """An alert rule of a model: when a check meets it, an alert is raised (and perhaps a
    retraining started)."""

    __tablename__ = "monitoring_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # drift_share, column, drop, estimated
    column: Mapped[str | None] = mapped_column(String(500))  # a column, or a metric's name
    threshold: Mapped[float | None] = mapped_column(Float)
    action: Mapped[str] = mapped_column(String(20))  # notify, retrain, promote
    merge: Mapped[bool] = mapped_column(default=False)  # retrain on new + training data
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitoringAlert(Base):
    """A rule met by a check, and what was done about it."""

    __tablename__ = "monitoring_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    check_id: Mapped[int] = mapped_column(ForeignKey("monitoring_checks.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitoring_rules.id", ondelete="SET NULL")
    )
    message: Mapped[str] = mapped_column(Text)
    acknowledged: Mapped[bool] = mapped_column(default=False)
    retrain_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitoringFeedback(Base):
    """A late label for one served prediction (by the row id its answer carried)."""

    __tablename__ = "monitoring_feedback"
    __table_args__ = (Index("ix_monitoring_feedback_version_row", "model_version_id", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    row_id: Mapped[str] = mapped_column(String(100))
    label: Mapped[Any] = mapped_column(JSON, nullable=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelEvaluation(Base):
    """One evaluation of a model version as it was shown: metrics with their intervals,
    slices by the columns asked for, feature importance and explanations (the model card and
    slice-gap alerts read these)."""

    __tablename__ = "model_evaluations"
    __table_args__ = (Index("ix_model_evaluations_version", "model_version_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    data_label: Mapped[str] = mapped_column(Text)
    n_rows: Mapped[int]
    task: Mapped[str] = mapped_column(String(20))
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelCardNote(Base):
    """What the user writes on a version's model card: its intended use and known limits."""

    __tablename__ = "model_card_notes"

    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    intended_use: Mapped[str | None] = mapped_column(Text, nullable=True)
    limitations: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
