"""Hyperparameter sweeps: Optuna proposes, every trial trains as a run in its own worker.

A sweep is recorded first (model families, search space, sampler, trials, parallelism); a
driver process (`python -m modelyard.training.sweep_driver SWEEP_ID`) then asks Optuna for
trials, starts up to `parallel` workers at a time, reports each epoch-based trial's validation
score as it is logged so Optuna's median pruner can stop poor trials early, and tells Optuna
each finished run's selection score: the metric cross-validated on the run's training part (the
MLP: on its validation split), never its holdout score, which stays an unbiased estimate. Neither the GUI nor the CLI waits on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.store import Store, models
from modelyard.store.entities import DatasetVersion, Run
from modelyard.training.trainers import TRAINERS, get_trainer, trainers_for
from modelyard.training.validation import selection_score, selection_spread

SAMPLERS = ("tpe", "random", "grid")
MAX_TRIALS = 10_000
# the deciding metric per task, and whether higher is better
OBJECTIVES = {"classification": ("f1_macro", "maximize"), "regression": ("rmse", "minimize")}
# what an epoch-based trial reports while it trains (same direction as the objective)
INTERMEDIATE = {"classification": "val_accuracy", "regression": "val_rmse"}

# Sensible ranges per built-in trainer, used for `--model auto` and for parameters not given.
DEFAULT_SPACES: dict[str, dict[str, dict[str, Any]]] = {
    "logistic_regression": {"C": {"type": "float", "low": 1e-3, "high": 100.0, "log": True}},
    "linear_regression": {"fit_intercept": {"type": "choice", "values": ["yes", "no"]}},
    "ridge": {"alpha": {"type": "float", "low": 1e-3, "high": 100.0, "log": True}},
    "random_forest": {
        "n_estimators": {"type": "int", "low": 10, "high": 300, "log": True},
        "max_depth": {"type": "int", "low": 2, "high": 20},
        "min_samples_leaf": {"type": "int", "low": 1, "high": 20},
    },
    "extra_trees": {
        "n_estimators": {"type": "int", "low": 10, "high": 300, "log": True},
        "max_depth": {"type": "int", "low": 2, "high": 20},
    },
    "hist_gradient_boosting": {
        "learning_rate": {"type": "float", "low": 0.01, "high": 0.5, "log": True},
        "max_iter": {"type": "int", "low": 20, "high": 300, "log": True},
    },
    "svm": {"C": {"type": "float", "low": 1e-2, "high": 100.0, "log": True}},
    "knn": {
        "n_neighbors": {"type": "int", "low": 1, "high": 50},
        "weights": {"type": "choice", "values": ["uniform", "distance"]},
    },
    "mlp": {
        "learning_rate": {"type": "float", "low": 1e-4, "high": 3e-2, "log": True},
        "hidden_layers": {"type": "choice", "values": ["32", "64,32", "128,64"]},
        "epochs": {"type": "int", "low": 10, "high": 60},
    },
}


@dataclass(frozen=True)
class Sweep:
    id: int
    experiment: str
    dataset: str
    target: str
    task: str
    space: dict[str, dict[str, dict[str, Any]]]
    sampler: str
    n_trials: int
    parallel: int
    metric: str
    direction: str
    seed: int
    status: str
    error: str | None
    created_at: datetime

    @property
    def models(self) -> list[str]:
        return list(self.space)

    @property
    def models_text(self) -> str:
        kinds = self.models
        return ", ".join(kinds) if len(kinds) <= 3 else f"auto: {len(kinds)} model families"


def parse_space(texts: list[str]) -> dict[str, dict[str, Any]]:
    """`name=low:high[:log]` (a range) or `name=a,b,c` (listed values) for each parameter."""
    space: dict[str, dict[str, Any]] = {}
    for text in texts:
        name, sep, spec = text.partition("=")
        name = name.strip()
        if not sep or not name or not spec.strip():
            raise InvalidInputError(
                f"Write a search range as NAME=LOW:HIGH or NAME=A,B,C, not '{text}'."
            )
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log"):
                raise InvalidInputError(f"A range is LOW:HIGH or LOW:HIGH:log, not '{spec}'.")
            try:
                low, high = float(parts[0]), float(parts[1])
            except ValueError:
                raise InvalidInputError(
                    f"The range of '{name}' needs numbers, not '{spec}'."
                ) from None
            space[name] = {"type": "range", "low": low, "high": high, "log": len(parts) == 3}
        else:
            space[name] = {
                "type": "choice",
                "values": [v.strip() for v in spec.split(",") if v.strip()],
            }
    return space


def _typed(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Check one parameter's range against the trainer's own parameter and give it its type."""
    params = {p.name: p for p in get_trainer(kind).params}
    if name not in params:
        raise InvalidInputError(
            f"{kind} has no parameter '{name}'; it takes {', '.join(params) or 'none'}."
        )
    param = params[name]
    if spec["type"] in ("choice",):
        values = [param.coerce(v) for v in spec["values"]]
        if not values:
            raise InvalidInputError(f"List at least one value for '{name}'.")
        return {"type": "choice", "values": values}
    if spec["type"] == "range" or spec["type"] in ("int", "float"):
        if param.type not in (int, float):
            raise InvalidInputError(f"'{name}' takes listed values (NAME=A,B,C), not a range.")
        low, high = param.coerce(spec["low"]), param.coerce(spec["high"])
        if not low < high:
            raise InvalidInputError(f"The range of '{name}' must go from low to high.")
        if spec.get("log") and low <= 0:
            raise InvalidInputError(f"A log range of '{name}' must start above zero.")
        return {
            "type": "int" if param.type is int else "float",
            "low": low,
            "high": high,
            "log": bool(spec.get("log")),
        }
    raise InvalidInputError(f"Unknown search range for '{name}'.")


def build_space(
    model: str, task: str, given: dict[str, dict[str, Any]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """{kind: {param: range}}: the given ranges for one model, or every family's defaults."""
    if model == "auto":
        if given:
            raise InvalidInputError(
                "An auto sweep searches every model's default ranges; drop --space."
            )
        kinds = [t.kind for t in trainers_for(task)]
        return {k: {n: _typed(k, n, s) for n, s in DEFAULT_SPACES[k].items()} for k in kinds}
    trainer = get_trainer(model)
    if task not in trainer.tasks:
        raise InvalidInputError(
            f"{trainer.label} does only {' and '.join(trainer.tasks)}, not {task}."
        )
    ranges = given or DEFAULT_SPACES.get(model, {})
    return {model: {n: _typed(model, n, s) for n, s in ranges.items()}}


def suggest(trial, space: dict[str, dict[str, dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    """The model kind and parameters Optuna proposes for this trial."""
    kinds = list(space)
    kind = trial.suggest_categorical("model", kinds) if len(kinds) > 1 else kinds[0]
    params = {}
    for name, spec in space[kind].items():
        key = f"{kind}.{name}" if len(kinds) > 1 else name
        if spec["type"] == "choice":
            params[name] = trial.suggest_categorical(key, spec["values"])
        elif spec["type"] == "int":
            params[name] = trial.suggest_int(key, spec["low"], spec["high"], log=spec["log"])
        else:
            params[name] = trial.suggest_float(key, spec["low"], spec["high"], log=spec["log"])
    return kind, params


def grid_of(space: dict[str, dict[str, dict[str, Any]]]) -> dict[str, list[Any]]:
    if len(space) != 1:
        raise InvalidInputError("A grid sweep searches one model; pick it with --model.")
    kind, ranges = next(iter(space.items()))
    if not ranges:
        raise InvalidInputError(f"A grid sweep of {kind} needs listed values: --space NAME=A,B,C.")
    grid = {}
    for name, spec in ranges.items():
        if spec["type"] != "choice":
            raise InvalidInputError(
                f"A grid sweep needs listed values for every parameter; give '{name}' as NAME=A,B,C."
            )
        grid[name] = spec["values"]
    return grid


def create_sweep(
    store: Store,
    dataset: DatasetVersion,
    target: str,
    model: str,
    task: str | None = None,
    space: dict[str, dict[str, Any]] | None = None,
    sampler: str = "tpe",
    n_trials: int = 20,
    parallel: int = 1,
    experiment: str | None = None,
    seed: int = 0,
) -> Sweep:
    """Check everything, then record the sweep as queued (nothing else is written)."""
    from modelyard.datasets.schema import suggest_task
    from modelyard.tracking.experiments import check_name, experiment_id
    from modelyard.tracking.runs import MAX_SEED

    column = dataset.column(target)
    if column is None:
        raise InvalidInputError(f"Column '{target}' is not in {dataset.label}.")
    task = task or suggest_task(column, dataset.n_rows)
    if task not in OBJECTIVES:
        raise InvalidInputError(f"Task must be classification or regression, not '{task}'.")
    if sampler not in SAMPLERS:
        raise InvalidInputError(
            f"The sampler must be one of {', '.join(SAMPLERS)}, not '{sampler}'."
        )
    if not 1 <= n_trials <= MAX_TRIALS:
        raise InvalidInputError(f"A sweep runs 1 to {MAX_TRIALS:,} trials.")
    if not 1 <= parallel <= 64:
        raise InvalidInputError("Run 1 to 64 trials at a time.")
    if not 0 <= seed <= MAX_SEED:
        raise InvalidInputError(f"The seed must be a whole number from 0 to {MAX_SEED}.")
    if model != "auto" and model not in TRAINERS:
        get_trainer(model)  # the clear error naming the kinds
    full = build_space(model, task, space or {})
    if sampler == "grid":  # every combination once, however many trials were asked for
        grid = grid_of(full)
        n_trials = math.prod(len(v) for v in grid.values())
        if n_trials > MAX_TRIALS:
            raise InvalidInputError(
                f"The grid has {n_trials:,} combinations; at most {MAX_TRIALS:,}."
            )
    metric, direction = OBJECTIVES[task]
    experiment = check_name(experiment or f"sweep-{dataset.dataset_name}-{target}")
    with store.session() as session:
        row = models.Sweep(
            experiment_id=experiment_id(session, experiment),
            dataset_version_id=dataset.id,
            target=target,
            task=task,
            space=full,
            sampler=sampler,
            n_trials=n_trials,
            parallel=parallel,
            metric=metric,
            direction=direction,
            seed=seed,
            status="queued",
        )
        session.add(row)
        session.flush()
        sweep_id = row.id
    return get_sweep(store, sweep_id)


def _entity(row: models.Sweep, experiment: str, dataset: str) -> Sweep:
    return Sweep(
        row.id,
        experiment,
        dataset,
        row.target,
        row.task,
        dict(row.space),
        row.sampler,
        row.n_trials,
        row.parallel,
        row.metric,
        row.direction,
        row.seed,
        row.status,
        row.error,
        row.created_at,
    )


def _rows(session, where=None):
    query = (
        select(
            models.Sweep, models.Experiment.name, models.Dataset.name, models.DatasetVersion.version
        )
        .join(models.Experiment, models.Experiment.id == models.Sweep.experiment_id)
        .join(models.DatasetVersion, models.DatasetVersion.id == models.Sweep.dataset_version_id)
        .join(models.Dataset, models.Dataset.id == models.DatasetVersion.dataset_id)
        .order_by(models.Sweep.id.desc())
    )
    if where is not None:
        query = query.where(where)
    return [_entity(row, exp, f"{name}:{v}") for row, exp, name, v in session.execute(query).all()]


def get_sweep(store: Store, ref: int | str) -> Sweep:
    with store.session() as session:
        if str(ref).strip().lower() == "latest":
            found = _rows(session)
        else:
            try:
                found = _rows(session, models.Sweep.id == int(str(ref).strip()))
            except ValueError:
                raise InvalidInputError(
                    f"'{ref}' is not a sweep id (a number or 'latest')."
                ) from None
    if not found:
        raise NotFoundError(f"There is no sweep {ref}.")
    return found[0]


def list_sweeps(store: Store) -> list[Sweep]:
    with store.session() as session:
        return _rows(session)


def set_status(
    store: Store, sweep_id: int, status: str | None, error: str | None = None, pid=None
) -> bool:
    """Move a sweep on (None: keep its status); a sweep that already ended stays as it is."""
    with store.session() as session:
        row = session.get(models.Sweep, sweep_id)
        if row is None or row.status in ("finished", "failed", "cancelled"):
            return False
        row.status = status or row.status
        if error is not None:
            row.error = error
        if pid is not None:
            row.pid = pid
        if status in ("finished", "failed", "cancelled"):
            row.ended_at = models.utcnow()
        return True


def trials(store: Store, sweep_id: int) -> list[Run]:
    from modelyard.tracking.runs import list_runs

    return sorted(list_runs(store, sweep_id=sweep_id), key=lambda r: r.trial or 0)


def objective(sweep: Sweep, run: Run) -> float | None:
    """What the sweep optimises for one trial: its score on the training part (cross-validated,
    or the MLP's validation split), never its holdout score."""
    if run.status != "finished":
        return None
    return selection_score(run.metrics, sweep.metric)


def ranked(store: Store, sweep: Sweep) -> list[tuple[Run, float]]:
    """Finished trials with their objective, best first."""
    scored = [(r, objective(sweep, r)) for r in trials(store, sweep.id)]
    done = [(r, v) for r, v in scored if v is not None]
    return sorted(done, key=lambda pair: pair[1], reverse=sweep.direction == "maximize")


def best_trial(store: Store, sweep: Sweep) -> Run | None:
    order = ranked(store, sweep)
    return order[0][0] if order else None


def within_noise(sweep: Sweep, order: list[tuple[Run, float]]) -> list[Run]:
    """The top trials that the best one cannot be told apart from: those whose objective lies
    within the best trial's cross-validated standard deviation of it. One trial: no tie."""
    if len(order) < 2:
        return [r for r, _ in order]
    best, best_value = order[0]
    spread = selection_spread(best.metrics, sweep.metric)
    if spread is None:
        return [best]
    return [r for r, v in order if abs(v - best_value) <= spread]


def summary(store: Store, sweep: Sweep) -> list[str]:
    """Lines on the best trial: its selection score (CV mean ± std) beside its holdout score,
    and a warning when the top trials are within the CV noise of each other."""
    order = ranked(store, sweep)
    if not order:
        return ["No finished trial yet."]
    best, value = order[0]
    spread = selection_spread(best.metrics, sweep.metric)
    how = "CV" if spread is not None else "validation"
    cv = f"{value:.4g}" + (f" ± {spread:.2g}" if spread is not None else "")
    holdout = best.metrics.get(sweep.metric)
    lines = [
        f"Best: trial {best.trial} (run {best.id}), {best.model_kind} — {sweep.metric} "
        f"{how} {cv}, holdout {holdout:.4g}"
        if holdout is not None
        else f"Best: trial {best.trial} (run {best.id}), {best.model_kind} — {sweep.metric} "
        f"{how} {cv}"
    ]
    tied = within_noise(sweep, order)
    if len(tied) > 1:
        lines.append(
            f"Warning: the top {len(tied)} trials ({', '.join(str(r.trial) for r in tied)}) are "
            f"within the CV noise (± {spread:.2g}) of each other: the data cannot tell them "
            "apart; prefer the simplest, or add rows."
        )
    return lines


def history(store: Store, sweep: Sweep) -> list[tuple[int, float, float]]:
    """(trial, its objective, best so far) for every finished trial, in trial order."""
    points, best = [], None
    better = (lambda a, b: a > b) if sweep.direction == "maximize" else (lambda a, b: a < b)
    for run in trials(store, sweep.id):
        value = objective(sweep, run)
        if value is None:
            continue
        best = value if best is None or better(value, best) else best
        points.append((run.trial, value, best))
    return points
