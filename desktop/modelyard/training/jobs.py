"""Making a trainer run: everything a worker will need is checked against the trainer, then
the run is recorded (by tracking, which keeps run records and knows no trainers)."""

from __future__ import annotations

from typing import Any

from modelyard.errors import InvalidInputError
from modelyard.store import Store
from modelyard.store.entities import DatasetVersion, Run
from modelyard.tracking.runs import record_run, target_column
from modelyard.training.trainers import TASKS, get_trainer


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
    from modelyard.datasets.schema import suggest_task

    column = target_column(dataset, target)
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
    return record_run(
        store,
        dataset,
        target,
        task,
        model_kind,
        resolved,
        seed,
        experiment=experiment,
        name=name,
        tags=tags,
        sweep_id=sweep_id,
        trial=trial,
    )
