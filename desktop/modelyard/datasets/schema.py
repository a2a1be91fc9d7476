"""Inferring what each column holds, so trainers and forms know how to treat it."""

from __future__ import annotations

from modelyard.store.entities import Column

CATEGORICAL_MAX_UNIQUE = 50


def infer_columns(frame) -> list[Column]:
    import pandas as pd

    columns = []
    n_rows = len(frame)
    for name in frame.columns:
        series = frame[name]
        n_unique = int(series.nunique(dropna=True))
        nullable = bool(series.isna().any())
        if pd.api.types.is_bool_dtype(series):
            kind = "boolean"
        elif pd.api.types.is_integer_dtype(series):
            kind = "integer"
        elif pd.api.types.is_float_dtype(series):
            kind = "float"
        elif pd.api.types.is_datetime64_any_dtype(series):
            kind = "datetime"
        elif n_unique <= max(CATEGORICAL_MAX_UNIQUE, n_rows // 20) and n_unique < n_rows:
            kind = "categorical"
        else:
            kind = "text"
        columns.append(Column(str(name), kind, nullable, n_unique))
    return columns


def suggest_task(column: Column, n_rows: int) -> str:
    """Classification for labels, regression for measured quantities."""
    if column.kind in ("boolean", "categorical", "text"):
        return "classification"
    if column.kind == "integer" and column.n_unique <= min(20, max(2, n_rows // 10)):
        return "classification"
    return "regression"
