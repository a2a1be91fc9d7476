import pickle

import pytest

from modelyard.datasets.service import load_frame
from modelyard.errors import InvalidInputError, ModelyardError, NotFoundError
from modelyard.registry import runtime
from modelyard.registry.service import get_model_version, list_models, load_model, predict, register
from modelyard.training.jobs import create_run
from modelyard.training.trainers import TRAINERS
from tests.conftest import train_in_process


def test_registering_numbers_versions(store, churn, finished_run):
    v1 = register(store, finished_run.id, "churn-model")
    second = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 10})
    v2 = register(store, second.id, "churn-model")
    assert (v1.version, v2.version) == (1, 2)
    assert v2.metrics == second.metrics
    assert v2.dataset.content_hash == churn.content_hash
    assert v2.blob == second.model_blob
    assert get_model_version(store, "churn-model").version == 2
    assert get_model_version(store, "churn-model", 1).run_id == finished_run.id
    [model] = list_models(store)
    assert [v.version for v in model.versions] == [1, 2]


def test_only_finished_runs_can_be_registered(store, churn):
    queued = create_run(store, churn, "churn", "random_forest")
    with pytest.raises(InvalidInputError, match="only a finished run"):
        register(store, queued.id, "m")


def test_unknown_models_and_bad_names(store, finished_run):
    with pytest.raises(NotFoundError, match="no registered model 'x'"):
        get_model_version(store, "x")
    register(store, finished_run.id, "m")
    with pytest.raises(NotFoundError, match="has no version 9"):
        get_model_version(store, "m", 9)
    with pytest.raises(InvalidInputError, match="cannot be a model name"):
        register(store, finished_run.id, "../evil")


CASES = [(kind, task) for kind, trainer in sorted(TRAINERS.items()) for task in trainer.tasks]


@pytest.mark.parametrize("kind,task", CASES)
def test_every_builtin_trainer_round_trips_through_skops(store, churn, kind, task):
    target = "churn" if task == "classification" else "monthly_charges"
    params = (
        {"n_estimators": 5}
        if kind in ("random_forest", "extra_trees")
        else {"max_iter": 20}
        if kind == "hist_gradient_boosting"
        else {"epochs": 3}
        if kind == "mlp"
        else {}
    )
    run = train_in_process(store, churn, target=target, kind=kind, params=params)
    version = register(store, run.id, f"{kind}-{task}")
    model = load_model(store, version)
    frame = load_frame(store, churn).head(50)
    features = runtime.prepare_features(frame, version.signature["inputs"])
    assert list(model.predict(features)) == predict(store, version, frame)["predictions"]


def test_a_pickle_where_a_model_belongs_is_refused(store, finished_run):
    version = register(store, finished_run.id, "m")
    evil = pickle.dumps({"not": "a model"})
    with pytest.raises(runtime.ModelLoadError, match="pickle files are refused"):
        runtime.load_model(evil)
    path = store.blobs.open_path(version.blob)
    path.chmod(0o644)
    path.write_bytes(evil)
    with pytest.raises(ModelyardError, match="cannot be loaded"):
        load_model(store, version)


def test_untrusted_types_inside_a_skops_file_are_refused():
    import skops.io

    data = skops.io.dumps({"f": pickle.loads})  # a function is never a model part
    with pytest.raises(runtime.ModelLoadError, match="untrusted types"):
        runtime.load_model(data)


def test_prediction_input_is_checked(store, finished_run):
    import pandas as pd

    version = register(store, finished_run.id, "m")
    with pytest.raises(InvalidInputError, match="missing column"):
        predict(store, version, pd.DataFrame({"tenure_months": [1]}))


def test_registering_the_same_run_twice_under_one_name_is_refused(store, finished_run):
    register(store, finished_run.id, "m")
    with pytest.raises(InvalidInputError, match="already registered as m v1"):
        register(store, finished_run.id, "m")
    assert register(store, finished_run.id, "other").version == 1
