"""Serving speed of an exported bundle (native skops and ONNX) against in-process model.predict.

    .venv/bin/python benchmarks/serving.py [--requests 300] [--batches 10]

One logistic-regression model on the sample churn data, exported once. The bundle's app runs in
a uvicorn subprocess on 127.0.0.1, once per runtime; requests use one kept-alive HTTP
connection. The baseline is the same model's `predict` (through the bundle's own feature
preparation) called in this process, with no HTTP. Prints p50/p99 single-row latency, rows/s
for 1,000-row batches, and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def prepare(home: Path):
    os.environ["MODELYARD_HOME"] = str(home)
    from modelyard.datasets.service import import_file, load_frame
    from modelyard.deploy.bundle import export_bundle
    from modelyard.registry.service import register
    from modelyard.store import open_store
    from modelyard.training.jobs import create_run
    from modelyard.training.worker import train

    store = open_store()
    data = import_file(store, ROOT / "resources" / "samples" / "customer_churn.csv").version
    run = create_run(store, data, "churn", "logistic_regression", {}, seed=0)
    train(run.id)
    version = register(store, run.id, "churn")
    bundle = export_bundle(store, version, home / "bundle")
    frame = load_frame(store, data).drop(columns=["churn"])
    return store, version, bundle, frame


def in_process(store, version, frame, requests: int, batches: int) -> dict[str, float]:
    from modelyard.registry import runtime
    from modelyard.registry.service import load_model

    model = load_model(store, version)
    inputs = version.signature["inputs"]
    records = json.loads(frame.to_json(orient="records"))
    latencies = []
    for i in range(requests):
        t0 = time.perf_counter()
        runtime.predict(
            model, runtime.records_to_frame([records[i % len(records)]], inputs), version.signature
        )
        latencies.append((time.perf_counter() - t0) * 1000)
    batch = records[:1000]
    t0 = time.perf_counter()
    for _ in range(batches):
        runtime.predict(model, runtime.records_to_frame(batch, inputs), version.signature)
    rows_per_s = batches * len(batch) / (time.perf_counter() - t0)
    return {
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "rows/s": rows_per_s,
    }


def served(bundle: Path, runtime_name: str, frame, requests: int, batches: int) -> dict[str, float]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, MODELYARD_RUNTIME=runtime_name, MODELYARD_REQUEST_LOG="off")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "serve:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=bundle,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/ready")
                answer = json.loads(conn.getresponse().read())
                if answer.get("runtime") == runtime_name:
                    break
            except (ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        records = json.loads(frame.to_json(orient="records"))
        headers = {"Content-Type": "application/json"}

        def post(rows) -> None:
            conn.request("POST", "/predict", json.dumps({"records": rows}), headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status

        for i in range(20):  # warm-up
            post([records[i]])
        latencies = []
        for i in range(requests):
            t0 = time.perf_counter()
            post([records[i % len(records)]])
            latencies.append((time.perf_counter() - t0) * 1000)
        batch = records[:1000]
        t0 = time.perf_counter()
        for _ in range(batches):
            post(batch)
        rows_per_s = batches * len(batch) / (time.perf_counter() - t0)
        return {
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "rows/s": rows_per_s,
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as tmp:
        store, version, bundle, frame = prepare(Path(tmp))
        print(f"model: {version.label} (logistic_regression), {bundle.onnx_text()}")
        results = {
            "in-process predict": in_process(store, version, frame, args.requests, args.batches)
        }
        results["bundle, skops"] = served(bundle.path, "skops", frame, args.requests, args.batches)
        if (bundle.path / "model.onnx").exists():
            results["bundle, onnx"] = served(
                bundle.path, "onnx", frame, args.requests, args.batches
            )
        store.close()
    base = results["in-process predict"]
    print(f"{'':22} {'p50 ms':>8} {'p99 ms':>8} {'rows/s (1,000-row batches)':>28}  vs in-process")
    for name, r in results.items():
        ratio = (
            f"p50 ×{r['p50'] / base['p50']:.1f}, rows/s ×{r['rows/s'] / base['rows/s']:.2f}"
            if r is not base
            else "baseline"
        )
        print(f"{name:22} {r['p50']:8.2f} {r['p99']:8.2f} {r['rows/s']:28,.0f}  {ratio}")
    print(f"({args.requests} single-row requests, {args.batches} batches of 1,000 rows, one run)")


if __name__ == "__main__":
    main()
