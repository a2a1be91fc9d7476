"""Evaluation computes what is asked, predicts the rows once for every section, streams each
section as it is ready, and bounds permutation importance (rows and shuffles stated)."""

import pytest

import modelyard.registry.evaluation as evaluation
from modelyard.registry.service import register


@pytest.fixture
def version(store, finished_run):
    return register(store, finished_run.id, "churn")


class CountingModel:
    """Wraps the real model and counts how many rows each predict call gets."""

    def __init__(self, model):
        self.model, self.calls = model, []
        self.classes_ = model.classes_

    def predict(self, x):
        self.calls.append(("predict", len(x)))
        return self.model.predict(x)

    def predict_proba(self, x):
        self.calls.append(("predict_proba", len(x)))
        return self.model.predict_proba(x)


def test_the_rows_are_predicted_once_for_every_section(store, version, monkeypatch):
    import modelyard.registry.service as service

    real = service.load_model
    wrapped = {}

    def counting(store_, version_):
        wrapped["model"] = CountingModel(real(store_, version_))
        return wrapped["model"]

    monkeypatch.setattr(service, "load_model", counting)
    parts = []
    result = evaluation.evaluate(
        store, version, on_part=lambda section, r: parts.append((section, bool(r.importance)))
    )
    calls = wrapped["model"].calls
    # one pass over the 400 holdout rows; the 8 columns × 3 shuffles are one stacked call
    assert calls == [("predict_proba", 400), ("predict", 400 * 8 * 3)]
    assert [p[0] for p in parts] == ["metrics", "curves", "worst", "intervals", "importance", "explanations"]
    assert parts[0] == ("metrics", False)  # streamed before the importance was computed
    assert result.importance_note == (
        "permutation importance: drop in accuracy on 400 of 400 rows, 3 shuffles per column"
    )
    low, high = result.intervals["accuracy"]
    assert low <= result.metrics["accuracy"] <= high
    # the arg-max of the shared probabilities is what the model itself predicts
    assert (result.predicted == real(store, version).predict(_holdout(store, version))).all()


def _holdout(store, version):
    from modelyard.registry import runtime

    frame, _y, _label = evaluation.holdout_rows(store, version)
    return runtime.prepare_features(frame, version.signature["inputs"])


def test_only_the_sections_asked_for_are_computed(store, version):
    result = evaluation.evaluate(store, version, sections=("metrics",))
    assert result.metrics["accuracy"] == pytest.approx(0.785)
    assert not result.importance and not result.roc and not result.worst and not result.intervals


def test_importance_samples_at_most_its_bound(store, version, monkeypatch):
    monkeypatch.setattr(evaluation, "IMPORTANCE_ROWS", 50)
    result = evaluation.evaluate(store, version, sections=("metrics", "importance"))
    assert "on 50 of 400 rows, 3 shuffles per column" in result.importance_note
    assert len(result.importance) == 8
