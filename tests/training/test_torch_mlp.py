"""The PyTorch MLP trainer: live per-epoch metrics, early stopping, device, safe weights."""

import json

import numpy as np
import pytest

from modelyard.errors import InvalidInputError
from modelyard.registry import runtime
from modelyard.registry.service import load_model, register
from modelyard.tracking.runs import get_run
from modelyard.training.jobs import create_run
from tests.conftest import train_in_process


def _history(store, run_id, key):
    from sqlalchemy import select

    from modelyard.store import models

    with store.session() as session:
        rows = session.execute(
            select(models.Metric.step, models.Metric.value)
            .where(models.Metric.run_id == run_id, models.Metric.key == key)
            .order_by(models.Metric.step)
        ).all()
    return [(step, value) for step, value in rows]


def test_each_epoch_is_logged_and_the_device_recorded(store, churn):
    run = train_in_process(store, churn, kind="mlp", params={"epochs": 4, "patience": 0})
    train_loss = _history(store, run.id, "train_loss")
    assert [step for step, _ in train_loss] == [1, 2, 3, 4]
    assert train_loss[-1][1] < train_loss[0][1]  # it learns
    assert [s for s, _ in _history(store, run.id, "val_accuracy")] == [1, 2, 3, 4]
    assert run.signature["trained_on"] == {"device": "cpu", "epochs": 4}
    assert {"accuracy", "f1_macro", "roc_auc"} <= set(run.metrics)


def test_early_stopping_ends_before_the_epoch_limit(store, churn):
    run = train_in_process(
        store, churn, kind="mlp", params={"epochs": 200, "patience": 1, "learning_rate": 0.05}
    )
    assert run.signature["trained_on"]["epochs"] < 200


def test_the_same_seed_trains_the_same_network(store, churn):
    params = {"epochs": 3, "patience": 0}
    a = train_in_process(store, churn, target="monthly_charges", kind="mlp", params=params)
    b = train_in_process(store, churn, target="monthly_charges", kind="mlp", params=params)
    assert a.metrics["rmse"] == b.metrics["rmse"] and a.task == "regression"


def test_bad_mlp_parameters_are_refused_before_a_run_exists(store, churn):
    for params, words in (
        ({"hidden_layers": "64,abc"}, "hidden_layers must be"),
        ({"hidden_layers": "0"}, "hidden_layers must be"),
        ({"device": "tpu"}, "must be one of auto, cpu, cuda"),
        ({"epochs": 0}, "at least 1"),
    ):
        with pytest.raises(InvalidInputError, match=words):
            create_run(store, churn, "churn", "mlp", params)


def test_without_cuda_asking_for_it_fails_the_run_clearly(store, churn):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    from modelyard.training.worker import train

    run = create_run(store, churn, "churn", "mlp", {"device": "cuda", "epochs": 1})
    assert train(run.id) == 1
    assert "sees no CUDA GPU" in get_run(store, run.id).error


def test_the_weights_are_safetensors_and_load_back_into_pytorch(store, churn, tmp_path):
    import torch
    from safetensors.torch import load_file

    from modelyard.datasets.service import load_frame
    from modelyard.deploy.bundle import export_bundle, verify_bundle

    run = train_in_process(store, churn, kind="mlp", params={"epochs": 3, "hidden_layers": "16,8"})
    version = register(store, run.id, "churn-mlp")
    model = load_model(store, version)
    network = model[-1]
    assert isinstance(network, runtime.NumpyMLP)
    state = network.__getstate__()
    assert set(state) == {"safetensors", "architecture"}  # what the skops file holds
    bundle = export_bundle(store, version, tmp_path / "bundle", onnx=False)
    assert verify_bundle(bundle.path).ok
    spec = json.loads((bundle.path / "model_architecture.json").read_text())
    assert spec["layers"][1:] == [16, 8, 2] and spec["classes"] == network.classes_.tolist()
    layers = []
    for i, (width_in, width_out) in enumerate(
        zip(spec["layers"][:-1], spec["layers"][1:], strict=True)
    ):
        layers.append(torch.nn.Linear(width_in, width_out))
        if i < len(spec["layers"]) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    net.load_state_dict(load_file(str(bundle.path / "model.safetensors")))
    frame = load_frame(store, churn).head(40)
    features = model[:-1].transform(runtime.prepare_features(frame, version.signature["inputs"]))
    with torch.no_grad():
        logits = net(torch.as_tensor(np.asarray(features, dtype=np.float32))).numpy()
    assert np.allclose(
        torch.softmax(torch.as_tensor(logits), dim=1).numpy(),
        network.predict_proba(features),
        atol=1e-5,
    )
