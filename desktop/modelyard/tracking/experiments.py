"""Experiments group runs; each may carry an energy or money budget. Runs get tags and notes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select

from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.store import Store, models
from modelyard.store.db import get_or_create_id
from modelyard.store.entities import DEFAULT_EXPERIMENT

MAX_TAGS = 50


@dataclass(frozen=True)
class Experiment:
    id: int
    name: str
    n_runs: int
    budget_kwh: float | None
    budget_money: float | None
    budget_auto_stop: bool

    @property
    def has_budget(self) -> bool:
        return self.budget_kwh is not None or self.budget_money is not None


def check_name(name: str | None) -> str:
    name = (name or DEFAULT_EXPERIMENT).strip()
    if not name or len(name) > 200 or any(ch in name for ch in "\n\r\t"):
        raise InvalidInputError("An experiment name must be 1 to 200 characters on one line.")
    return name


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise InvalidInputError(f"A run takes at most {MAX_TAGS} tags.")
    clean = {}
    for key, value in tags.items():
        key, value = str(key).strip(), str(value).strip()
        if not key or len(key) > 100 or len(value) > 500:
            raise InvalidInputError(
                "A tag needs a key of 1 to 100 characters and a value of at most 500."
            )
        clean[key] = value
    return clean


def parse_tag(text: str) -> tuple[str, str]:
    """KEY=VALUE from the command line."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInputError(f"Write a tag as KEY=VALUE, not '{text}'.")
    return key.strip(), value.strip()


def experiment_id(session, name: str) -> int:
    """The experiment's id, creating it on first use (safe when several processes start the
    first run of a new experiment at the same moment)."""
    return get_or_create_id(session, models.Experiment, name=name)


def _entity(row: models.Experiment, n_runs: int) -> Experiment:
    return Experiment(
        row.id, row.name, n_runs, row.budget_kwh, row.budget_money, row.budget_auto_stop
    )


def list_experiments(store: Store) -> list[Experiment]:
    counts = (
        select(models.Run.experiment_id, func.count().label("n"))
        .group_by(models.Run.experiment_id)
        .subquery()
    )
    with store.session() as session:
        rows = session.execute(
            select(models.Experiment, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.experiment_id == models.Experiment.id)
            .order_by(models.Experiment.name)
        ).all()
        return [_entity(row, n) for row, n in rows]


def get_experiment(store: Store, name: str) -> Experiment:
    for experiment in list_experiments(store):
        if experiment.name == name:
            return experiment
    raise NotFoundError(f"There is no experiment '{name}'.")


def _limit(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidInputError(f"A {what} budget must be a positive number.")
    return float(value)


def set_budget(
    store: Store,
    name: str,
    kwh: float | None = None,
    money: float | None = None,
    auto_stop: bool = False,
) -> Experiment:
    """Replace the experiment's budget (both limits None: no budget). Creates the experiment."""
    name = check_name(name)
    kwh, money = _limit(kwh, "kWh"), _limit(money, "money")
    with store.session() as session:
        row = session.get(models.Experiment, experiment_id(session, name), with_for_update=True)
        row.budget_kwh, row.budget_money = kwh, money
        row.budget_auto_stop = bool(auto_stop) and (kwh is not None or money is not None)
    return get_experiment(store, name)


def tag_run(store: Store, run_id: int, tags: dict[str, str]) -> dict[str, str]:
    """Add or replace tags on a run (an empty value removes that tag)."""
    tags = check_tags(tags)
    with store.session(write=True) as session:  # merged under the lock: no tag is lost
        row = session.get(models.Run, run_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"There is no run {run_id}.")
        merged = dict(row.tags or {})
        for key, value in tags.items():
            if value:
                merged[key] = value
            else:
                merged.pop(key, None)
        row.tags = check_tags(merged)
        return dict(row.tags)


def note_run(store: Store, run_id: int, text: str) -> None:
    if len(text) > 10_000:
        raise InvalidInputError("A note holds at most 10,000 characters.")
    with store.session() as session:
        row = session.get(models.Run, run_id)
        if row is None:
            raise NotFoundError(f"There is no run {run_id}.")
        row.notes = text.strip() or None


def set_environment(store: Store, run_id: int, environment: dict) -> None:
    with store.session() as session:
        row = session.get(models.Run, run_id)
        if row is not None:
            row.environment = environment
