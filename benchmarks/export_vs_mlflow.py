"""Register + export time and bundle size: Modelyard against MLflow's log_model +
`mlflow models generate-dockerfile`, for the same trained model, in the same run.

    .venv/bin/python benchmarks/export_vs_mlflow.py [--mlflow-venv /tmp/modelyard-mlflow-venv]

MLflow is never a Modelyard dependency: it is installed into its own virtual environment under
/tmp (created on the first run with pip: mlflow, skops and this scikit-learn version). If it
cannot be installed, the script says so and prints Modelyard's figures alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "customer_churn.csv"

MLFLOW_SIDE = r"""
import json, subprocess, sys, time
from pathlib import Path
import skops.io
import mlflow, mlflow.sklearn

model_file, work = Path(sys.argv[1]), Path(sys.argv[2])
model = skops.io.load(model_file, trusted=skops.io.get_untrusted_types(file=model_file))
mlflow.set_tracking_uri(f"sqlite:///{work}/mlflow.db")
result = {"mlflow": mlflow.__version__}
started = time.perf_counter()
with mlflow.start_run():
    try:
        info = mlflow.sklearn.log_model(model, name="model")
        result["format"] = "default"
    except Exception as exc:
        result["default_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        result["failed_default_s"] = time.perf_counter() - started
        started = time.perf_counter()  # time only the call that works
        info = mlflow.sklearn.log_model(model, name="model", serialization_format="cloudpickle")
        result["format"] = "cloudpickle (default failed)"
result["log_model_s"] = time.perf_counter() - started
out = work / "docker"
started = time.perf_counter()
cli = Path(sys.executable).with_name("mlflow")
done = subprocess.run([str(cli), "models", "generate-dockerfile", "-m", info.model_uri,
                       "-d", str(out)], capture_output=True, text=True)
result["generate_dockerfile_s"] = time.perf_counter() - started
result["generate_ok"] = done.returncode == 0
if done.returncode:
    result["generate_error"] = (done.stderr.strip().splitlines() or ["?"])[-1][:200]
result["size"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.exists() else 0
bundle, expected = Path(sys.argv[3]), json.loads(Path(sys.argv[4]).read_text())
try:
    import pandas as pd
    pyfunc = mlflow.pyfunc.load_model(str(bundle))
    rows = pd.read_csv(sys.argv[5]).head(len(expected)).drop(columns=["churn"])
    got = [v.item() if hasattr(v, "item") else v for v in pyfunc.predict(rows)]
    result["pyfunc"] = "loads and predicts the same" if got == expected else "predicts differently"
except Exception as exc:
    result["pyfunc"] = f"fails: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
print(json.dumps(result))
"""


def ensure_mlflow(venv: Path) -> tuple[Path | None, str]:
    python = venv / "bin" / "python"
    check = f"import mlflow, skops, sklearn; assert sklearn.__version__ == '{metadata.version('scikit-learn')}'"
    if (
        python.exists()
        and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0
    ):
        return python, ""
    print(f"Installing MLflow into {venv} (once)…", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "mlflow",
            "skops",
            f"scikit-learn=={metadata.version('scikit-learn')}",
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        lines = [ln for ln in done.stderr.splitlines() if "Location" not in ln]
        return None, (lines[-1] if lines else "pip failed")
    return python, ""


def modelyard_side(home: Path, kind: str) -> dict:
    os.environ["MODELYARD_HOME"] = str(home)
    from modelyard.datasets.service import import_file, load_frame
    from modelyard.deploy.bundle import export_bundle
    from modelyard.registry.service import model_bytes, predict, register
    from modelyard.store import open_store
    from modelyard.training.jobs import create_run
    from modelyard.training.worker import train

    store = open_store()
    data = import_file(store, ROOT / "resources" / "samples" / "customer_churn.csv").version
    params = {"n_estimators": 100} if kind == "random_forest" else {}
    run = create_run(store, data, "churn", kind, params, seed=0)
    train(run.id)
    started = time.perf_counter()
    version = register(store, run.id, kind)
    registered = time.perf_counter() - started
    bundle = export_bundle(store, version, home / f"bundle-{kind}")
    total = time.perf_counter() - started
    started = time.perf_counter()
    export_bundle(store, version, home / f"bundle-{kind}-no-onnx", onnx=False)
    no_onnx = time.perf_counter() - started
    model_file = home / f"{kind}.skops"
    model_file.write_bytes(model_bytes(store, version))
    frame = load_frame(store, data).head(20)
    expected = home / f"{kind}-expected.json"
    expected.write_text(json.dumps(predict(store, version, frame)["predictions"]))
    store.close()
    return {
        "register_s": registered,
        "register_export_s": total,
        "export_no_onnx_s": no_onnx,
        "size": bundle.size,
        "onnx": bundle.onnx_text(),
        "model_file": model_file,
        "bundle": bundle.path,
        "expected": expected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlflow-venv", default="/tmp/modelyard-mlflow-venv")
    args = parser.parse_args()
    python, problem = ensure_mlflow(Path(args.mlflow_venv))
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as tmp:
        for kind in ("logistic_regression", "random_forest"):
            ours = modelyard_side(Path(tmp) / kind, kind)
            print(f"\n{kind}")
            print(
                f"  Modelyard register + export  {ours['register_export_s']:6.2f} s "
                f"(export without ONNX {ours['export_no_onnx_s']:.2f} s), bundle "
                f"{ours['size'] / 1e6:.2f} MB; {ours['onnx']}"
            )
            if python is None:
                print(f"  MLflow: could not be installed here ({problem}); no comparison.")
                continue
            work = Path(tmp) / f"mlflow-{kind}"
            work.mkdir()
            done = subprocess.run(
                [
                    str(python),
                    "-c",
                    MLFLOW_SIDE,
                    str(ours["model_file"]),
                    str(work),
                    str(ours["bundle"]),
                    str(ours["expected"]),
                    str(SAMPLE),
                ],
                capture_output=True,
                text=True,
                cwd=work,
            )
            if done.returncode:
                print(f"  MLflow failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
                continue
            theirs = json.loads(done.stdout.strip().splitlines()[-1])
            total = theirs["log_model_s"] + theirs["generate_dockerfile_s"]
            print(
                f"  MLflow {theirs['mlflow']} log_model ({theirs['format']}) "
                f"{theirs['log_model_s']:.2f} s + generate-dockerfile "
                f"{theirs['generate_dockerfile_s']:.2f} s = {total:.2f} s, folder "
                f"{theirs['size'] / 1e6:.2f} MB"
            )
            if "default_error" in theirs:
                print(
                    f"  MLflow's default log_model failed after {theirs['failed_default_s']:.2f} s "
                    f"(not counted): {theirs['default_error']}"
                )
            if not theirs["generate_ok"]:
                print(f"  generate-dockerfile failed: {theirs.get('generate_error')}")
            print(f"  mlflow.pyfunc.load_model(Modelyard bundle): {theirs['pyfunc']}")
            print(f"  ratio: Modelyard is {total / ours['register_export_s']:.1f}× faster")


if __name__ == "__main__":
    main()
