"""Serving app of a Modelyard deployment bundle.

Run it from this folder:  uvicorn serve:app --host 127.0.0.1 --port 8000

Environment:
  MODELYARD_API_TOKEN    when set, /predict, /metadata and /metrics need
                         `Authorization: Bearer <token>`; /health and /ready stay open for probes.
  MODELYARD_RUNTIME      `auto` (default: ONNX when model.onnx is here and onnxruntime is
                         installed, else skops), `skops` or `onnx`.
  MODELYARD_REQUEST_LOG  folder for the JSON-lines request log (default: ~/.modelyard-requests/
                         <model>-v<version>, never inside this bundle); `off` disables it.
"""

import hmac
import io
import json
import os
import re
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import modelyard_runtime as runtime  # noqa: E402

SIGNATURE: dict[str, Any] = json.loads((HERE / "signature.json").read_text())
MANIFEST: dict[str, Any] = json.loads((HERE / "manifest.json").read_text())
NAME = f"{MANIFEST['model']['name']} v{MANIFEST['model']['version']}"
OPEN_PATHS = ("/health", "/ready", "/docs", "/openapi.json")
KNOWN_PATHS = (*OPEN_PATHS, "/predict", "/metadata", "/metrics")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class State:
    model: Any = None
    runtime: str = ""
    load_error: str | None = None


class Metrics:
    """Counters in Prometheus text format, with no dependency beyond the standard library."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.buckets: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = {}
        self.latency_count: dict[str, int] = {}
        self.rows = 0
        self.errors: dict[str, int] = {}

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        with self.lock:
            key = (method, path, status)
            self.requests[key] = self.requests.get(key, 0) + 1
            counts = self.buckets.setdefault(path, [0] * len(LATENCY_BUCKETS))
            for i, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            self.latency_sum[path] = self.latency_sum.get(path, 0.0) + seconds
            self.latency_count[path] = self.latency_count.get(path, 0) + 1
            if status >= 400:
                kind = "client" if status < 500 else "server"
                self.errors[kind] = self.errors.get(kind, 0) + 1

    def render(self) -> str:
        lines = [
            "# HELP modelyard_requests_total HTTP requests by method, path and status.",
            "# TYPE modelyard_requests_total counter",
        ]
        with self.lock:
            for (method, path, status), n in sorted(self.requests.items()):
                lines.append(
                    f'modelyard_requests_total{{method="{method}",path="{path}",status="{status}"}} {n}'
                )
            lines += [
                "# HELP modelyard_request_duration_seconds Request latency.",
                "# TYPE modelyard_request_duration_seconds histogram",
            ]
            for path, counts in sorted(self.buckets.items()):
                for bound, n in zip(LATENCY_BUCKETS, counts, strict=True):
                    lines.append(
                        f'modelyard_request_duration_seconds_bucket{{path="{path}",le="{bound}"}} {n}'
                    )
                total = self.latency_count[path]
                lines.append(
                    f'modelyard_request_duration_seconds_bucket{{path="{path}",le="+Inf"}} {total}'
                )
                lines.append(
                    f'modelyard_request_duration_seconds_sum{{path="{path}"}} {self.latency_sum[path]:.6f}'
                )
                lines.append(f'modelyard_request_duration_seconds_count{{path="{path}"}} {total}')
            lines += [
                "# HELP modelyard_request_errors_total Requests answered with an error status.",
                "# TYPE modelyard_request_errors_total counter",
            ]
            for kind in ("client", "server"):
                lines.append(
                    f'modelyard_request_errors_total{{kind="{kind}"}} {self.errors.get(kind, 0)}'
                )
            lines += [
                "# HELP modelyard_predicted_rows_total Rows predicted.",
                "# TYPE modelyard_predicted_rows_total counter",
                f"modelyard_predicted_rows_total {self.rows}",
            ]
        return "\n".join(lines) + "\n"


class RequestLog:
    """Appends one JSON line per prediction request: inputs, outputs, status and latency."""

    def __init__(self, setting: str | None) -> None:
        self.lock = threading.Lock()
        if setting and setting.strip().lower() == "off":
            self.folder = None
            return
        if setting:
            self.folder = Path(setting).expanduser()
        else:
            slug = re.sub(r"[^A-Za-z0-9._-]+", "-", NAME.replace(" v", "-v")).strip("-.") or "model"
            self.folder = Path.home() / ".modelyard-requests" / slug

    def write(self, entry: dict[str, Any]) -> None:
        if self.folder is None:
            return
        line = json.dumps(entry, default=str)
        path = self.folder / f"requests-{datetime.now(UTC):%Y-%m-%d}.jsonl"
        try:
            with self.lock:
                self.folder.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")
        except OSError as exc:  # a full disk must not stop predictions; say so on stderr
            print(f"modelyard: cannot write the request log {path}: {exc}", file=sys.stderr)


METRICS = Metrics()
REQUEST_LOG = RequestLog(os.environ.get("MODELYARD_REQUEST_LOG"))


def _onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return (HERE / "model.onnx").is_file()


def _load_model() -> None:
    choice = os.environ.get("MODELYARD_RUNTIME", "auto").strip().lower()
    try:
        if choice == "onnx" or (choice == "auto" and _onnx_available()):
            if not _onnx_available():
                raise runtime.ModelLoadError(
                    "ONNX was asked for, but model.onnx or onnxruntime is missing"
                )
            State.model = runtime.OnnxModel((HERE / "model.onnx").read_bytes(), SIGNATURE)
            State.runtime = "onnx"
        else:
            State.model = runtime.load_model((HERE / "model.skops").read_bytes())
            State.runtime = "skops"
    except (OSError, runtime.ModelLoadError) as exc:
        State.load_error = str(exc)


_load_model()  # before the first request: uvicorn serves only once this module is imported


app = FastAPI(title=NAME, description="A model served from a Modelyard deployment bundle.")


@app.middleware("http")
async def guard_and_measure(request: Request, call_next):
    started = time.perf_counter()
    token = os.environ.get("MODELYARD_API_TOKEN", "")
    if token and request.url.path not in OPEN_PATHS:
        header = request.headers.get("authorization", "")
        given = header[7:] if header.lower().startswith("bearer ") else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            response = JSONResponse(
                {"detail": "Send the API token as 'Authorization: Bearer <token>'."},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            path = request.url.path if request.url.path in KNOWN_PATHS else "other"
            METRICS.observe(request.method, path, 401, time.perf_counter() - started)
            return response
    response = await call_next(request)
    route = request.scope.get("route")
    path = getattr(route, "path", "other")
    METRICS.observe(request.method, path, response.status_code, time.perf_counter() - started)
    return response


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/ready")
def ready() -> JSONResponse:
    if State.model is None:
        reason = State.load_error or "the model is still loading"
        return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ready", "model": NAME, "runtime": State.runtime})


@app.get("/metadata")
def metadata() -> dict[str, Any]:
    return {
        "model": MANIFEST["model"],
        "lineage": MANIFEST["lineage"],
        "signature": SIGNATURE,
        "runtime": State.runtime,
        "onnx": MANIFEST.get("onnx"),
    }


@app.get("/metrics", response_class=PlainTextResponse)
def metrics() -> PlainTextResponse:
    return PlainTextResponse(METRICS.render(), media_type="text/plain; version=0.0.4")


def _read_rows(body: bytes, content_type: str) -> pd.DataFrame:
    if content_type.startswith("text/csv"):
        try:
            frame = pd.read_csv(io.BytesIO(body))
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise runtime.InputError("the body is not readable CSV with a header row") from exc
        if frame.empty:
            raise runtime.InputError("the CSV body has a header but no rows")
        return runtime.prepare_features(frame, SIGNATURE["inputs"])
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise runtime.InputError("the body is not valid JSON") from exc
    if not isinstance(payload, dict) or "records" not in payload:
        raise runtime.InputError('send {"records": [{column: value, ...}, ...]} or a CSV body')
    return runtime.records_to_frame(payload["records"], SIGNATURE["inputs"])


@app.post("/predict")
async def predict(request: Request) -> dict[str, Any]:
    started = time.perf_counter()
    entry: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": uuid.uuid4().hex,
        "model": MANIFEST["model"]["name"],
        "version": MANIFEST["model"]["version"],
    }
    body = await request.body()
    try:
        if State.model is None:
            raise HTTPException(503, detail=State.load_error or "the model is still loading")
        try:
            features = _read_rows(body, request.headers.get("content-type", ""))
        except runtime.InputError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        entry["inputs"] = json.loads(features.to_json(orient="records"))
        try:
            result = runtime.predict(State.model, features, SIGNATURE)
        except ValueError as exc:  # e.g. a category the model never saw, with no fallback
            raise HTTPException(422, detail=f"the model cannot predict these rows: {exc}") from exc
        METRICS.rows += len(features)
        entry.update(status=200, outputs=result)
        return result
    except HTTPException as exc:
        entry.update(status=exc.status_code, error=exc.detail)
        entry.setdefault("inputs", body.decode("utf-8", "replace")[:10_000])
        raise
    finally:
        entry["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        REQUEST_LOG.write(entry)
