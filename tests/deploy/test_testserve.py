"""Test-serve: the bundle's app in a subprocess on 127.0.0.1, real HTTP, always stopped."""

import socket

import pytest

from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle
from modelyard.deploy.testserve import records_for, serve_and_probe
from modelyard.errors import CancelledError, InvalidInputError
from modelyard.progress import Progress
from modelyard.registry.service import predict


def port_is_closed(url):
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_serve_and_probe_answers_like_the_registry_then_stops(store, version, churn, tmp_path):
    bundle = export_bundle(store, version, tmp_path / "b", onnx=False)
    records = records_for(store, version)
    assert len(records) == 5 and "churn" not in records[0]
    seen = []
    report = serve_and_probe(
        bundle.path, records, tmp_path / "log", Progress(lambda f, m: seen.append(m))
    )
    assert [e.rows for e in report.exchanges] == [1, 1, 1, 1, 1, 5]
    assert all(e.status == 200 and e.latency_ms > 0 for e in report.exchanges)
    expected = predict(store, version, load_frame(store, churn).head(5))["predictions"]
    assert report.exchanges[-1].answer["predictions"] == expected
    assert [e.answer["predictions"][0] for e in report.exchanges[:5]] == expected
    assert report.runtime == "skops"
    assert "6/6 requests answered" in report.describe()
    assert "Starting the bundle's app" in seen
    assert port_is_closed(report.url)
    assert len(list((tmp_path / "log").glob("*.jsonl"))) == 1


def test_cancel_stops_the_server(store, version, tmp_path):
    bundle = export_bundle(store, version, tmp_path / "b", onnx=False)
    calls = []

    def cancel_once_started(fraction, message):
        calls.append(message)
        if message.startswith("Sending"):
            progress.cancel()

    progress = Progress(cancel_once_started)
    with pytest.raises(CancelledError):
        serve_and_probe(bundle.path, records_for(store, version), None, progress)
    assert calls[-1].startswith("Sending")


def test_a_folder_without_an_app_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match="not a bundle folder"):
        serve_and_probe(tmp_path, [{"a": 1}])
