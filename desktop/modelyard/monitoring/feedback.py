"""Late labels for served predictions, sent as a file of row ids and labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from modelyard.errors import InvalidInputError
from modelyard.store import Store, models
from modelyard.store.entities import ModelVersion

ID_COLUMNS = ("id", "request_id", "row_id")
LABEL_COLUMNS = ("label", "actual", "truth")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def read_labels(path: Path) -> list[tuple[str, Any]]:
    """(row id, label) pairs from a CSV or any data file with an id and a label column."""
    from modelyard.datasets.readers import read_arrow

    table = read_arrow(Path(path))
    names = {n.lower(): n for n in table.column_names}
    id_col = next((names[c] for c in ID_COLUMNS if c in names), None)
    label_col = next((names[c] for c in LABEL_COLUMNS if c in names), None)
    if id_col is None or label_col is None:
        raise InvalidInputError(
            f"{Path(path).name} needs an 'id' column (the row ids the bundle answered with) and "
            f"a 'label' column; it has {', '.join(table.column_names[:8])}."
        )
    ids = table[id_col].to_pylist()
    labels = table[label_col].to_pylist()
    pairs = [
        (str(i), _plain(v))
        for i, v in zip(ids, labels, strict=True)
        if i is not None and v is not None
    ]
    if not pairs:
        raise InvalidInputError(f"{Path(path).name} has no row with both an id and a label.")
    return pairs


def add_feedback(store: Store, version: ModelVersion, pairs: list[tuple[str, Any]]) -> int:
    """Keep the labels for `version`; a later label for the same row replaces an earlier one."""
    if any(len(row_id) > 100 for row_id, _ in pairs):
        raise InvalidInputError("A row id is longer than 100 characters; is that the id column?")
    with store.session() as session:
        session.execute(
            models.MonitoringFeedback.__table__.insert(),
            [
                {
                    "model_version_id": version.id,
                    "row_id": r,
                    "label": label,
                    "received_at": models.utcnow(),
                }
                for r, label in pairs
            ],
        )
    return len(pairs)


def stored_labels(store: Store, version: ModelVersion) -> dict[str, Any]:
    with store.session() as session:
        rows = session.execute(
            select(models.MonitoringFeedback.row_id, models.MonitoringFeedback.label)
            .where(models.MonitoringFeedback.model_version_id == version.id)
            .order_by(models.MonitoringFeedback.id)
        ).all()
    return {row_id: label for row_id, label in rows}
