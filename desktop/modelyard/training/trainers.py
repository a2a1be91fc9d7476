"""The built-in trainers: what each needs, and how to build its scikit-learn estimator."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelyard.errors import InvalidInputError

TASKS = ("classification", "regression")


@dataclass(frozen=True)
class Param:
    name: str
    type: type  # int, float or str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False  # None allowed (e.g. "no depth limit")
    choices: tuple[str, ...] = ()
    check: Callable[[Any], Any] | None = None  # raises InvalidInputError for a bad value

    def coerce(self, raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none")):
            if self.optional:
                return None
            raise InvalidInputError(f"Parameter '{self.name}' needs a value.")
        try:
            value = self.type(raw) if not isinstance(raw, str) else self._parse(raw.strip())
        except ValueError as exc:
            raise InvalidInputError(
                f"Parameter '{self.name}' must be {self.type.__name__}, not '{raw}'."
            ) from exc
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInputError(f"Parameter '{self.name}' must be a finite number.")
        if self.choices and value not in self.choices:
            raise InvalidInputError(
                f"Parameter '{self.name}' must be one of {', '.join(self.choices)}."
            )
        if self.minimum is not None and value < self.minimum:
            raise InvalidInputError(f"Parameter '{self.name}' must be at least {self.minimum}.")
        if self.maximum is not None and value > self.maximum:
            raise InvalidInputError(f"Parameter '{self.name}' must be at most {self.maximum}.")
        if self.check is not None:
            self.check(value)
        return value

    def _parse(self, raw: str) -> Any:
        if self.type is int:
            as_float = float(raw)
            if not as_float.is_integer():
                raise ValueError(raw)
            return int(as_float)
        return self.type(raw)


@dataclass(frozen=True)
class Trainer:
    kind: str
    label: str
    tasks: tuple[str, ...]
    params: tuple[Param, ...]
    build: Callable[[str, dict[str, Any], int], Any]

    def resolve_params(self, given: dict[str, Any]) -> dict[str, Any]:
        """All parameters with defaults filled in and values checked."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise InvalidInputError(
                f"{self.kind} has no parameter {', '.join(unknown)}; "
                f"it takes {', '.join(known) or 'no parameters'}."
            )
        return {
            name: p.coerce(given[name]) if name in given else p.default for name, p in known.items()
        }


def _logistic(task, p, seed):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=p["C"], max_iter=p["max_iter"], random_state=seed)


def _linear(task, p, seed):
    from sklearn.linear_model import LinearRegression

    return LinearRegression(fit_intercept=p["fit_intercept"] == "yes")


def _ridge(task, p, seed):
    from sklearn.linear_model import Ridge, RidgeClassifier

    cls = RidgeClassifier if task == "classification" else Ridge
    return cls(alpha=p["alpha"], random_state=seed)


def _forest(task, p, seed):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
    return cls(
        n_estimators=p["n_estimators"],
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        random_state=seed,
        n_jobs=1,
    )


def _hist_gb(task, p, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = (
        HistGradientBoostingClassifier
        if task == "classification"
        else HistGradientBoostingRegressor
    )
    return cls(
        learning_rate=p["learning_rate"],
        max_iter=p["max_iter"],
        max_depth=p["max_depth"],
        random_state=seed,
    )


def _extra_trees(task, p, seed):
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    cls = ExtraTreesClassifier if task == "classification" else ExtraTreesRegressor
    return cls(
        n_estimators=p["n_estimators"],
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        random_state=seed,
        n_jobs=1,
    )


def _svm(task, p, seed):
    from sklearn.svm import SVC, SVR

    if task == "classification":
        return SVC(C=p["C"], kernel=p["kernel"], gamma=p["gamma"], random_state=seed)
    return SVR(C=p["C"], kernel=p["kernel"], gamma=p["gamma"], epsilon=p["epsilon"])


def _knn(task, p, seed):
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsClassifier if task == "classification" else KNeighborsRegressor
    return cls(n_neighbors=p["n_neighbors"], weights=p["weights"], n_jobs=1)


def _mlp(task, p, seed):
    from modelyard.training.torch_mlp import TorchMLPEstimator

    return TorchMLPEstimator(task, p, seed)


def _check_hidden(text: str) -> None:
    from modelyard.training.torch_mlp import parse_hidden

    parse_hidden(text)


def _tree_params() -> tuple[Param, ...]:
    return (
        Param("n_estimators", int, 100, "Number of trees", minimum=1, maximum=5000),
        Param("max_depth", int, None, "Depth limit (empty: none)", minimum=1, optional=True),
        Param("min_samples_leaf", int, 1, "Smallest leaf", minimum=1),
    )


TRAINERS: dict[str, Trainer] = {
    t.kind: t
    for t in (
        Trainer(
            "logistic_regression",
            "Logistic regression",
            ("classification",),
            (
                Param("C", float, 1.0, "Inverse regularisation strength", minimum=1e-6),
                Param("max_iter", int, 1000, "Iteration limit of the solver", minimum=1),
            ),
            _logistic,
        ),
        Trainer(
            "linear_regression",
            "Linear regression",
            ("regression",),
            (Param("fit_intercept", str, "yes", "Fit an intercept", choices=("yes", "no")),),
            _linear,
        ),
        Trainer(
            "ridge",
            "Ridge",
            TASKS,
            (Param("alpha", float, 1.0, "Regularisation strength", minimum=0.0),),
            _ridge,
        ),
        Trainer(
            "random_forest",
            "Random forest",
            TASKS,
            _tree_params(),
            _forest,
        ),
        Trainer("extra_trees", "Extra trees", TASKS, _tree_params(), _extra_trees),
        Trainer(
            "hist_gradient_boosting",
            "Histogram gradient boosting",
            TASKS,
            (
                Param("learning_rate", float, 0.1, "Shrinkage", minimum=1e-6, maximum=1.0),
                Param("max_iter", int, 100, "Boosting rounds", minimum=1, maximum=10000),
                Param(
                    "max_depth", int, None, "Depth limit (empty: none)", minimum=1, optional=True
                ),
            ),
            _hist_gb,
        ),
        Trainer(
            "svm",
            "Support vector machine",
            TASKS,
            (
                Param("C", float, 1.0, "Inverse regularisation strength", minimum=1e-6),
                Param("kernel", str, "rbf", "Kernel", choices=("rbf", "linear", "poly", "sigmoid")),
                Param("gamma", str, "scale", "Kernel coefficient", choices=("scale", "auto")),
                Param("epsilon", float, 0.1, "Regression only: no-penalty tube", minimum=0.0),
            ),
            _svm,
        ),
        Trainer(
            "knn",
            "k-nearest neighbours",
            TASKS,
            (
                Param("n_neighbors", int, 5, "Neighbours that vote", minimum=1, maximum=1000),
                Param("weights", str, "uniform", "Vote weights", choices=("uniform", "distance")),
            ),
            _knn,
        ),
        Trainer(
            "mlp",
            "Neural network (PyTorch MLP)",
            TASKS,
            (
                Param("hidden_layers", str, "64,32", "Hidden layer widths", check=_check_hidden),
                Param("epochs", int, 50, "Passes over the training rows", minimum=1, maximum=10000),
                Param("batch_size", int, 64, "Rows per step", minimum=1, maximum=65536),
                Param("learning_rate", float, 1e-3, "Adam step size", minimum=1e-6, maximum=1.0),
                Param("weight_decay", float, 0.0, "L2 penalty", minimum=0.0),
                Param(
                    "patience",
                    int,
                    5,
                    "Early stop after this many epochs without a better validation loss (0: off)",
                    minimum=0,
                ),
                Param(
                    "device",
                    str,
                    "auto",
                    "auto: CUDA when available",
                    choices=("auto", "cpu", "cuda"),
                ),
            ),
            _mlp,
        ),
    )
}


def get_trainer(kind: str) -> Trainer:
    try:
        return TRAINERS[kind]
    except KeyError:
        raise InvalidInputError(
            f"There is no model kind '{kind}'; choose one of {', '.join(TRAINERS)}."
        ) from None


def trainers_for(task: str) -> list[Trainer]:
    return [t for t in TRAINERS.values() if task in t.tasks]
