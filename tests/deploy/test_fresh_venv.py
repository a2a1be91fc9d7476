"""The bundle runs on its own: a fresh virtual environment, its requirements.txt only, uvicorn."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import verify_bundle
from modelyard.registry.service import predict

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
TOKEN = "fresh-venv-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, body=None, token=None, content_type="application/json"):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_ready(url, process, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"uvicorn exited: {process.stderr.read().decode()}")
        try:
            if call(url + "/ready")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.3)
    raise AssertionError("the bundle's app did not become ready")


def test_bundle_serves_from_a_fresh_venv_with_only_its_requirements(
    store, version, bundle, churn, tmp_path
):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
        cwd=bundle.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=800,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    no_modelyard = subprocess.run(
        [str(python), "-c", "import modelyard"], env=env, cwd=tmp_path, capture_output=True
    )
    assert no_modelyard.returncode != 0  # the bundle cannot lean on the app being installed

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env.update(
        MODELYARD_API_TOKEN=TOKEN,
        MODELYARD_REQUEST_LOG=str(tmp_path / "log"),
        MODELYARD_RUNTIME="auto",  # model.onnx + onnxruntime from requirements.txt: ONNX serves
    )
    process = subprocess.Popen(
        [str(python), "-m", "uvicorn", "serve:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=bundle.path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_ready(url, process)
        assert json.loads(call(url + "/ready")[1])["runtime"] == "onnx"
        assert call(url + "/health") == (200, json.dumps({"status": "ok"}, separators=(",", ":")))
        rows = load_frame(store, churn).head(30).drop(columns=["churn"])
        expected = predict(store, version, rows)
        body = json.dumps({"records": json.loads(rows.to_json(orient="records"))}).encode()
        assert call(url + "/predict", body)[0] == 401
        assert call(url + "/predict", body, token="wrong")[0] == 401
        status, text = call(url + "/predict", body, token=TOKEN)
        assert status == 200, text
        answer = json.loads(text)
        assert answer["predictions"] == expected["predictions"]
        for got, want in zip(answer["probabilities"], expected["probabilities"], strict=True):
            assert got == pytest.approx(want, abs=1e-4)
        csv = rows.to_csv(index=False).encode()
        status, text = call(url + "/predict", csv, token=TOKEN, content_type="text/csv")
        assert status == 200 and json.loads(text)["predictions"] == expected["predictions"]
        status, text = call(url + "/predict", b'{"records": [{"x": 1}]}', token=TOKEN)
        assert status == 422 and "missing column" in json.loads(text)["detail"]
        status, text = call(url + "/metrics", token=TOKEN)
        assert 'path="/predict",status="422"} 1' in text
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert len(next((tmp_path / "log").glob("*.jsonl")).read_text().splitlines()) == 3
    assert verify_bundle(bundle.path).ok
