import json

import pandas as pd
import pytest

from modelyard.registry.service import register


@pytest.fixture
def version(store, finished_run):
    """The sample churn data's logistic regression, registered as churn-model v1."""
    return register(store, finished_run.id, "churn-model")


@pytest.fixture
def churn_frame(sample_csv) -> pd.DataFrame:
    return pd.read_csv(sample_csv)


def shifted(frame: pd.DataFrame) -> pd.DataFrame:
    """The sample with its charges and tenure moved: what a changed customer base looks like."""
    moved = frame.copy()
    moved["monthly_charges"] = moved["monthly_charges"] * 1.6 + 20
    moved["total_charges"] = moved["total_charges"] * 2.5
    moved["tenure_months"] = (moved["tenure_months"] // 3).astype(int)
    moved["contract"] = "month-to-month"
    return moved


def write_log(
    folder, version, rows, outputs, feedback=(), torn=False, name="requests-2026-12-01.jsonl"
):
    """A request log as a bundle writes it: one prediction line per request of one row."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (row, out) in enumerate(zip(rows, outputs, strict=True)):
        lines.append(
            {
                "type": "prediction",
                "time": f"2026-12-0{1 + i % 3}T10:00:00.000+00:00",
                "request_id": f"r{i}",
                "model": version.model_name,
                "version": version.version,
                "ids": [f"r{i}-0"],
                "inputs": [row],
                "outputs": out,
                "status": 200,
                "latency_ms": 1.0,
            }
        )
    lines.append(
        {
            "type": "prediction",
            "time": "2026-12-01T10:00:00+00:00",
            "request_id": "bad",
            "model": version.model_name,
            "version": version.version,
            "status": 422,
            "error": "missing column",
            "body": "{}",
            "latency_ms": 0.2,
        }
    )
    if feedback:
        lines.append(
            {
                "type": "feedback",
                "time": "2026-12-03T10:00:00+00:00",
                "model": version.model_name,
                "version": version.version,
                "records": [{"id": i, "label": label} for i, label in feedback],
            }
        )
    text = "".join(json.dumps(line) + "\n" for line in lines)
    if torn:
        text += '{"type": "prediction", "time": "2026-12-0'
    (folder / name).write_text(text)
    return folder
