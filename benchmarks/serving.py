"""Serving speed of an exported bundle (ONNX and scikit-learn paths) against bare FastAPI apps.

    PYTHONPATH=desktop .venv/bin/python benchmarks/serving.py [--requests 400] [--batches 10]
        [--rounds 3] [--kind logistic_regression]

One model on the sample churn data, exported once. Four apps run side by side, each in its own
uvicorn subprocess on 127.0.0.1 (one worker, `--log-level warning`):

  bare onnxruntime   FastAPI + onnxruntime alone: `await request.json()`, one tensor per column,
                     `session.run`, a JSONResponse. No validation, auth, metrics or log: the floor.
  bare scikit-learn  FastAPI + the skops model alone: `pd.DataFrame(records)`, predict and
                     predict_proba, a JSONResponse.
  bundle, onnx       the bundle's own app, MODELYARD_RUNTIME=onnx, with a token, the request log
  bundle, skops      (to a temporary folder), metrics and input validation all on.

Requests use one kept-alive HTTP connection per app. Measurement alternates between the apps in
`--rounds` rounds, so that a neighbour's load on a shared machine hits all of them alike. Prints
p50/p99 single-row latency, rows/s for 1,000-row requests, and each bundle path's ratios to its
bare peer (latency ×: lower is better, throughput ×: higher is better).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "benchmark-token"

BARE_ONNX = textwrap.dedent(
    """
    import json
    import numpy as np
    import onnxruntime
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    inputs = json.load(open("signature.json"))["inputs"]
    session = onnxruntime.InferenceSession(
        open("model.onnx", "rb").read(), providers=["CPUExecutionProvider"]
    )
    names = json.loads(session.get_modelmeta().custom_metadata_map["modelyard_input_names"])
    number = np.float64 if session.get_inputs()[0].type == "tensor(double)" else np.float32
    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request):
        records = (await request.json())["records"]
        feed = {}
        for column in inputs:
            name = column["name"]
            if column["kind"] in ("integer", "float"):
                values = np.array([r[name] for r in records], dtype=number)
            else:
                values = np.array([str(r[name]) for r in records], dtype=object)
            feed[names[name]] = values.reshape(-1, 1)
        labels, proba = session.run(None, feed)[:2]
        return JSONResponse({"predictions": labels.tolist(), "probabilities": proba.tolist()})
    """
)

BARE_SKLEARN = textwrap.dedent(
    """
    import pandas as pd
    import skops.io
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    data = open("model.skops", "rb").read()
    model = skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))
    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request):
        frame = pd.DataFrame((await request.json())["records"])
        return JSONResponse(
            {
                "predictions": model.predict(frame).tolist(),
                "probabilities": model.predict_proba(frame).tolist(),
            }
        )
    """
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def prepare(home: Path, kind: str):
    os.environ["MODELYARD_HOME"] = str(home / "home")
    from modelyard.datasets.service import import_file, load_frame
    from modelyard.deploy.bundle import export_bundle
    from modelyard.registry.service import register
    from modelyard.store import open_store
    from modelyard.training.jobs import create_run
    from modelyard.training.worker import train

    store = open_store()
    data = import_file(store, ROOT / "resources" / "samples" / "customer_churn.csv").version
    run = create_run(store, data, "churn", kind, {}, seed=0)
    train(run.id)
    version = register(store, run.id, "churn")
    bundle = export_bundle(store, version, home / "bundle")
    frame = load_frame(store, data).drop(columns=["churn"])
    records = json.loads(frame.to_json(orient="records"))
    store.close()
    return bundle, records


class App:
    def __init__(self, name: str, folder: Path, module: str, env: dict[str, str], token: str = ""):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.name, self.token = name, token
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", f"{module}:app", "--host", "127.0.0.1"]
            + ["--port", str(self.port), "--log-level", "warning", "--no-access-log"]
            + ["--timeout-keep-alive", "3600"],
            cwd=folder,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env},
        )
        self.latencies: list[float] = []
        self.batch_seconds = 0.0
        self.batch_rows = 0
        self.conn: http.client.HTTPConnection | None = None

    def wait(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request("GET", "/openapi.json", headers=self.headers())
                self.conn.getresponse().read()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} did not start") from None
                time.sleep(0.2)

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def post(self, body: str) -> None:
        assert self.conn is not None
        self.conn.request("POST", "/predict", body, self.headers())
        response = self.conn.getresponse()
        text = response.read()
        if response.status != 200:
            raise RuntimeError(f"{self.name} answered {response.status}: {text[:300]!r}")

    def measure(self, records: list[dict], requests: int, batches: int) -> None:
        singles = [json.dumps({"records": [records[i % len(records)]]}) for i in range(requests)]
        for body in singles[:20]:  # warm-up
            self.post(body)
        for body in singles:
            t0 = time.perf_counter()
            self.post(body)
            self.latencies.append((time.perf_counter() - t0) * 1000)
        batch = json.dumps({"records": records[:1000]})
        self.post(batch)
        t0 = time.perf_counter()
        for _ in range(batches):
            self.post(batch)
        self.batch_seconds += time.perf_counter() - t0
        self.batch_rows += batches * 1000

    def result(self) -> dict[str, float]:
        return {
            "p50": percentile(self.latencies, 50),
            "p99": percentile(self.latencies, 99),
            "rows/s": self.batch_rows / self.batch_seconds,
        }

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="single-row requests per round")
    parser.add_argument("--batches", type=int, default=10, help="1,000-row requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kind", default="logistic_regression", help="the trainer to export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as tmp:
        bundle, records = prepare(Path(tmp), args.kind)
        print(f"model: {args.kind} on customer_churn; {bundle.onnx_text()}")
        if not (bundle.path / "model.onnx").exists():
            sys.exit("this model has no ONNX graph; pick another --kind")
        (bundle.path / "bare_onnx.py").write_text(BARE_ONNX)
        (bundle.path / "bare_sklearn.py").write_text(BARE_SKLEARN)
        served = {"MODELYARD_API_TOKEN": TOKEN, "MODELYARD_REQUEST_LOG": str(Path(tmp) / "log")}
        apps = [
            App("bare onnxruntime", bundle.path, "bare_onnx", {}),
            App(
                "bundle, onnx", bundle.path, "serve", {**served, "MODELYARD_RUNTIME": "onnx"}, TOKEN
            ),
            App("bare scikit-learn", bundle.path, "bare_sklearn", {}),
            App(
                "bundle, skops",
                bundle.path,
                "serve",
                {
                    **served,
                    "MODELYARD_RUNTIME": "skops",
                    "MODELYARD_REQUEST_LOG": str(Path(tmp) / "log2"),
                },
                TOKEN,
            ),
        ]
        try:
            for app in apps:
                app.wait()
            for _ in range(args.rounds):
                for app in apps:
                    app.measure(records, args.requests, args.batches)
        finally:
            for app in apps:
                app.stop()
        logged = sum(
            len(f.read_text().splitlines()) for f in Path(tmp).glob("log*/requests-*.jsonl")
        )
    results = {app.name: app.result() for app in apps}
    print(f"{'':20} {'p50 ms':>8} {'p99 ms':>8} {'rows/s (1,000-row requests)':>28}")
    for name, r in results.items():
        print(f"{name:20} {r['p50']:8.2f} {r['p99']:8.2f} {r['rows/s']:28,.0f}")
    for path, bare in (
        ("bundle, onnx", "bare onnxruntime"),
        ("bundle, skops", "bare scikit-learn"),
    ):
        r, b = results[path], results[bare]
        print(
            f"{path} vs {bare}: p50 ×{r['p50'] / b['p50']:.2f}, p99 ×{r['p99'] / b['p99']:.2f}, "
            f"rows/s ×{r['rows/s'] / b['rows/s']:.2f}"
        )
    print(
        f"({args.rounds} rounds of {args.requests} single-row and {args.batches} 1,000-row "
        f"requests per app; the bundles logged {logged:,} request lines)"
    )


if __name__ == "__main__":
    main()
