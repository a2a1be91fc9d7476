"""Drift check speed and memory against plain SciPy and Evidently, in the same run.

    .venv/bin/python benchmarks/drift.py [--rows 1000000] [--evidently /tmp/evidently-venv/bin/python]

Reference and current data of ROWS x 20 columns (14 numeric, 6 categorical; 5 numeric and 2
categorical columns shifted) are written once as Parquet; each contender reads them and tests
every column in a child process of its own, so its peak memory (ru_maxrss) is its own.
Evidently 0.7 needs pandas < 3, so it runs from its own venv:
    python3 -m venv /tmp/evidently-venv && /tmp/evidently-venv/bin/pip install evidently 'pandas<3' pyarrow
The end-to-end `monitoring.checks.check` (save=False) runs on a temporary MODELYARD_HOME whose
model (logistic regression) was trained, untimed, on the reference plus a target column.
A served bundle's request log of ROWS lines (one row per request) is then read and checked.
Targets (issue 12): the check < 3 s at 1M x 20, the request log of 1M lines < 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

NUMERIC, CATEGORICAL = 14, 6
LETTERS = list("abcdefgh")

EVIDENTLY = r"""
import json, sys, time
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
started = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
seconds = time.perf_counter() - started
verdicts = {}
for metric in snapshot.dict()["metrics"]:
    name = metric.get("metric_id") or metric.get("metric_name") or ""
    if name.startswith("ValueDrift("):
        fields = dict(p.split("=", 1) for p in name[len("ValueDrift("):-1].split(","))
        value, threshold = float(metric["value"]), float(fields["threshold"])
        pvalue = "p_value" in fields.get("method", "").lower() or "test" in fields.get("method", "").lower()
        verdicts[fields["column"]] = (value < threshold) if pvalue else (value >= threshold)
print(json.dumps({"seconds": seconds, "verdicts": verdicts}))
"""


def make(rows: int, shift: bool, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {f"n{i}": rng.normal(0.3 if shift and i < 5 else 0.0, 1.0, rows) for i in range(NUMERIC)}
    for i in range(CATEGORICAL):
        p = [0.3] + [0.1] * 7 if shift and i < 2 else None
        data[f"c{i}"] = rng.choice(LETTERS, rows, p=p)
    return pd.DataFrame(data)


def inputs(frame: pd.DataFrame) -> list[dict]:
    return [
        {"name": c, "kind": "float" if c.startswith("n") else "categorical"} for c in frame.columns
    ]


def part_modelyard(ref_path: str, cur_path: str) -> dict:
    from modelyard.monitoring.drift import compare_frames

    ref, cur = pd.read_parquet(ref_path), pd.read_parquet(cur_path)
    started = time.perf_counter()
    report = compare_frames(ref, cur, inputs(ref))
    return {
        "seconds": time.perf_counter() - started,
        "verdicts": {c.column: c.drifted for c in report.columns},
    }


def part_scipy(ref_path: str, cur_path: str) -> dict:
    from scipy import spatial, stats

    ref, cur = pd.read_parquet(ref_path), pd.read_parquet(cur_path)
    started = time.perf_counter()
    verdicts = {}
    for column in ref.columns:
        a, b = ref[column].dropna(), cur[column].dropna()
        if column.startswith("n"):
            value = stats.wasserstein_distance(a, b) / max(np.std(a), 0.001)
        else:
            keys = sorted(set(a) | set(b))
            p = a.value_counts().reindex(keys, fill_value=0).to_numpy() / len(a)
            q = b.value_counts().reindex(keys, fill_value=0).to_numpy() / len(b)
            value = spatial.distance.jensenshannon(p, q)
        verdicts[column] = bool(value >= 0.1)
    return {"seconds": time.perf_counter() - started, "verdicts": verdicts}


def part_log(folder: str, ref_path: str) -> dict:
    from modelyard.monitoring.drift import compare_frames
    from modelyard.monitoring.requests import read_request_log

    ref = pd.read_parquet(ref_path, columns=[f"n{i}" for i in range(5)] + ["c0", "c1", "c2"])
    started = time.perf_counter()
    rows = read_request_log(Path(folder), "m", 1)
    read = time.perf_counter() - started
    report = compare_frames(ref, rows.inputs, inputs(ref))
    return {
        "seconds": time.perf_counter() - started,
        "read_seconds": read,
        "rows": len(rows.ids),
        "drift_share": report.drift_share,
    }


def part_setup(home: str, ref_path: str) -> dict:
    """Untimed: import the reference (plus a target) as a dataset, train and register a model."""
    os.environ["MODELYARD_HOME"] = home
    from modelyard.datasets.service import import_file
    from modelyard.registry.service import register
    from modelyard.store import open_store
    from modelyard.training.jobs import create_run
    from modelyard.training.worker import train

    Path(home).mkdir(parents=True, exist_ok=True)
    train_path = f"{home}/train.parquet"
    ref = pd.read_parquet(ref_path)
    ref["target"] = np.where(ref["n0"] + ref["n5"] > 0, "yes", "no")
    ref.to_parquet(train_path)
    store = open_store()
    started = time.perf_counter()
    dataset = import_file(store, train_path, name="reference").version
    run = create_run(store, dataset, "target", "logistic_regression", {}, seed=0)
    if train(run.id) != 0:
        raise SystemExit("training the benchmark's model failed")
    register(store, run.id, "m")
    return {"seconds": time.perf_counter() - started}


def part_check(home: str, cur_path: str) -> dict:
    os.environ["MODELYARD_HOME"] = home
    from modelyard.monitoring.checks import check
    from modelyard.registry.service import get_model_version
    from modelyard.store import open_store

    store = open_store()
    version = get_model_version(store, "m", 1)
    started = time.perf_counter()
    result = check(store, version, data=cur_path, save=False)
    return {
        "seconds": time.perf_counter() - started,
        "verdicts": {c["column"]: c["drifted"] for c in result.report["columns"]},
    }


def write_log(folder: Path, frame: pd.DataFrame) -> None:
    columns = [f"n{i}" for i in range(5)] + ["c0", "c1", "c2"]
    records = frame[columns].to_dict("records")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "requests-2026-12-01.jsonl").open("w") as f:
        for i, record in enumerate(records):
            f.write(
                '{"type": "prediction", "time": "2026-12-01T10:00:00.000+00:00", '
                f'"request_id": "r{i}", "model": "m", "version": 1, "ids": ["r{i}-0"], '
                f'"inputs": [{json.dumps(record)}], "outputs": {{"predictions": ["yes"], '
                '"probabilities": [{"no": 0.3, "yes": 0.7}]}, "status": 200, "latency_ms": 1.2}\n'
            )


def child(command: list[str]) -> tuple[dict, float]:
    """Run a part in its own process: its JSON answer and its peak resident memory in MiB."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # reaped here, so its own rusage
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"{command[:3]} failed with exit code {code}")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--evidently", default="/tmp/evidently-venv/bin/python")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        print(
            json.dumps(
                {
                    "modelyard": part_modelyard,
                    "scipy": part_scipy,
                    "log": part_log,
                    "setup": part_setup,
                    "check": part_check,
                }[args.part](*args.paths)
            )
        )
        return
    with tempfile.TemporaryDirectory() as tmp:
        ref_path, cur_path = f"{tmp}/reference.parquet", f"{tmp}/current.parquet"
        make(args.rows, False, 1).to_parquet(ref_path)
        current = make(args.rows, True, 2)
        current.to_parquet(cur_path)
        me = [sys.executable, __file__, "--part"]
        results = {
            "Modelyard": child([*me, "modelyard", ref_path, cur_path]),
            "plain SciPy, same tests": child([*me, "scipy", ref_path, cur_path]),
        }
        setup, _ = child([*me, "setup", f"{tmp}/home", ref_path])
        print(
            f"(untimed setup: import, train and register on the reference: {setup['seconds']:.1f} s)"
        )
        results["Modelyard check(), end to end"] = child([*me, "check", f"{tmp}/home", cur_path])
        if Path(args.evidently).exists():
            results["Evidently DataDriftPreset"] = child(
                [args.evidently, "-c", EVIDENTLY, ref_path, cur_path]
            )
        else:
            print(f"Evidently skipped: {args.evidently} not found (see this script's docstring).")
        write_log(Path(tmp) / "log", current)
        log, log_mib = child([*me, "log", f"{tmp}/log", ref_path])
    ours = results["Modelyard"][0]
    print(
        f"\nDrift check of {args.rows:,} rows x {NUMERIC + CATEGORICAL} columns (reference and current), {os.cpu_count()} cores"
    )
    print(
        f"{'contender':30} {'seconds':>8} {'x Modelyard':>12} {'peak MiB':>9}  verdicts as Modelyard's"
    )
    for name, (result, mib) in results.items():
        same = sum(result["verdicts"].get(c) == v for c, v in ours["verdicts"].items())
        differ = [c for c, v in ours["verdicts"].items() if result["verdicts"].get(c) != v]
        print(
            f"{name:30} {result['seconds']:8.2f} {result['seconds'] / ours['seconds']:12.1f} {mib:9.0f}  "
            f"{same} of {len(ours['verdicts'])}{'  differ: ' + ', '.join(differ) if differ else ''}"
        )
    print(f"target: Modelyard < 3 s ({'met' if ours['seconds'] < 3 else 'missed'})")
    print(
        f"\nRequest log of {log['rows']:,} lines: read {log['read_seconds']:.2f} s, read and checked "
        f"{log['seconds']:.2f} s, peak {log_mib:.0f} MiB (target < 5 s: {'met' if log['seconds'] < 5 else 'missed'})"
    )


if __name__ == "__main__":
    main()
