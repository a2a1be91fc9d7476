"""The PyTorch MLP trainer: epochs, batches, Adam, early stopping on a validation split.

It trains with PyTorch (on CUDA when asked or available, else the CPU) and hands back a
`NumpyMLP` holding the trained weights, so neither the registry nor a bundle needs PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from modelyard.errors import InvalidInputError
from modelyard.registry.runtime import NumpyMLP

VALIDATION_FRACTION = 0.15


def parse_hidden(text: str) -> tuple[int, ...]:
    """'64,32' → (64, 32): the hidden layers' widths."""
    try:
        sizes = tuple(int(part) for part in str(text).replace(" ", "").split(",") if part)
    except ValueError:
        sizes = ()
    if not sizes or any(not 1 <= s <= 4096 for s in sizes) or len(sizes) > 8:
        raise InvalidInputError(
            f"hidden_layers must be 1 to 8 widths from 1 to 4096 separated by commas, not '{text}'."
        )
    return sizes


def resolve_device(requested: str) -> str:
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError("device=cuda was asked for, but PyTorch sees no CUDA GPU here.")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


class TorchMLPEstimator:
    """A scikit-learn-style estimator (fit/predict) that trains an MLP with PyTorch."""

    def __init__(self, task: str, params: dict[str, Any], seed: int) -> None:
        self.task = task
        self.params = params
        self.seed = seed
        self.on_epoch: Callable[[int, dict[str, float]], None] | None = None
        self.network_: NumpyMLP | None = None
        self.device_: str | None = None
        self.epochs_run_ = 0
        self.validation_fraction = VALIDATION_FRACTION
        # (true values, predictions, positive-class probability or None) on the validation
        # rows, by the weights kept: the score a sweep selects on
        self.validation_ = None

    # scikit-learn's Pipeline asks estimators for these
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"task": self.task, "params": self.params, "seed": self.seed}

    def set_params(self, **values) -> TorchMLPEstimator:
        for key, value in values.items():
            setattr(self, key, value)
        return self

    def fit(self, x, y) -> TorchMLPEstimator:
        import torch
        from torch import nn

        p = self.params
        hidden = parse_hidden(p["hidden_layers"])
        device = resolve_device(p["device"])
        torch.manual_seed(self.seed)
        generator = torch.Generator().manual_seed(self.seed)
        features = np.asarray(x.toarray() if hasattr(x, "toarray") else x, dtype=np.float32)
        target = np.asarray(y)
        classes = None
        y_mean, y_std = 0.0, 1.0
        if self.task == "classification":
            classes, codes = np.unique(target, return_inverse=True)
            labels = torch.as_tensor(codes, dtype=torch.long)
            outputs = len(classes)
            loss_fn: nn.Module = nn.CrossEntropyLoss()
        else:
            values = target.astype(np.float64)
            y_mean, y_std = float(values.mean()), float(values.std() or 1.0)
            labels = torch.as_tensor((values - y_mean) / y_std, dtype=torch.float32)[:, None]
            outputs = 1
            loss_fn = nn.MSELoss()
        inputs = torch.as_tensor(features)
        order = torch.randperm(len(inputs), generator=generator)
        n_val = int(len(inputs) * VALIDATION_FRACTION) if len(inputs) >= 20 else 0
        val_idx, train_idx = order[:n_val], order[n_val:]
        layers: list[nn.Module] = []
        width = features.shape[1]
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, outputs))
        net = nn.Sequential(*layers).to(device)
        optimiser = torch.optim.Adam(
            net.parameters(), lr=p["learning_rate"], weight_decay=p["weight_decay"]
        )
        x_train, y_train = inputs[train_idx].to(device), labels[train_idx].to(device)
        x_val, y_val = inputs[val_idx].to(device), labels[val_idx].to(device)
        best = (math.inf, None)
        waited = 0
        for epoch in range(1, p["epochs"] + 1):
            net.train()
            total = 0.0
            shuffled = torch.randperm(len(x_train), generator=generator).to(device)
            for start in range(0, len(x_train), p["batch_size"]):
                batch = shuffled[start : start + p["batch_size"]]
                optimiser.zero_grad()
                loss = loss_fn(net(x_train[batch]), y_train[batch])
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(batch)
            logged = {"train_loss": total / max(len(x_train), 1)}
            if n_val:
                net.eval()
                with torch.no_grad():
                    out = net(x_val)
                    val_loss = float(loss_fn(out, y_val))
                    logged["val_loss"] = val_loss
                    if self.task == "classification":
                        hits = (out.argmax(dim=1) == y_val).float().mean()
                        logged["val_accuracy"] = float(hits)
                    else:
                        logged["val_rmse"] = math.sqrt(val_loss) * y_std
            if not all(math.isfinite(v) for v in logged.values()):
                raise InvalidInputError(
                    f"Training diverged at epoch {epoch} (the loss is not a number); "
                    "try a lower learning_rate."
                )
            self.epochs_run_ = epoch
            if self.on_epoch is not None:
                self.on_epoch(epoch, logged)
            score = logged.get("val_loss", logged["train_loss"])
            if score < best[0] - 1e-7:
                best = (score, {k: v.detach().cpu().clone() for k, v in net.state_dict().items()})
                waited = 0
            else:
                waited += 1
                if p["patience"] and waited >= p["patience"]:
                    break
        state = best[1] or net.state_dict()
        linear = [i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear)]
        weights = [state[f"{i}.weight"].cpu().numpy() for i in linear]
        biases = [state[f"{i}.bias"].cpu().numpy() for i in linear]
        self.network_ = NumpyMLP(weights, biases, self.task, classes, y_mean, y_std)
        self.device_ = device
        if classes is not None:
            self.classes_ = classes
        if n_val:
            rows = features[val_idx.numpy()]
            truth = target[val_idx.numpy()]
            proba = None
            if classes is not None and len(classes) == 2:
                proba = self.network_.predict_proba(rows)[:, 1]
            self.validation_ = (truth, self.network_.predict(rows), proba)
        return self

    def export(self) -> NumpyMLP:
        if self.network_ is None:
            raise RuntimeError("the MLP has not been trained")
        return self.network_

    def predict(self, x):
        return self.export().predict(x)

    def predict_proba(self, x):
        return self.export().predict_proba(x)
