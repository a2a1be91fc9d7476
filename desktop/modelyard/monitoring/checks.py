"""A monitoring check of one model version: drift, performance, stored with its alerts.

`check(...)` is the whole job as a plain function (progress and cancel through `Progress`),
called alike by the Monitoring page, `modelyard monitor check` and the app's watchers. A check
that fails stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from modelyard.errors import InvalidInputError, ModelyardError
from modelyard.monitoring import drift, performance
from modelyard.monitoring.settings import MonitorSettings, get_settings
from modelyard.progress import NO_PROGRESS, Progress
from modelyard.store import Store, models
from modelyard.store.entities import ModelVersion

SOURCE_KINDS = ("file", "dataset", "requests")


@dataclass(frozen=True)
class Check:
    id: int | None
    model: str
    version: int
    created_at: datetime
    source_kind: str
    source: str
    report: dict[str, Any]
    alert_ids: tuple[int, ...] = ()

    @property
    def dataset_drift(self) -> bool:
        return bool(self.report["dataset_drift"])

    @property
    def drift_share(self) -> float:
        return float(self.report["drift_share"])

    def overview(self) -> tuple:
        """One line of history: time, source, data, rows, drift share, drift, drifted columns,
        the first measured metric and the estimated accuracy (the CLI and the page alike)."""
        r = self.report
        first = ((r.get("performance") or {}).get("metrics") or [{}])[0]
        estimated = (r.get("estimated") or {}).get("metrics") or {}
        return (
            f"{self.created_at:%Y-%m-%d %H:%M}", self.source_kind, Path(self.source).name or self.source,
            r["current_rows"], f"{r['drift_share']:.0%}", "yes" if r["dataset_drift"] else "no",
            ", ".join(c["column"] for c in r["columns"] if c["drifted"]),
            f"{first['metric']} {first['current']:.3g}" if first else "—",
            f"accuracy {estimated['accuracy']:.3g}" if "accuracy" in estimated else "—",
        )  # fmt: skip


@dataclass
class Current:
    frame: pd.DataFrame
    label: str
    kind: str
    rows: Any = None  # RequestRows for a request log


def reference_frame(store: Store, version: ModelVersion) -> tuple[pd.DataFrame, str]:
    """The data `version` was trained on, as its input columns and target."""
    from modelyard.datasets.service import load_frame

    if version.dataset is None:
        raise InvalidInputError(
            f"{version.label} was logged without a dataset, so there is no training data to "
            "compare with; log it with start_run(dataset=...) to monitor it."
        )
    wanted = [c["name"] for c in version.signature["inputs"]]
    target = version.signature.get("target")
    have = {c.name for c in version.dataset.columns}
    columns = [c for c in [*wanted, target] if c and c in have]
    return load_frame(store, version.dataset, columns), version.dataset.label


def load_current(
    store: Store, version: ModelVersion, data: str | None, requests: str | None, progress: Progress
) -> Current:
    if (data is None) == (requests is None):
        raise InvalidInputError(
            "Check either data (a file or a dataset version) or a request log folder."
        )
    if requests is not None:
        from modelyard.monitoring.requests import read_request_log

        rows = read_request_log(Path(requests), version.model_name, version.version)
        return Current(rows.inputs, str(Path(requests).expanduser()), "requests", rows)
    path = Path(data).expanduser()
    if path.exists():
        from modelyard.datasets.readers import read_arrow

        table = read_arrow(path, progress)
        return Current(table.to_pandas(), str(path.resolve()), "file")
    if any(sep in data for sep in ("/", "\\")) or path.suffix:
        raise InvalidInputError(f"{data} does not exist (was it moved or deleted?).")
    from modelyard.datasets.service import get_version, load_frame

    dataset = get_version(store, data)
    return Current(load_frame(store, dataset), dataset.label, "dataset")


def check(
    store: Store,
    version: ModelVersion,
    data: str | None = None,
    requests: str | None = None,
    target: str | None = None,
    settings: MonitorSettings | None = None,
    save: bool = True,
    progress: Progress = NO_PROGRESS,
) -> Check:
    """Check `version` on `data` (a file path or NAME[:V]) or a request log folder."""
    settings = settings or get_settings(store, version.model_name)
    progress.report(0.02, "Reading the training data")
    reference, reference_label = reference_frame(store, version)
    progress.report(0.1, "Reading the current data")
    current = load_current(store, version, data, requests, progress)
    target = target or version.signature.get("target")
    if target and target != version.signature.get("target") and target not in current.frame.columns:
        raise InvalidInputError(f"The current data has no column '{target}'.")
    progress.report(0.3, "Testing every input column")
    report = drift.compare_frames(
        reference,
        current.frame,
        version.signature["inputs"],
        method=settings.method,
        thresholds=settings.thresholds,
        drift_share=settings.drift_share,
        ignore=(target, *(c.name for c in version.dataset.columns)) if target else (),
        progress=_slice(progress, 0.3, 0.75),
    ).to_json()
    progress.report(0.75, "Measuring performance")
    notes = list(current.rows.notes) if current.rows is not None else []
    measured, estimated = _performance(store, version, current, target, settings, notes)
    report.update(
        model=version.model_name,
        version=version.version,
        source={"kind": current.kind, "name": current.label},
        reference=reference_label,
        current=current.label,
        performance=measured,
        estimated=estimated,
        notes=notes,
    )
    progress.report(0.95, "Saving the check")
    created = models.utcnow()
    report["created_at"] = created.isoformat(timespec="seconds")
    if not save:
        return Check(
            None, version.model_name, version.version, created, current.kind, current.label, report
        )
    return _save(store, version, current, report, created)


def _slice(progress: Progress, start: float, end: float) -> Progress:
    return (
        Progress(
            lambda fraction, message: progress.report(start + (end - start) * fraction, message)
        )
        if progress is not NO_PROGRESS
        else NO_PROGRESS
    )


def _save(store: Store, version: ModelVersion, current: Current, report: dict, created) -> Check:
    from modelyard.monitoring.rules import raise_alerts

    with store.session() as session:
        row = models.MonitoringCheck(
            model_version_id=version.id,
            source_kind=current.kind,
            source=current.label,
            n_reference=report["reference_rows"],
            n_current=report["current_rows"],
            dataset_drift=report["dataset_drift"],
            drift_share=report["drift_share"],
            report=report,
            created_at=created,
        )
        session.add(row)
        session.flush()
        alert_ids = raise_alerts(session, version.id, row.id, version.model_name, report)
        return Check(
            row.id,
            version.model_name,
            version.version,
            created,
            current.kind,
            current.label,
            report,
            tuple(alert_ids),
        )


def _sample(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    if len(frame) <= performance.ESTIMATE_ROWS:
        return frame
    notes.append(
        f"Performance was computed on {performance.ESTIMATE_ROWS:,} rows sampled from {len(frame):,} (seed 0)."
    )
    return frame.sample(performance.ESTIMATE_ROWS, random_state=0)


def _performance(
    store, version, current: Current, target, settings, notes
) -> tuple[dict | None, dict | None]:
    """(measured performance or None, estimated performance or None)."""
    from modelyard.registry import runtime
    from modelyard.registry.service import load_model

    task = version.task
    classes = version.signature.get("classes") or []
    holdout = {
        k: v
        for k, v in version.metrics.items()
        if k in performance.HIGHER_IS_BETTER or k in performance.LOWER_IS_BETTER
    }
    measured = estimated = None
    model = None
    if current.kind == "requests":
        rows = current.rows
        labels = {**rows.labels, **_stored_labels(store, version)}
        hits = [i for i, row_id in enumerate(rows.ids) if row_id in labels]
        if hits:
            truth = [labels[rows.ids[i]] for i in hits]
            predicted = [rows.predictions[i] for i in hits]
            proba = _proba_matrix(rows.probabilities, classes, hits)
            measured = _measured(
                task, truth, predicted, proba, classes, holdout, settings.tolerance, "feedback"
            )
            measured["labelled_rows"] = len(hits)
            measured["over_time"] = performance.over_time(
                rows.times.iloc[hits], truth, predicted, task
            )
        proba = _proba_matrix(rows.probabilities, classes, None)
    else:
        frame = _sample(current.frame, notes)
        try:
            features = runtime.prepare_features(frame, version.signature["inputs"])
        except runtime.InputError as exc:
            notes.append(
                f"The model could not predict these rows ({exc}), so performance is not shown."
            )
            return None, None
        model = load_model(store, version)
        try:
            predicted = model.predict(features)
            proba = (
                model.predict_proba(features)
                if task == "classification" and hasattr(model, "predict_proba")
                else None
            )
        except ValueError as exc:
            notes.append(
                f"The model could not predict these rows ({exc}), so performance is not shown."
            )
            return None, None
        if target and target in frame.columns:
            known = frame[target].notna().to_numpy()
            if known.any():
                truth = frame[target].to_numpy()[known]
                sub = proba[known] if proba is not None else None
                measured = _measured(
                    task,
                    truth,
                    predicted[known],
                    sub,
                    classes,
                    holdout,
                    settings.tolerance,
                    "target column",
                )
                measured["labelled_rows"] = int(known.sum())
    if task == "classification" and proba is not None and len(proba):
        estimated = _estimated(store, version, model, proba, classes, holdout, notes)
    return measured, estimated


def _stored_labels(store, version) -> dict[str, Any]:
    from modelyard.monitoring.feedback import stored_labels

    return stored_labels(store, version)


def _proba_matrix(
    frame: pd.DataFrame | None, classes: list, index: list[int] | None
) -> np.ndarray | None:
    if frame is None or not classes:
        return None
    names = [str(c) for c in classes]
    if any(n not in frame.columns for n in names):
        return None
    values = frame[names].to_numpy(dtype=float, na_value=np.nan)
    values = values if index is None else values[index]
    return None if np.isnan(values).any() else values


def _measured(task, truth, predicted, proba, classes, holdout, tolerance, source) -> dict[str, Any]:
    values = performance.measure(task, truth, predicted, proba, classes)
    return {
        "source": source,
        "values": values,
        **performance.compare_to_holdout(values, holdout, tolerance),
    }


def _estimated(store, version, model, proba, classes, holdout, notes) -> dict[str, Any]:
    calibration, calibrated = None, False
    try:
        calibration = _holdout_calibration(store, version, model, classes)
        calibrated = calibration is not None
    except ModelyardError as exc:
        notes.append(f"Estimated performance is not calibrated: {exc}")
    values = performance.estimate_cbpe(proba, calibration)
    return {
        "method": "CBPE (confidence-based, as NannyML)",
        "calibrated": calibrated,
        "rows": len(proba),
        "metrics": values,
        "holdout": {k: holdout[k] for k in values if k in holdout},
    }


def _holdout_calibration(store, version, model, classes):
    from modelyard.registry import runtime
    from modelyard.registry.evaluation import holdout_rows
    from modelyard.registry.service import load_model

    frame, y, _ = holdout_rows(store, version)
    model = model or load_model(store, version)
    proba = model.predict_proba(runtime.prepare_features(frame, version.signature["inputs"]))
    index = {str(c): i for i, c in enumerate(classes)}
    truth = np.array([index.get(performance._label_text(v), -1) for v in y])
    return proba, truth


def history(store: Store, version: ModelVersion, limit: int = 500) -> list[Check]:
    """Every stored check of `version`, oldest first."""
    with store.session() as session:
        rows = session.scalars(
            select(models.MonitoringCheck)
            .where(models.MonitoringCheck.model_version_id == version.id)
            .order_by(models.MonitoringCheck.created_at.desc(), models.MonitoringCheck.id.desc())
            .limit(limit)
        ).all()
        checks = [
            Check(
                r.id,
                version.model_name,
                version.version,
                r.created_at,
                r.source_kind,
                r.source,
                dict(r.report),
            )
            for r in rows
        ]
    return checks[::-1]


def latest_checks(store: Store) -> dict[int, tuple[datetime, float, bool]]:
    """(time, drift share, dataset drift) of each version's newest check, in one query."""
    newest = (
        select(func.max(models.MonitoringCheck.id))
        .group_by(models.MonitoringCheck.model_version_id)
        .scalar_subquery()
    )
    with store.session() as session:
        rows = session.execute(
            select(
                models.MonitoringCheck.model_version_id, models.MonitoringCheck.created_at,
                models.MonitoringCheck.drift_share, models.MonitoringCheck.dataset_drift,
            ).where(models.MonitoringCheck.id.in_(newest))
        ).all()  # fmt: skip
    return {version_id: (created, share, drift) for version_id, created, share, drift in rows}


def get_check(store: Store, check_id: int) -> Check:
    with store.session() as session:
        row = session.get(models.MonitoringCheck, check_id)
        if row is None:
            raise InvalidInputError(f"There is no check {check_id}.")
        version = session.get(models.ModelVersion, row.model_version_id)
        return Check(
            row.id,
            version.model.name,
            version.version,
            row.created_at,
            row.source_kind,
            row.source,
            dict(row.report),
        )
