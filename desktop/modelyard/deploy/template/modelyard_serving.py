"""The plumbing of a bundle's serving app: limits, JSON in and out, metrics and the request log.

Standard library, NumPy and prometheus_client only. Long bodies are decoded and encoded in small
pieces: one C call over a 20 MB body would hold the GIL for a sixth of a second, and the event
loop (health probes) would wait for it. Nothing here runs on the request path that can wait:
log lines are serialised and written by one background thread.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import prometheus_client
from modelyard_runtime import plain_value  # the bundle's copy of registry/runtime.py
from prometheus_client import CollectorRegistry, Counter, Histogram

prometheus_client.disable_created_metrics()  # no *_created series beside every counter

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
LOGGED_BODY_CHARS = 10_000
CHUNK = 1_000  # list items per json.dumps call
WHOLE_JSON_CHARS = 4 * 1024 * 1024  # bodies up to this size are decoded in one orjson call
FLUSH_SECONDS = 1.0  # written lines reach the file at least this often
BATCH_SECONDS = 0.02  # the writer gathers a burst this long before writing it
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DEFAULT_LOG_FILE_BYTES = 256 * 1024 * 1024  # a log file past this size continues in a new part
DEFAULT_PREDICT_SECONDS = 30

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder(parse_constant=lambda name: _refuse_constant(name))


class TooLarge(Exception):
    """The request is over a configured limit (answered with 413)."""


def env_limit(name: str, default: int) -> int:
    """A positive integer from the environment; a bad value falls back to the default."""
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def max_body_bytes() -> int:
    return env_limit("MODELYARD_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)


def max_rows() -> int:
    return env_limit("MODELYARD_MAX_ROWS", DEFAULT_MAX_ROWS)


def predict_seconds() -> int:
    return env_limit("MODELYARD_PREDICT_TIMEOUT", DEFAULT_PREDICT_SECONDS)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON; send null for a missing value")


async def read_body(request: Any, limit: int, seen: bytearray) -> bytes:
    """The body, refused as soon as it is known to pass `limit` bytes, before reading the rest.

    `seen` receives what was read, so that a refused request can still be logged.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(
            f"the body has {int(declared):,} bytes; this server accepts at most {limit:,}"
        )
    async for chunk in request.stream():
        seen.extend(chunk)
        if len(seen) > limit:
            raise TooLarge(f"the body is over {limit:,} bytes, the most this server accepts")
    return bytes(seen)


def _skip(text: str, i: int) -> int:
    return _WHITESPACE.match(text, i).end()


def _array(text: str, i: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    i = _skip(text, i + 1)
    if text.startswith("]", i):
        return items, i + 1
    while True:
        value, i = _DECODER.raw_decode(text, i)
        items.append(value)
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
        elif text.startswith("]", i):
            return items, i + 1
        else:
            raise ValueError(f"expected ',' or ']' at character {i}")


def loads(body: bytes) -> Any:
    """json.loads, but past a megabyte a top-level object's arrays are decoded one item at a
    time. NaN and Infinity literals (not JSON, though Python's decoder takes them) are refused."""
    if len(body) <= WHOLE_JSON_CHARS:  # one C call, a millisecond or two at most
        try:
            return orjson.loads(body[3:] if body.startswith(b"\xef\xbb\xbf") else body)
        except orjson.JSONDecodeError:
            pass  # the standard library's decoder says why, in its words (NaN included)
    text = body.decode("utf-8-sig")
    i = _skip(text, 0)
    if not text.startswith("{", i):
        return json.loads(text, parse_constant=_refuse_constant)
    result: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text.startswith("}", i):
        i += 1
    else:
        while True:
            if not text.startswith('"', i):
                raise ValueError(f"expected a quoted key at character {i}")
            key, i = _DECODER.raw_decode(text, i)
            i = _skip(text, i)
            if not text.startswith(":", i):
                raise ValueError(f"expected ':' at character {i}")
            i = _skip(text, i + 1)
            if text.startswith("[", i):
                result[key], i = _array(text, i)
            else:
                result[key], i = _DECODER.raw_decode(text, i)
            i = _skip(text, i)
            if text.startswith(",", i):
                i = _skip(text, i + 1)
            elif text.startswith("}", i):
                i += 1
                break
            else:
                raise ValueError(f"expected ',' or '}}' at character {i}")
    if _skip(text, i) != len(text):
        raise ValueError(f"extra data after the JSON object at character {i}")
    return result


def _encode(value: Any, parts: list[str]) -> None:
    if isinstance(value, dict):
        parts.append("{")
        for n, (key, item) in enumerate(value.items()):
            parts.append(("," if n else "") + json.dumps(str(key)) + ":")
            _encode(item, parts)
        parts.append("}")
    elif isinstance(value, list) and len(value) > CHUNK:
        parts.append("[")
        for start in range(0, len(value), CHUNK):
            parts.append(
                ("," if start else "") + json.dumps(value[start : start + CHUNK], default=str)[1:-1]
            )
        parts.append("]")
    else:
        parts.append(json.dumps(value, default=str))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError


def dumps_bytes(value: Any) -> bytes:
    """JSON as bytes through orjson (NaN and Infinity as null); values it cannot write (an
    integer past 64 bits) fall back to the standard library, a thousand items a call."""
    try:
        return orjson.dumps(value, default=_json_default)
    except TypeError:
        return dumps(_sanitised(value)).encode()


def dumps(value: Any) -> str:
    """json.dumps, with long lists encoded a thousand items at a time."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def frame_records(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready records (missing values as null), a few thousand rows a call."""
    records: list[dict[str, Any]] = []
    for start in range(0, len(frame), 5 * CHUNK):
        part = frame.iloc[start : start + 5 * CHUNK]
        try:
            records.extend(json.loads(part.to_json(orient="records")))
        except (OverflowError, ValueError):  # e.g. a category given as a 400-digit integer
            plain = part.astype(object).where(part.notna(), None)
            records.extend(json.loads(json.dumps(plain.to_dict(orient="records"), default=str)))
    return records


class Columns:
    """A request's checked input columns; the log's writer thread turns them into records, so
    the request that made them never pays for it."""

    __slots__ = ("columns",)

    def __init__(self, columns: dict[str, Any]) -> None:
        self.columns = columns

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts of plain values; NaN stays NaN, which orjson writes as null."""
        names = list(self.columns)
        lists = [np.asarray(values).tolist() for values in self.columns.values()]
        return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]


def _sanitised(value: Any) -> Any:
    """`value` with NaN and Infinity as None and NumPy scalars as Python ones."""
    if isinstance(value, dict):
        return {key: _sanitised(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_sanitised(item) for item in value]
    return plain_value(value)


class Metrics:
    """Prometheus metrics of one app, in their own registry (a second app in the same process,
    as in tests, counts apart). Label children are cached: a lookup per request, no parsing."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.requests = Counter(
            "modelyard_requests",
            "HTTP requests by method, path and status.",
            ["method", "path", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "modelyard_request_duration_seconds",
            "Request latency.",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "modelyard_request_errors",
            "Requests answered with an error status.",
            ["kind"],
            registry=r,
        )
        self.rows = Counter(
            "modelyard_predicted_rows",
            "Rows predicted, by the model version that answered them.",
            ["version"],
            registry=r,
        )
        self.served = Counter(
            "modelyard_version_requests",
            "Prediction requests by model version and its role (champion, challenger, shadow).",
            ["version", "role"],
            registry=r,
        )
        self.feedback = Counter(
            "modelyard_feedback_records", "Labels received on /feedback.", registry=r
        )
        for kind in ("client", "server"):
            self.errors.labels(kind)  # both shown from the start, at 0
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        key = (method, path, status)
        children = self._children.get(key)
        if children is None:
            kind = None if status < 400 else ("client" if status < 500 else "server")
            children = (
                self.requests.labels(method, path, str(status)),
                self.latency.labels(path),
                self.errors.labels(kind) if kind else None,
            )
            self._children[key] = children
        count, latency, errors = children
        count.inc()
        latency.observe(seconds)
        if errors is not None:
            errors.inc()

    def add_rows(
        self, predicted: int = 0, feedback: int = 0, version: Any = None, role: str = "champion"
    ) -> None:
        if predicted:
            self.rows.labels(str(version)).inc(predicted)
            self.served.labels(str(version), role).inc()
        if feedback:
            self.feedback.inc(feedback)

    def render(self) -> bytes:
        return prometheus_client.generate_latest(self.registry)


_STOP = object()


class _Flush:
    def __init__(self) -> None:
        self.done = threading.Event()


class RequestLog:
    """The JSON-lines request log, written by one background thread that keeps one file open.

    Request handlers only queue their entry (a microsecond); the thread wakes once per burst,
    serialises and writes the burst, and flushes at least once a second.
    `close` (the app's shutdown, or interpreter exit) writes everything still queued, so a clean
    stop loses nothing. Files are `requests-DAY.jsonl`, continued in `requests-DAY.pNNN.jsonl`
    parts once one passes MODELYARD_REQUEST_LOG_MAX_BYTES: a new file each day and each part, in
    name order. The folder is user-only (0700) and the files 0600 on POSIX: they hold every row
    the model was asked about.
    """

    def __init__(self, setting: str | None, default_folder: Path) -> None:
        self.lock = threading.Lock()
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.max_bytes = env_limit("MODELYARD_REQUEST_LOG_MAX_BYTES", DEFAULT_LOG_FILE_BYTES)
        if setting and setting.strip().lower() == "off":
            self.folder: Path | None = None
        else:
            self.folder = Path(setting).expanduser() if setting else default_folder
        atexit.register(self.close)

    def write(self, entry: dict[str, Any]) -> None:
        if self.folder is None:
            return
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(
                        target=self._run, name="modelyard-request-log", daemon=True
                    )
                    self.thread.start()
        self.queue.put(entry)

    def flush(self) -> None:
        """Wait until every entry queued so far is written and flushed to the file."""
        if self.folder is None or self.thread is None:
            return
        marker = _Flush()
        self.queue.put(marker)
        marker.done.wait()

    def close(self) -> None:
        with self.lock:
            thread, self.thread = self.thread, None
            if thread is None:
                return
            self.queue.put(_STOP)
        thread.join()

    def _path(self, day: str, part: int) -> Path:
        assert self.folder is not None
        suffix = f".p{part:03d}" if part else ""
        return self.folder / f"requests-{day}{suffix}.jsonl"

    def _open(self, day: str, part: int) -> tuple[Any, int, int]:
        """The file to append to for `day`, from `part` on: the first not yet full."""
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        while True:
            path = self._path(day, part)
            size = path.stat().st_size if path.exists() else 0
            if size < self.max_bytes:
                break
            part += 1
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name == "posix":
            for target in (self.folder, path):
                if os.stat(target).st_mode & 0o077:  # made by an older version, or by hand
                    os.chmod(target, 0o700 if target == self.folder else 0o600)
        return os.fdopen(fd, "ab", buffering=1 << 20), part, size

    def _run(self) -> None:
        handle, day, part, size = None, "", 0, 0
        flushed, dirty = time.monotonic(), False
        while True:
            wait = max(0.0, FLUSH_SECONDS - (time.monotonic() - flushed)) if dirty else None
            try:
                first = self.queue.get(timeout=wait)
            except queue.Empty:  # nothing new for the rest of this second: flush what is written
                self._flush(handle)
                flushed, dirty = time.monotonic(), False
                continue
            if not isinstance(first, _Flush) and first is not _STOP:
                time.sleep(BATCH_SECONDS)  # let a burst gather: one wake-up per batch, not per line
            batch = [first]
            while len(batch) < 10_000:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            for item in batch:
                if item is _STOP or isinstance(item, _Flush):
                    self._flush(handle)
                    flushed, dirty = time.monotonic(), False
                    if item is _STOP:
                        if handle is not None:
                            handle.close()
                        return
                    item.done.set()
                    continue
                try:
                    if isinstance(item.get("inputs"), Columns):
                        item["inputs"] = item["inputs"].records()
                    line = dumps_bytes(item) + b"\n"
                    entry_day = str(item.get("time", ""))[:10] or time.strftime("%Y-%m-%d")
                    if handle is None or entry_day != day or size >= self.max_bytes:
                        if entry_day != day:
                            part = 0
                        elif handle is not None:  # this part is full
                            part += 1
                        if handle is not None:
                            handle.close()
                        handle = None
                        handle, part, size = self._open(entry_day, part)
                        day = entry_day
                    handle.write(line)
                    size += len(line)
                    dirty = True
                except (
                    OSError,
                    ValueError,
                    TypeError,
                ) as exc:  # a full disk must not stop predictions
                    self._complain(exc)
                    if handle is not None:
                        try:
                            handle.close()
                        except OSError:
                            pass
                    handle = None
            if dirty and time.monotonic() - flushed >= FLUSH_SECONDS:
                self._flush(handle)
                flushed, dirty = time.monotonic(), False

    def _flush(self, handle: Any) -> None:
        if handle is not None:
            try:
                handle.flush()
            except OSError as exc:
                self._complain(exc)

    def _complain(self, exc: Exception) -> None:
        print(f"modelyard: cannot write the request log in {self.folder}: {exc}", file=sys.stderr)
