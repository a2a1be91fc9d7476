"""Key/value settings kept in the store, so the GUI and the CLI share them."""

from __future__ import annotations

from typing import Any

from modelyard.store import Store, models


def get_setting(store: Store, key: str, default: Any = None) -> Any:
    with store.session() as session:
        row = session.get(models.Setting, key)
        return default if row is None else row.value


def set_setting(store: Store, key: str, value: Any) -> None:
    from modelyard.store.db import upsert

    with store.session() as session:  # one statement: safe when two processes set a new key
        upsert(session, models.Setting, {"key": key, "value": value}, ["key"])
