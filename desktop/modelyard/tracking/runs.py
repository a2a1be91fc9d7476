"""Runs: creating them, following their status, recording what they measured."""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from modelyard.datasets.schema import suggest_task
from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.store import Store, models
from modelyard.store.entities import TERMINAL_STATUSES, DatasetVersion, Run
from modelyard.training.trainers import TASKS, get_trainer

ACTIVE_STATUSES = ("queued", "running")
MAX_SEED = 2**32 - 1  # what NumPy's random generators accept


def create_run(
    store: Store,
    dataset: DatasetVersion,
    target: str,
    model_kind: str,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    task: str | None = None,
    experiment: str | None = None,
    name: str | None = None,
    tags: dict[str, str] | None = None,
    sweep_id: int | None = None,
    trial: int | None = None,
) -> Run:
    """Check everything a worker will need, then record the run as queued."""
    from modelyard.tracking.experiments import check_name, check_tags, experiment_id

    experiment = check_name(experiment)
    tags = check_tags(tags or {})
    if name is not None:
        name = name.strip()[:200] or None
    column = dataset.column(target)
    if column is None:
        raise InvalidInputError(
            f"Column '{target}' is not in {dataset.label}; its columns are "
            f"{', '.join(c.name for c in dataset.columns)}."
        )
    if dataset.n_cols < 2:
        raise InvalidInputError(
            f"{dataset.label} has only the target column; nothing to learn from."
        )
    task = task or suggest_task(column, dataset.n_rows)
    if task not in TASKS:
        raise InvalidInputError(f"Task must be classification or regression, not '{task}'.")
    if task == "regression" and column.kind not in ("integer", "float"):
        raise InvalidInputError(
            f"Column '{target}' holds {column.kind} values, so it can only be predicted by "
            "classification."
        )
    trainer = get_trainer(model_kind)
    if task not in trainer.tasks:
        raise InvalidInputError(
            f"{trainer.label} does only {' and '.join(trainer.tasks)}, not {task}."
        )
    resolved = trainer.resolve_params(params or {})
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvalidInputError(f"The seed must be a whole number from 0 to {MAX_SEED}.")
    with store.session() as session:
        row = models.Run(
            experiment_id=experiment_id(session, experiment),
            sweep_id=sweep_id,
            trial=trial,
            name=name,
            tags=tags,
            dataset_version_id=dataset.id,
            target=target,
            task=task,
            model_kind=model_kind,
            params=resolved,
            seed=seed,
            status="queued",
        )
        session.add(row)
        session.flush()
        return _load(session, row.id)


def _query():
    # System metrics (sampled every second while training) are read only where charted.
    results_only = models.Run.metrics.and_(~models.Metric.key.startswith("system/"))
    return select(models.Run).options(
        selectinload(results_only),
        selectinload(models.Run.dataset_version).selectinload(models.DatasetVersion.dataset),
        selectinload(models.Run.experiment),
    )


def _load(session, run_id: int) -> Run:
    row = session.scalar(_query().where(models.Run.id == run_id))
    if row is None:
        raise NotFoundError(f"There is no run {run_id}.")
    return Run.from_row(row)


def get_run(store: Store, ref: int | str) -> Run:
    """A run by id, or the newest one for 'latest'."""
    with store.session() as session:
        if str(ref).strip().lower() == "latest":
            run_id = session.scalar(select(models.Run.id).order_by(models.Run.id.desc()).limit(1))
            if run_id is None:
                raise NotFoundError("There are no runs yet; start one with `modelyard train`.")
            return _load(session, run_id)
        try:
            run_id = int(str(ref).strip())
        except ValueError:
            raise InvalidInputError(
                f"'{ref}' is not a run id (use a number or 'latest')."
            ) from None
        return _load(session, run_id)


def list_runs(
    store: Store,
    limit: int | None = None,
    experiment: str | None = None,
    status: str | None = None,
    sweep_id: int | None = None,
) -> list[Run]:
    with store.session() as session:
        query = _query().order_by(models.Run.id.desc())
        if sweep_id is not None:
            query = query.where(models.Run.sweep_id == sweep_id)
        if experiment is not None:
            query = query.join(models.Run.experiment).where(models.Experiment.name == experiment)
        if status is not None:
            query = query.where(models.Run.status == status)
        if limit:
            query = query.limit(limit)
        return [Run.from_row(r) for r in session.scalars(query).all()]


def active_runs(store: Store) -> list[Run]:
    with store.session() as session:
        query = _query().where(models.Run.status.in_(ACTIVE_STATUSES))
        return [Run.from_row(r) for r in session.scalars(query).all()]


def set_process(store: Store, run_id: int, pid: int, started_at: float) -> None:
    with store.session() as session:
        session.execute(
            update(models.Run)
            .where(models.Run.id == run_id)
            .values(pid=pid, pid_started_at=started_at)
        )


def mark_running(store: Store, run_id: int) -> bool:
    """Move a queued run to running; False if it was cancelled or taken meanwhile."""
    with store.session() as session:
        result = session.execute(
            update(models.Run)
            .where(models.Run.id == run_id, models.Run.status == "queued")
            .values(status="running", started_at=models.utcnow())
        )
        return result.rowcount == 1


def _check_finite(values: dict[str, float]) -> None:
    bad = [k for k, v in values.items() if not math.isfinite(float(v))]
    if bad:
        raise InvalidInputError(
            f"Metric {', '.join(bad)} is not a finite number; it was not logged."
        )


def log_metrics(
    store: Store,
    run_id: int,
    values: dict[str, float],
    step: int = 0,
    timestamp: float | None = None,
) -> None:
    _check_finite(values)
    now = time.time() if timestamp is None else timestamp
    with store.session() as session:
        session.add_all(
            models.Metric(run_id=run_id, key=k, value=float(v), step=step, timestamp=now)
            for k, v in values.items()
        )


def log_metric_batch(store: Store, run_id: int, rows: list[tuple[str, float, int, float]]) -> None:
    """Many (key, value, step, timestamp) rows in one transaction: for frequent samples.

    A sample that is not a finite number (a sensor that read nothing) is skipped.
    """
    with store.session() as session:
        session.add_all(
            models.Metric(run_id=run_id, key=k, value=float(v), step=step, timestamp=ts)
            for k, v, step, ts in rows
            if math.isfinite(float(v))
        )


def finish(
    store: Store,
    run_id: int,
    model_blob: str,
    signature: dict[str, Any],
    metrics: dict[str, float] | None = None,
) -> bool:
    """Record the model and final metrics in one transaction; False if the run was stopped."""
    metrics = metrics or {}
    _check_finite(metrics)
    now = time.time()
    with store.session() as session:
        result = session.execute(
            update(models.Run)
            .where(models.Run.id == run_id, models.Run.status == "running")
            .values(
                status="finished",
                model_blob=model_blob,
                signature=signature,
                ended_at=models.utcnow(),
                error=None,
            )
        )
        if result.rowcount != 1:
            return False
        session.add_all(
            models.Metric(run_id=run_id, key=k, value=float(v), step=0, timestamp=now)
            for k, v in metrics.items()
        )
        return True


def fail(store: Store, run_id: int, error: str, status: str = "failed") -> bool:
    """Record that a run ended without a model; False if it had already ended."""
    assert status in TERMINAL_STATUSES
    with store.session() as session:
        result = session.execute(
            update(models.Run)
            .where(models.Run.id == run_id, models.Run.status.in_(ACTIVE_STATUSES))
            .values(status=status, error=error, ended_at=models.utcnow())
        )
        return result.rowcount == 1


def metric_history(
    store: Store, run_id: int, after_id: int = 0
) -> tuple[list[tuple[str, int, float]], int]:
    """A run's result metrics logged after row `after_id`, as (key, step, value) in order, and
    the last row id seen: callers fetch only what is new (system samples are left out)."""
    with store.session() as session:
        rows = session.execute(
            select(models.Metric.id, models.Metric.key, models.Metric.step, models.Metric.value)
            .where(
                models.Metric.run_id == run_id,
                models.Metric.id > after_id,
                ~models.Metric.key.startswith("system/"),
            )
            .order_by(models.Metric.id)
        ).all()
    last = rows[-1][0] if rows else after_id
    return [(key, step, value) for _id, key, step, value in rows], last
