"""Test-serving a bundle: start its app with this interpreter on 127.0.0.1, send rows, stop.

A plain function with progress and cancel (the GUI runs it in a worker thread); the server is
always stopped, whatever happens.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidInputError, ModelyardError
from modelyard.progress import Progress

READY_TIMEOUT = 60.0


@dataclass
class Exchange:
    rows: int
    status: int
    latency_ms: float
    answer: Any


@dataclass
class TestServeReport:
    url: str
    startup_seconds: float
    runtime: str
    exchanges: list[Exchange] = field(default_factory=list)

    def describe(self) -> str:
        ok = sum(1 for e in self.exchanges if e.status == 200)
        latencies = sorted(e.latency_ms for e in self.exchanges if e.rows == 1)
        median = latencies[len(latencies) // 2] if latencies else float("nan")
        return (
            f"Served at {self.url} ({self.runtime}) after {self.startup_seconds:.1f} s; "
            f"{ok}/{len(self.exchanges)} requests answered, median single-row latency "
            f"{median:.1f} ms. The server is stopped."
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, body: bytes | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def serve_command(port: int) -> list[str]:
    """The bundle server's command line: the app binary's `_serve` verb when frozen."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "_serve", str(port)]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "serve:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def _wait_ready(url: str, process: subprocess.Popen, progress: Progress) -> dict:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        progress.check()
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace").strip().splitlines()
            raise ModelyardError(
                f"The bundle's app stopped at start-up: {error[-1] if error else 'no message'}."
            )
        try:
            status, answer = _call(url + "/ready")
            if status == 200:
                return answer
            if status == 503:
                raise ModelyardError(f"The bundle's app is not ready: {answer.get('reason')}.")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise ModelyardError(f"The bundle's app did not answer within {READY_TIMEOUT:.0f} s.")


def serve_and_probe(
    folder: Path | str,
    records: list[dict[str, Any]],
    log_dir: Path | None = None,
    progress: Progress | None = None,
) -> TestServeReport:
    """Serve the bundle folder, send each record alone and then all together, stop the server."""
    folder = Path(folder)
    progress = progress or Progress()
    if not (folder / "serve.py").is_file():
        raise InvalidInputError(
            f"{folder} is not a bundle folder with serve.py; test-serve works on exported folders."
        )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("MODELYARD_API_TOKEN", None)
    env["MODELYARD_REQUEST_LOG"] = str(log_dir) if log_dir else "off"
    progress.report(0.05, "Starting the bundle's app")
    started = time.perf_counter()
    process = subprocess.Popen(
        serve_command(port),
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        ready = _wait_ready(url, process, progress)
        report = TestServeReport(url, time.perf_counter() - started, ready.get("runtime", "?"))
        batches = [[r] for r in records] + ([records] if len(records) > 1 else [])
        for i, batch in enumerate(batches):
            progress.report(0.2 + 0.8 * i / len(batches), f"Sending request {i + 1}")
            body = json.dumps({"records": batch}, default=str).encode()
            t0 = time.perf_counter()
            status, answer = _call(url + "/predict", body)
            report.exchanges.append(
                Exchange(len(batch), status, (time.perf_counter() - t0) * 1000, answer)
            )
        progress.report(1.0, "Done")
        return report
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


def records_for(store, version, n: int = 5) -> list[dict[str, Any]]:
    """The first rows of the model's own dataset, without the target, as JSON records."""
    from modelyard.registry.service import sample_rows

    frame = sample_rows(store, version, n)
    frame = frame.drop(columns=[version.signature.get("target")], errors="ignore")
    return json.loads(frame.to_json(orient="records"))
