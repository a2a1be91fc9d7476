"""Aliases (staging, production, archived or any name) that point at one version of a model.

Moving an alias is one action and one audit row. Rollback replays the audit log of the
`production` alias to find the version it pointed to before the current one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.registry.audit import record
from modelyard.store import Store, models

STANDARD_ALIASES = ("staging", "production", "archived")
PRODUCTION = "production"
ALIAS_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class AliasChange:
    model_name: str
    alias: str
    before: int | None
    after: int | None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def describe(self) -> str:
        if not self.changed:
            return f"{self.alias} of '{self.model_name}' already points to v{self.after}."
        if self.after is None:
            return f"Removed {self.alias} from '{self.model_name}' (was v{self.before})."
        was = f" (was v{self.before})" if self.before is not None else ""
        return f"{self.alias} of '{self.model_name}' now points to v{self.after}{was}."


def check_alias(alias: str) -> str:
    alias = alias.strip().lower()
    if not ALIAS_PATTERN.match(alias):
        raise InvalidInputError(
            f"'{alias}' cannot be an alias: start with a letter, then letters, digits, - or _."
        )
    return alias


def _model(session: Session, name: str, lock: bool = False) -> models.RegisteredModel:
    """The model; `lock` for a change, so that alias moves of one model happen one at a time
    (with a write session on SQLite, FOR UPDATE on PostgreSQL)."""
    query = select(models.RegisteredModel).where(models.RegisteredModel.name == name)
    model = session.scalar(query.with_for_update() if lock else query)
    if model is None:
        raise NotFoundError(f"There is no registered model '{name}'.")
    return model


def _version_id(session: Session, model: models.RegisteredModel, version: int) -> int:
    row_id = session.scalar(
        select(models.ModelVersion.id).where(
            models.ModelVersion.model_id == model.id, models.ModelVersion.version == version
        )
    )
    if row_id is None:
        raise NotFoundError(f"Model '{model.name}' has no version {version}.")
    return row_id


def _current(
    session: Session, model: models.RegisteredModel, alias: str
) -> models.ModelAlias | None:
    return session.scalar(
        select(models.ModelAlias).where(
            models.ModelAlias.model_id == model.id, models.ModelAlias.alias == alias
        )
    )


def _version_number(session: Session, version_id: int) -> int:
    return session.scalar(
        select(models.ModelVersion.version).where(models.ModelVersion.id == version_id)
    )


def _move(session: Session, model, alias: str, version: int | None, action: str) -> AliasChange:
    row = _current(session, model, alias)
    before = _version_number(session, row.model_version_id) if row else None
    if before == version:
        return AliasChange(model.name, alias, before, version)
    if version is None:
        session.delete(row)
    elif row is None:
        session.add(
            models.ModelAlias(
                model_id=model.id,
                alias=alias,
                model_version_id=_version_id(session, model, version),
            )
        )
    else:
        row.model_version_id = _version_id(session, model, version)
        row.updated_at = models.utcnow()
    record(
        session,
        model.name,
        action,
        {"alias": alias, "version": before},
        {"alias": alias, "version": version},
    )
    return AliasChange(model.name, alias, before, version)


def set_alias(store: Store, model_name: str, alias: str, version: int) -> AliasChange:
    """Point `alias` at `version` (moving it from wherever it was)."""
    alias = check_alias(alias)
    with store.session(write=True) as session:
        model = _model(session, model_name, lock=True)
        return _move(session, model, alias, int(version), "set alias")


def remove_alias(store: Store, model_name: str, alias: str) -> AliasChange:
    alias = check_alias(alias)
    with store.session(write=True) as session:
        model = _model(session, model_name, lock=True)
        if _current(session, model, alias) is None:
            raise NotFoundError(f"Model '{model_name}' has no alias '{alias}'.")
        return _move(session, model, alias, None, "remove alias")


def aliases(store: Store, model_name: str) -> dict[str, int]:
    """Alias → version number, for one model."""
    with store.session() as session:
        model = _model(session, model_name)
        rows = session.execute(
            select(models.ModelAlias.alias, models.ModelVersion.version)
            .join(models.ModelVersion, models.ModelAlias.model_version_id == models.ModelVersion.id)
            .where(models.ModelAlias.model_id == model.id)
            .order_by(models.ModelAlias.alias)
        ).all()
        return {alias: version for alias, version in rows}


def all_aliases(store: Store) -> dict[int, list[str]]:
    """Model version id → the aliases pointing at it, for every model."""
    with store.session() as session:
        rows = session.execute(
            select(models.ModelAlias.model_version_id, models.ModelAlias.alias).order_by(
                models.ModelAlias.alias
            )
        ).all()
    out: dict[int, list[str]] = {}
    for version_id, alias in rows:
        out.setdefault(version_id, []).append(alias)
    return out


def _production_history(session: Session, model_name: str) -> list[int]:
    """Versions production pointed to before its current one, oldest first."""
    events = session.scalars(
        select(models.RegistryEvent)
        .where(models.RegistryEvent.model_name == model_name)
        .order_by(models.RegistryEvent.id)
    ).all()
    stack: list[int] = []
    for event in events:
        if event.after.get("alias") != PRODUCTION and event.before.get("alias") != PRODUCTION:
            continue
        if event.action == "rollback":
            if stack:
                stack.pop()
        elif event.before.get("version") is not None:
            stack.append(event.before["version"])
    return stack


def rollback(store: Store, model_name: str) -> AliasChange:
    """Move `production` back to the version it pointed to before the current one."""
    with store.session(write=True) as session:
        model = _model(session, model_name, lock=True)
        row = _current(session, model, PRODUCTION)
        if row is None:
            raise InvalidInputError(f"'{model_name}' has no production version to roll back.")
        current = _version_number(session, row.model_version_id)
        existing = set(
            session.scalars(
                select(models.ModelVersion.version).where(models.ModelVersion.model_id == model.id)
            )
        )
        history = [v for v in _production_history(session, model_name) if v in existing]
        while history and history[-1] == current:
            history.pop()
        if not history:
            raise InvalidInputError(
                f"Production of '{model_name}' has no earlier version to roll back to."
            )
        return _move(session, model, PRODUCTION, history[-1], "rollback")


def resolve(store: Store, ref: str):
    """`MODEL`, `MODEL:N` or `MODEL@ALIAS` → that ModelVersion (the newest for plain `MODEL`)."""
    from modelyard.registry.service import get_model_version

    ref = ref.strip()
    if "@" in ref:
        name, alias = ref.rsplit("@", 1)
        version = aliases(store, name).get(alias.strip().lower())
        if version is None:
            raise NotFoundError(f"Model '{name}' has no alias '{alias}'.")
        return get_model_version(store, name, version)
    if ":" in ref:
        name, number = ref.rsplit(":", 1)
        if not number.isdigit():
            raise InvalidInputError(f"'{ref}' is not MODEL:N with N a version number.")
        return get_model_version(store, name, int(number))
    return get_model_version(store, ref)
