"""A dataset version's profile: computed once at import, stored, shown instantly later."""

from __future__ import annotations

import math

HISTOGRAM_BINS = 20
TOP_VALUES = 10
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def profile_column(series, kind: str) -> dict:
    import numpy as np
    import pandas as pd

    count = int(series.notna().sum())
    stats: dict = {
        "kind": kind,
        "count": count,
        "missing": int(len(series) - count),
        "unique": int(series.nunique(dropna=True)),
    }
    present = series.dropna()
    if kind in ("integer", "float") and count:
        values = present.astype("float64")
        values = values[np.isfinite(values)]
        if len(values):
            stats.update(
                min=_number(values.min()),
                max=_number(values.max()),
                mean=_number(values.mean()),
                std=_number(values.std()) if len(values) > 1 else 0.0,
                quantiles={str(q): _number(values.quantile(q)) for q in QUANTILES},
            )
            counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
            stats["histogram"] = {"edges": [float(e) for e in edges], "counts": counts.tolist()}
    elif kind == "datetime" and count:
        stats.update(min=_text(present.min()), max=_text(present.max()))
    if kind not in ("integer", "float") or stats["unique"] <= TOP_VALUES:
        top = present.astype(str).value_counts().head(TOP_VALUES) if count else pd.Series()
        stats["top"] = [[str(k), int(v)] for k, v in top.items()]
    return stats


def compute_profile(frame, columns, privacy: dict[str, dict] | None = None) -> dict:
    """Per column: count, missing, unique, min/max/mean/std, quantiles, top values, histogram;
    per dataset: rows, columns, duplicate rows and memory."""
    import pandas as pd

    kinds = {c.name: c.kind for c in columns}
    hashed = pd.util.hash_pandas_object(frame, index=False)
    profile = {
        "rows": len(frame),
        "columns": len(frame.columns),
        "duplicate_rows": int(hashed.duplicated().sum()),
        "memory_bytes": int(frame.memory_usage(deep=True, index=False).sum()),
        "column_stats": {},
        "privacy": dict(privacy or {}),
    }
    for name in frame.columns:
        profile["column_stats"][name] = profile_column(frame[name], kinds.get(name, "text"))
    return profile


def get_profile(store, version) -> dict:
    """The stored profile; versions imported before profiles existed get theirs now, once."""
    from modelyard.datasets.service import load_frame
    from modelyard.store import models

    with store.session() as session:
        row = session.get(models.DatasetProfile, version.id)
        if row is not None:
            return row.profile
    profile = compute_profile(load_frame(store, version), version.columns)
    with store.session() as session:
        if session.get(models.DatasetProfile, version.id) is None:
            session.add(models.DatasetProfile(version_id=version.id, profile=profile))
    return profile


def format_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def describe_column(name: str, stats: dict, privacy: dict | None) -> str:
    lines = [f"{name} ({stats['kind']})"]
    for key in ("count", "missing", "unique", "min", "max", "mean", "std"):
        if key in stats:
            lines.append(f"  {key:<8} {format_value(stats[key])}")
    if "quantiles" in stats:
        quantiles = ", ".join(
            f"{float(q):.0%}: {format_value(v)}" for q, v in stats["quantiles"].items()
        )
        lines.append(f"  quantiles {quantiles}")
    if stats.get("top"):
        lines.append("  top      " + ", ".join(f"{v} ({n})" for v, n in stats["top"]))
    if privacy:
        lines.append(f"  looks like {privacy['kind']} data (at import: {privacy['action']})")
    return "\n".join(lines)
