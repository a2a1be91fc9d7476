"""Evaluation time: `modelyard evaluate` against MLflow's `mlflow.models.evaluate`, for the same
trained model on the same rows, in the same run.

    PYTHONPATH=desktop .venv/bin/python benchmarks/evaluate.py [--mlflow-venv /tmp/mlflow-venv]

Two cases, both random forests (100 trees) with 30 numeric columns:
  * 114 rows: scikit-learn's breast-cancer data (569 rows), evaluated on the run's own 20 %
    holdout — the case that used to take 23 s;
  * 10,000 rows: a synthetic classification set; the model trains on 2,000 rows and is
    evaluated on another dataset version of 10,000 rows.

Modelyard is timed twice: `evaluate()` in this process, and `modelyard evaluate` end to end in a
fresh process (Python start-up and imports included), which is what a user waits for. MLflow is
never a Modelyard dependency: it runs from its own virtual environment (created on the first
run with pip: mlflow, skops and this scikit-learn version; or make it yourself with
`python -m venv /tmp/mlflow-venv && /tmp/mlflow-venv/bin/pip install mlflow skops
scikit-learn==<this version>`). Without it, the script says why and prints Modelyard's figures
alone. MLflow's time counts `mlflow.models.evaluate` only (not logging the model first).
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

from export_vs_mlflow import ensure_mlflow  # MLflow in its own venv, installed once

ROOT = Path(__file__).resolve().parents[1]

MLFLOW_SIDE = r"""
import json, sys, time, warnings
from pathlib import Path
warnings.filterwarnings("ignore")
import pandas as pd, skops.io
import mlflow, mlflow.sklearn

model_file, data_file, target, work = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
model = skops.io.load(model_file, trusted=skops.io.get_untrusted_types(file=model_file))
data = pd.read_csv(data_file)
mlflow.set_tracking_uri(f"sqlite:///{work}/mlflow.db")
result = {"mlflow": mlflow.__version__}
with mlflow.start_run():
    info = mlflow.sklearn.log_model(model, name="model", serialization_format="cloudpickle")
    started = time.perf_counter()
    out = mlflow.models.evaluate(info.model_uri, data, targets=target, model_type="classifier")
    result["evaluate_s"] = time.perf_counter() - started
result["metrics"] = {k: out.metrics[k] for k in ("accuracy_score", "f1_score") if k in out.metrics}
print(json.dumps(result))
"""


def write_cases(folder: Path) -> dict[str, dict]:
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_breast_cancer, make_classification

    cancer = load_breast_cancer(as_frame=True).frame
    cancer.columns = [c.replace(" ", "_") for c in cancer.columns]
    cancer.to_csv(folder / "cancer.csv", index=False)
    x, y = make_classification(
        n_samples=12_000, n_features=30, n_informative=12, random_state=0, flip_y=0.05
    )
    big = pd.DataFrame(x, columns=[f"f{i:02d}" for i in range(30)]).round(5)
    big["label"] = np.where(y == 1, "yes", "no")
    big.iloc[:2000].to_csv(folder / "big_train.csv", index=False)
    big.iloc[2000:].to_csv(folder / "big_eval.csv", index=False)
    return {
        "114 rows (holdout of 569)": {
            "train": folder / "cancer.csv",
            "target": "target",
            "eval": None,
        },
        "10,000 rows": {
            "train": folder / "big_train.csv",
            "target": "label",
            "eval": folder / "big_eval.csv",
        },
    }


def modelyard_side(home: Path, case: dict) -> dict:
    os.environ["MODELYARD_HOME"] = str(home)
    from modelyard.datasets.service import import_file
    from modelyard.registry.evaluation import evaluate, holdout_rows
    from modelyard.registry.service import model_bytes, register
    from modelyard.store import open_store

    try:  # where trainer runs are created (moved from tracking to training in issue 14)
        from modelyard.training.jobs import create_run
    except ImportError:
        from modelyard.training.jobs import create_run
    from modelyard.training.worker import train

    store = open_store()
    data = import_file(store, case["train"]).version
    run = create_run(store, data, case["target"], "random_forest", {}, seed=0)
    train(run.id)
    version = register(store, run.id, "bench")
    dataset = None
    if case["eval"] is not None:
        dataset = import_file(store, case["eval"], "bench_eval").version.label
    evaluate(store, version, dataset)  # warm: imports and the store's first reads
    started = time.perf_counter()
    result = evaluate(store, version, dataset)
    in_process = time.perf_counter() - started
    model_file = home / "model.skops"
    model_file.write_bytes(model_bytes(store, version))
    rows = home / "rows.csv"
    if dataset is None:
        frame, _y, _label = holdout_rows(store, version)
        frame.to_csv(rows, index=False)
    else:
        rows = case["eval"]
    store.close()
    env = dict(os.environ, MODELYARD_HOME=str(home), PYTHONPATH=str(ROOT / "desktop"))
    command = [sys.executable, "-m", "modelyard", "evaluate", "bench:1"]
    if dataset:
        command += ["--dataset", dataset]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    end_to_end = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"modelyard evaluate failed: {done.stderr.strip()}")
    return {
        "in_process_s": in_process,
        "cli_s": end_to_end,
        "rows": result.n_rows,
        "accuracy": result.metrics["accuracy"],
        "f1_macro": result.metrics["f1_macro"],
        "importance": result.importance_note,
        "shap": (
            f"SHAP {result.explanations['method']} on {result.explanations['rows']} rows"
            if result.explanations.get("rows")
            else result.explanations.get("note", "no SHAP")
        ),
        "model_file": model_file,
        "rows_file": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlflow-venv", default="/tmp/mlflow-venv")
    parser.add_argument("--no-mlflow", action="store_true", help="Modelyard's figures only")
    args = parser.parse_args()
    python, problem = (
        (None, "--no-mlflow") if args.no_mlflow else ensure_mlflow(Path(args.mlflow_venv))
    )
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as tmp:
        cases = write_cases(Path(tmp))
        for title, case in cases.items():
            home = Path(tmp) / title.split()[0].replace(",", "")
            ours = modelyard_side(home, case)
            print(f"\n{title}, 30 columns, random forest")
            print(
                f"  Modelyard evaluate()          {ours['in_process_s']:6.2f} s in process; "
                f"`modelyard evaluate` end to end {ours['cli_s']:.2f} s "
                f"({ours['rows']:,} rows, accuracy {ours['accuracy']:.4f})"
            )
            print(
                f"    metrics, per-class, curves, bootstrap intervals, worst rows, {ours['importance']}; {ours['shap']}"
            )
            if python is None:
                print(f"  MLflow: not available ({problem}); no comparison.")
                continue
            work = home / "mlflow"
            work.mkdir()
            done = subprocess.run(
                [
                    str(python),
                    "-c",
                    MLFLOW_SIDE,
                    str(ours["model_file"]),
                    str(ours["rows_file"]),
                    case["target"],
                    str(work),
                ],
                capture_output=True,
                text=True,
                cwd=work,
            )
            if done.returncode:
                print(f"  MLflow failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
                continue
            theirs = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"  MLflow {theirs['mlflow']} mlflow.models.evaluate  {theirs['evaluate_s']:6.2f} s "
                f"(metrics {json.dumps({k: round(v, 4) for k, v in theirs['metrics'].items()})})"
            )
            print(
                f"  ratio: MLflow / Modelyard in process {theirs['evaluate_s'] / ours['in_process_s']:.1f}×, "
                f"MLflow / `modelyard evaluate` end to end {theirs['evaluate_s'] / ours['cli_s']:.1f}×"
            )


if __name__ == "__main__":
    main()
