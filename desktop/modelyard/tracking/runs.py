"""Runs: creating them, following their status, recording what they measured."""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.store import Store, models
from modelyard.store.entities import TERMINAL_STATUSES, DatasetVersion, Run

ACTIVE_STATUSES = ("queued", "running")
MAX_SEED = 2**32 - 1  # what NumPy's random generators accept


def target_column(dataset: DatasetVersion, target: str):
    """The dataset's column to predict, or a clear error when it cannot be one."""
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
    return column


def record_run(
    store: Store,
    dataset: DatasetVersion,
    target: str,
    task: str,
    model_kind: str,
    params: dict[str, Any],
    seed: int = 0,
    experiment: str | None = None,
    name: str | None = None,
    tags: dict[str, str] | None = None,
    sweep_id: int | None = None,
    trial: int | None = None,
) -> Run:
    """Record a queued trainer run whose trainer, task and parameters the caller (training's
    `create_run`, which knows the trainers) has checked."""
    from modelyard.tracking.experiments import check_name, check_tags, experiment_id

    experiment = check_name(experiment)
    tags = check_tags(tags or {})
    if name is not None:
        name = name.strip()[:200] or None
    target_column(dataset, target)
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
            params=params,
            seed=seed,
            status="queued",
        )
        session.add(row)
        session.flush()
        return _load(session, row.id)


def create_tracked_run(
    store: Store,
    source: str,
    *,
    experiment: str | None = None,
    name: str | None = None,
    tags: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    command: dict[str, Any] | None = None,
    dataset: DatasetVersion | None = None,
    status: str = "queued",
) -> Run:
    """A run of a user's own code: a script Modelyard starts (queued) or a script or notebook
    that opened the run itself through the SDK (running at once)."""
    from modelyard.tracking.experiments import check_name, check_tags, experiment_id

    experiment = check_name(experiment)
    tags = check_tags(tags or {})
    now = models.utcnow()
    with store.session() as session:
        row = models.Run(
            experiment_id=experiment_id(session, experiment),
            name=(name or "").strip()[:200] or None,
            tags=tags,
            source=source,
            command=command,
            dataset_version_id=dataset.id if dataset is not None else None,
            model_kind=source,
            params=check_params(params or {}),
            seed=0,
            status=status,
            started_at=now if status == "running" else None,
        )
        session.add(row)
        session.flush()
        return _load(session, row.id)


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON values: numbers must be finite; anything else is kept as its text."""
    clean: dict[str, Any] = {}
    for key, value in params.items():
        key = str(key).strip()
        if not key or len(key) > 250:
            raise InvalidInputError("A parameter name must be 1 to 250 characters.")
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInputError(f"Parameter '{key}' is not a finite number.")
        if value is not None and not isinstance(value, str | int | float | bool):
            value = str(value)
        if isinstance(value, str) and len(value) > 5000:
            value = value[:5000]
        clean[key] = value
    return clean


def update_params(store: Store, run_id: int, params: dict[str, Any]) -> dict[str, Any]:
    params = check_params(params)
    with store.session() as session:
        row = session.get(models.Run, run_id)
        if row is None:
            raise NotFoundError(f"There is no run {run_id}.")
        row.params = {**(row.params or {}), **params}
        return dict(row.params)


def complete(store: Store, run_id: int) -> bool:
    """A run of a user's code ended well (with or without a model); False if it had ended."""
    with store.session() as session:
        result = session.execute(
            update(models.Run)
            .where(models.Run.id == run_id, models.Run.status.in_(ACTIVE_STATUSES))
            .values(status="finished", ended_at=models.utcnow(), error=None)
        )
        return result.rowcount == 1


def _query():
    # A run's metrics come from its summary row; histories are read only where charted.
    return select(models.Run).options(
        selectinload(models.Run.dataset_version).selectinload(models.DatasetVersion.dataset),
        selectinload(models.Run.experiment),
    )


def merge_summary(session, run_id: int, rows) -> None:
    """Keep the run's latest value of each result metric: rows are (key, value, …) in the order
    they were logged. Call it after the rows' own INSERT, so the write lock is already held."""
    latest = {row[0]: float(row[1]) for row in rows if not row[0].startswith("system/")}
    if not latest:
        return
    current = session.scalar(select(models.Run.summary).where(models.Run.id == run_id))
    session.execute(
        update(models.Run)
        .where(models.Run.id == run_id)
        .values(summary={**(current or {}), **latest})
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


def runs_by_id(store: Store, ids: list[int]) -> list[Run]:
    """The runs with these ids, in the order given (unknown ids are left out)."""
    with store.session() as session:
        found = {
            r.id: Run.from_row(r) for r in session.scalars(_query().where(models.Run.id.in_(ids)))
        }
    return [found[i] for i in ids if i in found]


def active_runs(store: Store) -> list[Run]:
    with store.session() as session:
        query = _query().where(models.Run.status.in_(ACTIVE_STATUSES))
        return [Run.from_row(r) for r in session.scalars(query).all()]


def set_process(
    store: Store, run_id: int, pid: int, started_at: float, resource: str = "cpu"
) -> None:
    with store.session() as session:
        session.execute(
            update(models.Run)
            .where(models.Run.id == run_id)
            .values(
                pid=pid,
                pid_started_at=started_at,
                resource=resource,
                dispatched_at=models.utcnow(),
            )
        )


def set_placement(
    store: Store,
    run_id: int,
    executor: str,
    host: str | None = None,
    worker: str | None = None,
    resource: str | None = None,
    new_attempt: bool = False,
) -> None:
    """Record where a run executes: its executor ("local" or a scheduler address), machine
    and cluster worker; `new_attempt` counts one more start on a cluster."""
    values: dict[str, Any] = {"executor": executor}
    if host is not None:
        values["host"] = host
    if worker is not None:
        values["worker"] = worker
    if resource is not None:
        values["resource"] = resource
    if new_attempt:
        values["attempts"] = func.coalesce(models.Run.attempts, 0) + 1
    with store.session() as session:
        session.execute(update(models.Run).where(models.Run.id == run_id).values(**values))


def requeue_after_lost_worker(store: Store, run_id: int) -> bool:
    """Put a run whose cluster worker was lost back to queued, for its second attempt."""
    with store.session() as session:
        result = session.execute(
            update(models.Run)
            .where(models.Run.id == run_id, models.Run.status.in_(ACTIVE_STATUSES))
            .values(status="queued", started_at=None, pid=None, pid_started_at=None)
        )
        return result.rowcount == 1


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
        session.flush()
        merge_summary(session, run_id, list(values.items()))


def log_metric_batch(store: Store, run_id: int, rows: list[tuple[str, float, int, float]]) -> None:
    """Many (key, value, step, timestamp) rows in one transaction: for frequent samples.

    A sample that is not a finite number (a sensor that read nothing) is skipped.
    """
    kept = [row for row in rows if math.isfinite(float(row[1]))]
    if not kept:
        return
    with store.session() as session:
        insert_metric_rows(session, run_id, kept)
        merge_summary(session, run_id, kept)


def insert_metric_rows(session, run_id: int, rows: list[tuple[str, float, int, float]]) -> None:
    """(key, value, step, timestamp) rows straight to the driver's executemany: four times the
    rows per second of an ORM or Core insert, which matters for scripts logging every step."""
    connection = session.connection()
    style = connection.dialect.paramstyle
    marks = {"qmark": ["?"] * 5, "numeric": [f":{i}" for i in range(1, 6)]}.get(style, ["%s"] * 5)
    connection.exec_driver_sql(
        f"INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES ({', '.join(marks)})",
        [(run_id, k, float(v), int(step), float(ts)) for k, v, step, ts in rows],
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
        session.flush()
        merge_summary(session, run_id, list(metrics.items()))
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


def metric_arrays(store: Store, run_id: int, after_id: int = 0):
    """Like `metric_history`, as NumPy arrays per key: ({key: (steps, values)}, last row id).

    Read through the driver one key at a time (the run's keys are in its summary), each from
    the (run, key) index in row order — a chart of a million points opens in about a second
    and afterwards fetches only rows newer than `after_id`.
    """
    import numpy as np

    from modelyard.store.db import fetch_tuples

    metric = models.Metric
    with store.session() as session:
        last = session.scalar(select(func.max(metric.id)).where(metric.run_id == run_id))
        if last is None or last <= after_id:
            return {}, after_id
        summary = session.scalar(select(models.Run.summary).where(models.Run.id == run_id))
        arrays = {}
        for key in summary or {}:
            rows = fetch_tuples(  # plain tuples: NumPy reads them directly
                session,
                select(metric.step, metric.value)
                .where(
                    metric.run_id == run_id,
                    metric.key == key,
                    metric.id > after_id,
                    metric.id <= last,
                )
                .order_by(metric.id),
            )
            if rows:
                table = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
                arrays[key] = (table[:, 0].astype(np.int64), table[:, 1])
    return arrays, last
