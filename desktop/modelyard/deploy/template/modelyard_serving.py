"""The plumbing of a bundle's serving app: limits, JSON in and out, metrics and the request log.

Standard library only, so that the bundle needs nothing beyond its requirements. Long bodies are
decoded and encoded in small pieces: one C call over a 20 MB body would hold the GIL for a
sixth of a second, and the event loop (health probes) would wait for it.
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

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
LOGGED_BODY_CHARS = 10_000
CHUNK = 1_000  # list items per json.dumps call
FLUSH_SECONDS = 1.0
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


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
    """json.loads, but a top-level object's arrays are decoded one item at a time."""
    text = body.decode("utf-8-sig")
    i = _skip(text, 0)
    if not text.startswith("{", i):
        return json.loads(text)
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


class Metrics:
    """Counters in Prometheus text format, with no dependency beyond the standard library."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.buckets: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = {}
        self.latency_count: dict[str, int] = {}
        self.rows = 0
        self.feedback = 0
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

    def add_rows(self, predicted: int = 0, feedback: int = 0) -> None:
        with self.lock:
            self.rows += predicted
            self.feedback += feedback

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
                "# HELP modelyard_feedback_records_total Labels received on /feedback.",
                "# TYPE modelyard_feedback_records_total counter",
                f"modelyard_feedback_records_total {self.feedback}",
            ]
        return "\n".join(lines) + "\n"


_STOP = object()


class RequestLog:
    """The JSON-lines request log, written by one thread that keeps the day's file open.

    Entries are queued by the request handlers; the writer flushes whenever the queue runs dry
    and at least once a second under load, and `close` (the app's shutdown, or interpreter exit)
    writes everything still queued. The folder is user-only (0700) and the files 0600 on POSIX:
    they hold every row the model was asked about.
    """

    def __init__(self, setting: str | None, default_folder: Path) -> None:
        self.lock = threading.Lock()
        self.queue: queue.Queue[Any] = queue.Queue()
        self.thread: threading.Thread | None = None
        if setting and setting.strip().lower() == "off":
            self.folder: Path | None = None
        else:
            self.folder = Path(setting).expanduser() if setting else default_folder
        atexit.register(self.close)

    def write(self, entry: dict[str, Any]) -> None:
        if self.folder is None:
            return
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="modelyard-request-log", daemon=True
                )
                self.thread.start()
            self.queue.put(entry)

    def flush(self) -> None:
        """Wait until every queued entry is written and flushed to the file."""
        if self.folder is not None:
            self.queue.join()

    def close(self) -> None:
        with self.lock:
            thread, self.thread = self.thread, None
            if thread is None:
                return
            self.queue.put(_STOP)
        thread.join()

    def _open(self, day: str) -> Any:
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.folder / f"requests-{day}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name == "posix":
            for target in (self.folder, path):
                if os.stat(target).st_mode & 0o077:  # made by an older version, or by hand
                    os.chmod(target, 0o700 if target == self.folder else 0o600)
        return os.fdopen(fd, "a", encoding="utf-8", buffering=1 << 20)

    def _run(self) -> None:
        handle, day, flushed = None, "", time.monotonic()
        while True:
            try:
                entry = self.queue.get(timeout=FLUSH_SECONDS)
            except queue.Empty:
                continue
            try:
                if entry is _STOP:
                    if handle is not None:
                        handle.close()
                    return
                try:
                    entry_day = str(entry.get("time", ""))[:10] or time.strftime("%Y-%m-%d")
                    if handle is None or entry_day != day:
                        if handle is not None:
                            handle.close()
                        handle, day = None, entry_day
                        handle = self._open(day)
                    handle.write(dumps(entry) + "\n")
                    if self.queue.empty() or time.monotonic() - flushed >= FLUSH_SECONDS:
                        handle.flush()
                        flushed = time.monotonic()
                except OSError as exc:  # a full disk must not stop predictions; say so on stderr
                    print(
                        f"modelyard: cannot write the request log in {self.folder}: {exc}",
                        file=sys.stderr,
                    )
                    if handle is not None:
                        try:
                            handle.close()
                        except OSError:
                            pass
                    handle = None
            finally:
                self.queue.task_done()
