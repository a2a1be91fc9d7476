"""The request log's background writer: every request once, in order, nothing lost, rotation."""

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from modelyard.datasets.service import load_frame
from tests.deploy.helpers import load_serving_module

WORKERS, PER_WORKER = 4, 40


@pytest.fixture
def module(bundle):
    return load_serving_module(bundle.path)


def lines(folder):
    return [json.loads(line) for f in sorted(folder.glob("requests-*.jsonl")) for line in f.open()]


def test_concurrent_requests_are_each_logged_once_in_order_and_kept_at_shutdown(
    module, store, churn, request_log
):
    record = json.loads(
        load_frame(store, churn).head(1).drop(columns=["churn"]).to_json(orient="records")
    )[0]
    failures = []
    with TestClient(module.app) as client:

        def worker(w):
            for n in range(PER_WORKER):  # the tag travels in a numeric input
                body = {"records": [{**record, "tenure_months": w * 1000 + n}]}
                if client.post("/predict", json=body).status_code != 200:
                    failures.append((w, n))

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    # no flush(): leaving the client is the app's shutdown, which must write everything queued
    assert not failures
    entries = lines(request_log)
    tags = [int(e["inputs"][0]["tenure_months"]) for e in entries]
    assert sorted(tags) == sorted(w * 1000 + n for w in range(WORKERS) for n in range(PER_WORKER))
    for w in range(WORKERS):
        mine = [t for t in tags if t // 1000 == w]
        assert mine == sorted(mine), f"worker {w}'s requests are out of order"
    assert len({e["request_id"] for e in entries}) == len(entries)


def entry(day, n, padding=""):
    return {"type": "prediction", "time": f"{day}T10:00:00.000+00:00", "n": n, "pad": padding}


def test_files_rotate_by_size_and_by_day_and_read_back_in_order(module, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELYARD_REQUEST_LOG_MAX_BYTES", "2000")
    log = module.serving.RequestLog(str(tmp_path / "log"), tmp_path)
    for n in range(30):
        log.write(entry("2026-01-01", n, "x" * 200))
    for n in range(30, 35):
        log.write(entry("2026-01-02", n))
    log.close()
    names = sorted(p.name for p in (tmp_path / "log").iterdir())
    first_day = [name for name in names if "2026-01-01" in name]
    assert first_day[0] == "requests-2026-01-01.jsonl" and len(first_day) > 2
    assert first_day[1] == "requests-2026-01-01.p001.jsonl"
    assert names[-1] == "requests-2026-01-02.jsonl"
    assert all((tmp_path / "log" / n).stat().st_size < 2000 + 400 for n in first_day)
    assert [e["n"] for e in lines(tmp_path / "log")] == list(range(35))


def test_a_restarted_server_continues_the_last_part(module, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELYARD_REQUEST_LOG_MAX_BYTES", "1000")
    for start in (0, 10):
        log = module.serving.RequestLog(str(tmp_path / "log"), tmp_path)
        for n in range(start, start + 10):
            log.write(entry("2026-01-01", n, "y" * 150))
        log.close()
    assert [e["n"] for e in lines(tmp_path / "log")] == list(range(20))


def test_lines_reach_the_file_within_about_a_second_without_a_flush(module, tmp_path):
    log = module.serving.RequestLog(str(tmp_path / "log"), tmp_path)
    try:
        log.write(entry("2026-01-01", 1))
        deadline = time.monotonic() + 10  # generous for a loaded machine; the writer's bound is 1 s
        while time.monotonic() < deadline and not lines(tmp_path / "log"):
            time.sleep(0.05)
        assert [e["n"] for e in lines(tmp_path / "log")] == [1]
        assert log.thread is not None and log.thread.is_alive()  # written by the running writer
    finally:
        log.close()
