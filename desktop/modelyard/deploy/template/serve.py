"""Serving app of a Modelyard deployment bundle.

Run it from this folder:  uvicorn serve:app --host 127.0.0.1 --port 8000

Environment:
  MODELYARD_API_TOKEN       when set, every path but /health and /ready (so /predict, /feedback,
                            /metadata, /metrics, /docs and /openapi.json) needs
                            `Authorization: Bearer <token>`; the probes stay open.
  MODELYARD_RUNTIME         `auto` (default: ONNX when model.onnx is here and onnxruntime is
                            installed, else skops), `skops` or `onnx`.
  MODELYARD_REQUEST_LOG     folder for the JSON-lines request log (default: ~/.modelyard-requests/
                            <model>-v<version>, never inside this bundle); `off` disables it.
  MODELYARD_REQUEST_LOG_MAX_BYTES  size at which a log file continues in a new part (256 MiB).
  MODELYARD_MAX_BODY_BYTES  largest request body accepted (default 33554432, 32 MiB).
  MODELYARD_MAX_ROWS        most rows in one /predict or /feedback request (default 100000).
  MODELYARD_PREDICT_TIMEOUT seconds one prediction may take before it is answered with 504
                            (default 30; small requests are predicted inline and not timed).
  MODELYARD_SERVE_ONLY      in an A/B bundle, `champion` or `challenger`: answer every request
                            with that version (kubernetes-split.yaml runs one Deployment each).
"""

import asyncio
import hashlib
import hmac
import io
import json
import logging
import os
import random
import re
import sys
import time
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import modelyard_runtime as runtime  # noqa: E402
import modelyard_schemas as schemas  # noqa: E402
import modelyard_serving as serving  # noqa: E402

SIGNATURE: dict[str, Any] = json.loads((HERE / "signature.json").read_text())
MANIFEST: dict[str, Any] = json.loads((HERE / "manifest.json").read_text())
MODEL, VERSION = MANIFEST["model"]["name"], MANIFEST["model"]["version"]
NAME = f"{MODEL} v{VERSION}"
OPEN_PATHS = ("/health", "/ready")
KNOWN_PATHS = (
    *OPEN_PATHS,
    "/predict",
    "/feedback",
    "/metadata",
    "/metrics",
    "/docs",
    "/openapi.json",
)
KEY_HEADER = "x-request-key"  # A/B bundles: the same key always reaches the same version
INLINE_BYTES = 16 * 1024  # bodies up to this size are predicted on the event loop: no thread hop
LOG = logging.getLogger("uvicorn.error")  # uvicorn prints it; without uvicorn, errors reach stderr


class State:
    model: Any = None
    runtime: str = ""
    load_error: str | None = None


class Refused(Exception):
    """A request answered with an error status and a sentence."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def _default_log_folder() -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{MODEL}-v{VERSION}").strip("-.") or "model"
    return Path.home() / ".modelyard-requests" / slug


METRICS = serving.Metrics()
REQUEST_LOG = serving.RequestLog(os.environ.get("MODELYARD_REQUEST_LOG"), _default_log_folder())
MODELS = schemas.build(SIGNATURE, serving.max_rows())


def _onnx_available(folder: Path = HERE) -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return (folder / "model.onnx").is_file()


def _load(folder: Path) -> tuple[Any, str]:
    """The model in `folder` and the runtime it runs on."""
    choice = os.environ.get("MODELYARD_RUNTIME", "auto").strip().lower()
    if choice == "onnx" or (choice == "auto" and _onnx_available(folder)):
        if not _onnx_available(folder):
            raise runtime.ModelLoadError(
                "ONNX was asked for, but model.onnx or onnxruntime is missing"
            )
        return runtime.OnnxModel((folder / "model.onnx").read_bytes(), SIGNATURE), "onnx"
    return runtime.load_model((folder / "model.skops").read_bytes()), "skops"


class Variant:
    """One model version this app serves, and its part: champion, challenger or shadow."""

    def __init__(self, version: int, role: str, model: Any, runtime_name: str) -> None:
        self.version, self.role, self.model, self.runtime = version, role, model, runtime_name


ROUTING: dict[str, Any] = MANIFEST.get("routing") or {}
VARIANTS: dict[str, Variant] = {}  # role → variant; the champion always, the others if exported
ROUTER = random.Random()  # splits requests without a key; tests seed it


def _load_model() -> None:
    try:
        State.model, State.runtime = _load(HERE)
        VARIANTS["champion"] = Variant(VERSION, "champion", State.model, State.runtime)
        for role in ("challenger", "shadow"):
            if role in ROUTING:
                version = int(ROUTING[role]["version"])
                model, kind = _load(HERE / "versions" / str(version))
                VARIANTS[role] = Variant(version, role, model, kind)
    except (OSError, runtime.ModelLoadError) as exc:
        State.model, State.load_error = None, str(exc)


def _route(key: str | None) -> Variant:
    """The champion, or the challenger for its percentage of requests: the same key always
    lands on the same version (a hash of the key), a request without one by chance."""
    only = os.environ.get("MODELYARD_SERVE_ONLY", "").strip().lower()
    if only in VARIANTS:  # one Deployment per version (kubernetes-split.yaml)
        return VARIANTS[only]
    challenger = VARIANTS.get("challenger")
    if challenger is None:
        return VARIANTS["champion"]
    if key:
        digest = hashlib.sha256(key.encode("utf-8", "replace")).digest()
        bucket = int.from_bytes(digest[:8], "big") % 10_000 / 100
    else:
        bucket = ROUTER.random() * 100
    return challenger if bucket < float(ROUTING["challenger"]["percent"]) else VARIANTS["champion"]


_load_model()  # before the first request: uvicorn serves only once this module is imported


@asynccontextmanager
async def lifespan(_app: FastAPI):
    yield
    await run_in_threadpool(REQUEST_LOG.close)  # a clean stop loses no log line


app = FastAPI(
    title=NAME, description="A model served from a Modelyard deployment bundle.", lifespan=lifespan
)


def _openapi() -> dict[str, Any]:
    """FastAPI's schema, plus this model's request and answer models as components."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=str(VERSION), description=app.description, routes=app.routes
        )
        schema.setdefault("components", {}).setdefault("schemas", {}).update(
            schemas.components(MODELS)
        )
        app.openapi_schema = schema
    return app.openapi_schema


app.openapi = _openapi


def _refusal(request: Request, status: int, detail: str) -> JSONResponse:
    LOG.info("%s %s answered %d: %s", request.method, request.url.path, status, detail)
    return JSONResponse({"detail": detail}, status_code=status)


@app.exception_handler(HTTPException)
async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return _refusal(request, exc.status_code, str(exc.detail))


@app.exception_handler(Exception)
async def server_error(request: Request, exc: Exception) -> JSONResponse:
    LOG.error("%s %s answered 500", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "the server failed on this request; see its log"}, 500)


UNAUTHORIZED = (
    b'{"detail":"Send the API token as \'Authorization: Bearer <token>\'."}',
    [
        (b"content-type", b"application/json"),
        (b"www-authenticate", b"Bearer"),
    ],
)


class GuardAndMeasure:
    """The token check and the request metrics, as plain ASGI: no per-request task or copy of
    the body, which Starlette's `@app.middleware("http")` costs."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        token = os.environ.get("MODELYARD_API_TOKEN", "")
        if token and path not in OPEN_PATHS:
            given = b""
            for name, value in scope["headers"]:
                if name == b"authorization":
                    given = value[7:] if value[:7].lower() == b"bearer " else b""
                    break
            if not hmac.compare_digest(given, token.encode()):
                body, headers = UNAUTHORIZED
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [*headers, (b"content-length", str(len(body)).encode())],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                known = path if path in KNOWN_PATHS else "other"
                METRICS.observe(scope["method"], known, 401, time.perf_counter() - started)
                return
        status = 500

        async def send_and_note(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.inner(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", "other")
            METRICS.observe(scope["method"], route, status, time.perf_counter() - started)


app.add_middleware(GuardAndMeasure)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/ready")
def ready() -> JSONResponse:
    if State.model is None:
        reason = State.load_error or "the model is still loading"
        return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
    answer = {"status": "ready", "model": NAME, "runtime": State.runtime}
    if len(VARIANTS) > 1:
        answer["versions"] = {role: v.version for role, v in VARIANTS.items()}
    return JSONResponse(answer)


@app.get("/metadata")
def metadata() -> dict[str, Any]:
    return {
        "model": MANIFEST["model"],
        "lineage": MANIFEST["lineage"],
        "signature": SIGNATURE,
        "runtime": State.runtime,
        "onnx": MANIFEST.get("onnx"),
        "routing": ROUTING or None,
    }


@app.get("/metrics", response_class=Response)
def metrics() -> Response:
    return Response(METRICS.render(), media_type=serving.prometheus_client.CONTENT_TYPE_LATEST)


def _too_many(n: int, limit: int) -> Refused:
    return Refused(413, f"the body has {n:,} rows; this server takes at most {limit:,} per request")


def _read_csv(body: bytes, limit: int, **options: Any) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(body), nrows=limit + 1, **options)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OverflowError) as exc:
        raise Refused(422, "the body is not readable CSV with a header row") from exc
    if frame.empty:
        raise Refused(422, "the CSV body has a header but no rows")
    if len(frame) > limit:
        raise _too_many(len(frame), limit)  # read no further than one row past the limit
    return frame


def _records(body: bytes, limit: int, shape: str) -> list[Any]:
    try:
        payload = serving.loads(body)
    except RecursionError as exc:
        raise Refused(422, "the JSON body is nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(422, f"the body is not valid JSON ({exc})") from exc
    if not isinstance(payload, dict) or "records" not in payload:
        raise Refused(422, f"send {shape} or a CSV body")
    records = payload["records"]
    if not isinstance(records, list) or not records:
        raise Refused(422, "'records' must be a non-empty list of objects")
    if len(records) > limit:
        raise _too_many(len(records), limit)
    return records


def _features(body: bytes, content_type: str, onnx: bool) -> tuple[Any, dict[str, Any]]:
    """The rows as the model takes them, and their checked columns for the log.

    JSON records go straight from Python lists into typed columns (no DataFrame round-trip);
    the ONNX graph is fed from those columns and scikit-learn gets one DataFrame over them."""
    limit = serving.max_rows()
    try:
        if content_type.startswith("text/csv"):
            frame = runtime.prepare_features(_read_csv(body, limit), SIGNATURE["inputs"])
            return frame, {name: frame[name].to_numpy() for name in frame.columns}
        records = _records(body, limit, '{"records": [{column: value, ...}, ...]}')
        columns = runtime.records_to_columns(records, SIGNATURE["inputs"])
        return (columns if onnx else runtime.columns_frame(columns)), columns
    except runtime.InputError as exc:
        raise Refused(422, str(exc)) from exc
    except OverflowError as exc:
        raise Refused(422, "a number in the body is too large for the model") from exc
    except (ValueError, TypeError) as exc:
        raise Refused(422, f"the rows cannot be read: {exc}") from exc


def _predict(variant: Variant, features: Any) -> dict[str, Any]:
    try:
        return runtime.predict(variant.model, features, SIGNATURE)
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a category never seen in training
        raise Refused(422, f"the model cannot predict these rows: {exc}") from exc


def _answer(
    body: bytes, content_type: str, request_id: str, variant: Variant
) -> tuple[bytes, dict[str, Any]]:
    """Parse and predict with `variant`: the response text and the log entry's fields."""
    if State.model is None:
        raise Refused(503, State.load_error or "the model is still loading")
    features, columns = _features(body, content_type, variant.runtime == "onnx")
    result = _predict(variant, features)
    n = len(result["predictions"])
    ids = [f"{request_id}-{i}" for i in range(n)]
    METRICS.add_rows(predicted=n, version=variant.version, role=variant.role)
    text = serving.dumps_bytes(
        {**result, "request_id": request_id, "ids": ids, "version": variant.version}
    )
    logged = {"ids": ids, "inputs": serving.Columns(columns), "outputs": result}
    if "shadow" in VARIANTS:
        logged["shadow_features"] = (
            features if variant.runtime == VARIANTS["shadow"].runtime else None
        )
    return text, logged


def _shadow(entry: dict[str, Any], features: Any, columns: Any) -> None:
    """The shadow version's answer to a request already answered: logged, never returned."""
    shadow = VARIANTS["shadow"]
    if features is None:  # the shadow runs on the other runtime: its own view of the columns
        data = columns.columns
        features = data if shadow.runtime == "onnx" else runtime.columns_frame(data)
    started = time.perf_counter()
    line = {
        "type": "shadow",
        "time": entry["time"],
        "request_id": entry["request_id"],
        "model": MODEL,
        "version": shadow.version,
        "role": "shadow",
        "answered_by": entry["version"],
    }
    try:
        line.update(outputs=_predict(shadow, features), status=200)
        METRICS.add_rows(
            predicted=len(line["outputs"]["predictions"]), version=shadow.version, role="shadow"
        )
    except Refused as exc:
        line.update(status=exc.status, error=exc.detail)
    except Exception as exc:  # noqa: BLE001 - a failing shadow never touches the real answer
        line.update(status=500, error=f"{type(exc).__name__}: {exc}")
    line["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
    REQUEST_LOG.write(line)


async def _off_the_loop(function: Any, *args: Any) -> Any:
    """`function` in a worker thread, answered with 504 past MODELYARD_PREDICT_TIMEOUT."""
    limit = serving.predict_seconds()
    try:
        return await asyncio.wait_for(run_in_threadpool(function, *args), limit)
    except TimeoutError as exc:  # the thread finishes on its own; its answer is dropped
        raise Refused(
            504,
            f"the prediction took longer than {limit} second{'s' if limit != 1 else ''} "
            "(MODELYARD_PREDICT_TIMEOUT); "
            "send fewer rows per request",
        ) from exc


def _body(model: str, text_example: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}},
            "text/csv": {"schema": {"type": "string", "example": text_example}},
        },
    }


PROBLEM = {"model": MODELS["Problem"]}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**PROBLEM, "description": "The API token is missing or wrong."},
    413: {**PROBLEM, "description": "The body or its number of rows is over the server's limit."},
    422: {**PROBLEM, "description": "The body does not fit; the detail says why."},
}
CSV_HEADER = ",".join(c["name"] for c in SIGNATURE["inputs"])


@app.post(
    "/predict",
    openapi_extra={"requestBody": _body("PredictRequest", CSV_HEADER + "\n...")},
    responses={
        200: {"model": MODELS["PredictResponse"], "description": "One answer per row."},
        **ERRORS,
        503: {**PROBLEM, "description": "The model is not loaded."},
        504: {**PROBLEM, "description": "The prediction took longer than the server allows."},
    },
    response_class=Response,
)
async def predict(request: Request) -> Response:
    started = time.perf_counter()
    entry: dict[str, Any] = {
        "type": "prediction",
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": uuid.uuid4().hex,
        "model": MODEL,
        "version": VERSION,
    }
    seen = bytearray()
    try:
        body = await serving.read_body(request, serving.max_body_bytes(), seen)
        headers = request.headers
        content_type = headers.get("content-type", "")
        variant = VARIANTS.get("champion") if len(VARIANTS) < 2 else _route(headers.get(KEY_HEADER))
        if variant is None:
            raise Refused(503, State.load_error or "the model is still loading")
        entry.update(version=variant.version, role=variant.role)
        args = (body, content_type, entry["request_id"], variant)
        if len(body) <= INLINE_BYTES:  # a few rows: microseconds, cheaper than a thread hop
            text, logged = _answer(*args)
        else:
            text, logged = await _off_the_loop(_answer, *args)
        shadow_features = logged.pop("shadow_features", None)
        entry.update(logged, status=200)
        background = None
        if "shadow" in VARIANTS:  # after the answer is sent, off the event loop
            background = BackgroundTask(_shadow, entry, shadow_features, logged["inputs"])
        return Response(text, media_type="application/json", background=background)
    except serving.TooLarge as exc:
        entry.update(status=413, error=str(exc))
        return _refusal(request, 413, str(exc))
    except Refused as exc:
        entry.update(status=exc.status, error=exc.detail)
        return _refusal(request, exc.status, exc.detail)
    except Exception as exc:
        entry.update(status=500, error=f"{type(exc).__name__}: {exc}")
        return await server_error(request, exc)
    finally:
        if entry["status"] != 200:
            entry["body"] = seen[: serving.LOGGED_BODY_CHARS * 4].decode("utf-8", "replace")[
                : serving.LOGGED_BODY_CHARS
            ]
        entry["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        REQUEST_LOG.write(entry)


def _label(value: Any) -> bool:
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    return isinstance(value, str | int | bool)


def _feedback(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """The {id, label} pairs of a feedback body (in a worker thread), or a 422 saying why not."""
    limit = serving.max_rows()
    if content_type.startswith("text/csv"):
        frame = _read_csv(body, limit, dtype={"id": str})
        missing = [c for c in ("id", "label") if c not in frame.columns]
        if missing:
            raise Refused(
                422, f"the CSV body needs the columns id and label; missing: {', '.join(missing)}"
            )
        records = serving.frame_records(frame[["id", "label"]])
    else:
        records = _records(body, limit, '{"records": [{"id": ..., "label": ...}, ...]}')
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise Refused(422, f"record {n} must be an object with an id and a label")
        if not isinstance(record.get("id"), str) or not record["id"]:
            raise Refused(
                422, f"record {n} needs an 'id': the row id string from a /predict answer"
            )
        if not _label(record.get("label")):
            raise Refused(422, f"record {n} needs a 'label': a string, number or true/false")
    return [{"id": r["id"], "label": r["label"]} for r in records]


@app.post(
    "/feedback",
    openapi_extra={"requestBody": _body("FeedbackRequest", "id,label\n...")},
    responses={200: {"model": MODELS["FeedbackResponse"]}, **ERRORS},
)
async def feedback(request: Request) -> dict[str, int]:
    try:
        body = await serving.read_body(request, serving.max_body_bytes(), bytearray())
        records = await _off_the_loop(_feedback, body, request.headers.get("content-type", ""))
    except serving.TooLarge as exc:
        raise HTTPException(413, str(exc)) from exc
    except Refused as exc:
        raise HTTPException(exc.status, exc.detail) from exc
    REQUEST_LOG.write(
        {
            "type": "feedback",
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "model": MODEL,
            "version": VERSION,
            "records": records,
        }
    )
    METRICS.add_rows(feedback=len(records))
    return {"accepted": len(records)}
