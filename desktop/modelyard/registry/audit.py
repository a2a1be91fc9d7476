"""The registry's audit log: who-did-what is one row per change, with before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from modelyard.store import Store, models


@dataclass(frozen=True)
class RegistryEvent:
    id: int
    time: datetime
    model_name: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]

    def describe(self) -> str:
        def show(state: dict[str, Any]) -> str:
            return ", ".join(f"{k}={v}" for k, v in state.items()) or "-"

        return f"{show(self.before)} → {show(self.after)}"

    @classmethod
    def from_row(cls, row: models.RegistryEvent) -> RegistryEvent:
        return cls(row.id, row.time, row.model_name, row.action, dict(row.before), dict(row.after))


def record(
    session: Session, model_name: str, action: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Add an audit row inside the caller's transaction: the change and its record commit together."""
    session.add(
        models.RegistryEvent(model_name=model_name, action=action, before=before, after=after)
    )


def audit_log(store: Store, model_name: str | None = None, limit: int = 500) -> list[RegistryEvent]:
    """Newest first."""
    with store.session() as session:
        query = select(models.RegistryEvent).order_by(models.RegistryEvent.id.desc()).limit(limit)
        if model_name is not None:
            query = query.where(models.RegistryEvent.model_name == model_name)
        return [RegistryEvent.from_row(r) for r in session.scalars(query)]
