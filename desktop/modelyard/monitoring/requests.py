"""Reading a served bundle's request log back: the rows it predicted, and the late labels.

The log is a folder of `requests-YYYY-MM-DD.jsonl` files. A prediction line holds the request's
rows (`inputs`), their ids (`ids`) and the answer (`outputs`); a feedback line holds
`records` of `{"id", "label"}`. Lines are parsed with Arrow's multi-threaded JSON reader; a
folder it cannot read as one table (a damaged line, values of mixed types from an older
bundle) is read line by line instead, skipping and counting what cannot be used. A torn last
line (the server stopped mid-write) is left out and said so.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import InvalidInputError

PATTERN = "requests-*.jsonl"


@dataclass
class RequestRows:
    inputs: pd.DataFrame  # one row per predicted row, the columns as the requests sent them
    ids: list[str]
    times: pd.Series  # the time of each row's request
    predictions: list[Any]
    probabilities: pd.DataFrame | None  # a column per class (as text), for classifiers
    labels: dict[str, Any]  # row id -> label, from the log's feedback lines
    files: int = 0
    lines: int = 0
    failed_requests: int = 0
    notes: list[str] = field(default_factory=list)


def log_files(folder: Path) -> list[Path]:
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise InvalidInputError(
            f"{folder} is not a folder; give the bundle's request log folder "
            "(MODELYARD_REQUEST_LOG, by default ~/.modelyard-requests/MODEL-vN)."
        )
    files = sorted(folder.glob(PATTERN))
    if not files:
        raise InvalidInputError(
            f"{folder} holds no request log files ({PATTERN}); has the bundle served any request?"
        )
    return files


def _complete_lines(path: Path, notes: list[str]) -> bytes:
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        notes.append(
            f"{path.name}: the last line was cut off (the server stopped mid-write); left out."
        )
        data = data[:cut]
    return data


def read_request_log(
    folder: Path, model: str | None = None, version: int | None = None
) -> RequestRows:
    """Every predicted row of `model` v`version` in the folder, and every label sent back."""
    files = log_files(folder)
    notes: list[str] = []
    parts = [_complete_lines(f, notes) for f in files]
    data = b"".join(parts)
    n_lines = data.count(b"\n")
    if n_lines == 0:
        raise InvalidInputError(f"The request log in {folder} has no complete line yet.")
    try:
        rows = _read_arrow(data)
    except Exception:  # noqa: BLE001 - anything Arrow cannot parse is read line by line
        rows = _read_lines(data, notes)
    rows.files, rows.lines = len(files), n_lines
    rows.notes = notes + rows.notes
    return _only_model(rows, model, version, folder)


def _only_model(rows: _Parsed, model, version, folder) -> RequestRows:
    keep = np.ones(len(rows.row_model), dtype=bool)
    if model is not None and len(rows.row_model):
        keep &= rows.row_model == model
        if version is not None:
            keep &= rows.row_version == int(version)
        if not keep.any():
            seen = sorted(
                {f"{m} v{v}" for m, v in zip(rows.row_model, rows.row_version, strict=True)}
            )
            raise InvalidInputError(
                f"The request log in {folder} holds predictions of {', '.join(seen[:5])}, "
                f"not of {model} v{version}."
            )
    if not keep.any():
        raise InvalidInputError(
            f"The request log in {folder} holds no successful prediction yet "
            f"({rows.failed} failed request{'s' if rows.failed != 1 else ''})."
        )
    index = np.flatnonzero(keep)
    inputs = rows.inputs.iloc[index].reset_index(drop=True)
    probabilities = None
    if rows.probabilities is not None:
        probabilities = rows.probabilities.iloc[index].reset_index(drop=True)
    return RequestRows(
        inputs=inputs,
        ids=[rows.ids[i] for i in index],
        times=pd.Series(pd.to_datetime(rows.times[index], utc=True, format="ISO8601")),
        predictions=[rows.predictions[i] for i in index],
        probabilities=probabilities,
        labels=rows.labels,
        failed_requests=rows.failed,
        notes=rows.notes,
    )


@dataclass
class _Parsed:
    inputs: pd.DataFrame
    ids: list[str]
    times: np.ndarray
    predictions: list[Any]
    probabilities: pd.DataFrame | None
    row_model: np.ndarray
    row_version: np.ndarray
    labels: dict[str, Any]
    failed: int
    notes: list[str] = field(default_factory=list)
    files: int = 0
    lines: int = 0


def _read_arrow(data: bytes) -> _Parsed:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    table = pj.read_json(io.BytesIO(data), parse_options=pj.ParseOptions(newlines_in_values=False))
    names = set(table.column_names)
    kind = table["type"] if "type" in names else pa.nulls(table.num_rows, pa.string())
    status = table["status"] if "status" in names else pa.nulls(table.num_rows, pa.int64())
    is_prediction = pc.fill_null(pc.equal(kind, "prediction"), False)
    if "outputs" in names:  # lines of bundles older than the "type" field
        is_prediction = pc.or_(
            is_prediction, pc.and_(pc.is_null(kind), pc.is_valid(table["outputs"]))
        )
    ok = pc.and_(is_prediction, pc.fill_null(pc.equal(status, 200), False))
    failed = int(pc.sum(pc.and_(is_prediction, pc.invert(ok))).as_py() or 0)
    labels: dict[str, Any] = {}
    if "records" in names:
        feedback = table.filter(pc.fill_null(pc.equal(kind, "feedback"), False))["records"]
        records = pc.list_flatten(feedback)
        if len(records):
            for row_id, label in zip(
                pc.struct_field(records, "id").to_pylist(),
                pc.struct_field(records, "label").to_pylist(),
                strict=True,
            ):
                if row_id is not None:
                    labels[str(row_id)] = label
    served = table.filter(ok)
    if served.num_rows == 0 or "inputs" not in names:
        return _Parsed(
            pd.DataFrame(), [], np.array([]), [], None, np.array([]), np.array([]), labels, failed
        )
    counts = pc.list_value_length(served["inputs"]).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(served["inputs"])
    inputs = pa.Table.from_struct_array(flat).to_pandas() if len(flat) else pd.DataFrame()
    if "ids" in served.column_names:
        ids = pc.list_flatten(served["ids"]).to_pylist()
    else:  # older logs: rows have no ids of their own
        ids = [
            f"{r}-{i}"
            for r, n in zip(served["request_id"].to_pylist(), counts, strict=True)
            for i in range(n)
        ]
    outputs = served["outputs"]
    predictions = pc.list_flatten(pc.struct_field(outputs, "predictions")).to_pylist()
    probabilities = None
    if "probabilities" in {f.name for f in outputs.type}:
        proba = pc.list_flatten(pc.struct_field(outputs, "probabilities"))
        probabilities = pa.Table.from_struct_array(proba).to_pandas()
    repeat = lambda column: np.repeat(served[column].to_numpy(zero_copy_only=False), counts)  # noqa: E731
    return _Parsed(
        inputs=inputs,
        ids=[str(i) for i in ids],
        times=repeat("time"),
        predictions=predictions,
        probabilities=probabilities,
        row_model=repeat("model")
        if "model" in served.column_names
        else np.array([None] * len(ids)),
        row_version=repeat("version")
        if "version" in served.column_names
        else np.array([None] * len(ids)),
        labels=labels,
        failed=failed,
    )


def _read_lines(data: bytes, notes: list[str]) -> _Parsed:
    inputs: list[dict] = []
    ids: list[str] = []
    times: list[str] = []
    predictions: list[Any] = []
    probabilities: list[dict] = []
    row_model: list[Any] = []
    row_version: list[Any] = []
    labels: dict[str, Any] = {}
    failed = bad = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if not isinstance(entry, dict):
            bad += 1
            continue
        kind = entry.get("type") or (
            "prediction" if "outputs" in entry or "status" in entry else None
        )
        if kind == "feedback":
            for record in entry.get("records") or []:
                if isinstance(record, dict) and record.get("id") is not None:
                    labels[str(record["id"])] = record.get("label")
            continue
        if kind != "prediction":
            bad += 1
            continue
        rows, outputs = entry.get("inputs"), entry.get("outputs")
        if (
            entry.get("status") != 200
            or not isinstance(rows, list)
            or not isinstance(outputs, dict)
        ):
            failed += 1
            continue
        row_ids = entry.get("ids") or [f"{entry.get('request_id')}-{i}" for i in range(len(rows))]
        proba = outputs.get("probabilities") or [None] * len(rows)
        preds = outputs.get("predictions") or []
        if not (len(row_ids) == len(preds) == len(rows) == len(proba)):
            bad += 1
            continue
        inputs.extend(rows)
        ids.extend(str(i) for i in row_ids)
        times.extend([entry.get("time")] * len(rows))
        predictions.extend(preds)
        probabilities.extend(proba)
        row_model.extend([entry.get("model")] * len(rows))
        row_version.extend([entry.get("version")] * len(rows))
    if bad:
        notes.append(
            f"{bad:,} line{'s' if bad != 1 else ''} of the log could not be read and {'were' if bad != 1 else 'was'} left out."
        )
    has_proba = any(p is not None for p in probabilities)
    return _Parsed(
        inputs=pd.DataFrame.from_records(inputs) if inputs else pd.DataFrame(),
        ids=ids,
        times=np.array(times, dtype=object),
        predictions=predictions,
        probabilities=pd.DataFrame.from_records([p or {} for p in probabilities])
        if has_proba
        else None,
        row_model=np.array(row_model, dtype=object),
        row_version=np.array(row_version, dtype=object),
        labels=labels,
        failed=failed,
    )
