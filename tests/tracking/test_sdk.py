"""The SDK: a script or notebook records params, metrics, artifacts and models into the store."""

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import modelyard
from modelyard.errors import InvalidInputError
from modelyard.registry.service import get_model_version, predict
from modelyard.tracking.artifacts import list_artifacts, save_artifact
from modelyard.tracking.runs import get_run, list_runs, metric_history
from modelyard.training.launcher import log_path
from tests.conftest import store_snapshot


@pytest.fixture(autouse=True)
def _not_a_job(monkeypatch):
    monkeypatch.delenv("MODELYARD_RUN_ID", raising=False)


def _quiet_run(**kwargs):
    return modelyard.start_run(capture_output=False, system_metrics=False, **kwargs)


def _fit(sample_csv):
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = pd.read_csv(sample_csv)
    x = frame[["tenure_months", "monthly_charges", "contract"]]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["contract"]),
            (StandardScaler(), ["tenure_months", "monthly_charges"]),
        ),
        LogisticRegression(max_iter=500),
    ).fit(x, frame["churn"])
    return model, x


SCRIPT = """
import sys
import modelyard
from sklearn.linear_model import Ridge
import pandas as pd

print("hello from the script")
with modelyard.start_run(experiment="churn", name="try-3", tags={"who": "me"}) as run:
    run.log_params({"lr": 0.01, "layers": [64, 32]})
    run.log_metric("loss", 0.42, step=1)
    run.log_metrics({"loss": 0.40, "acc": 0.91}, step=2)
    for i in range(3, 200):
        run.log_metric("loss", 1 / i)
    with open("plot.png", "wb") as f:
        f.write(b"\\x89PNG not really")
    run.log_artifact("plot.png")
    x = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.5, 0.1, 0.7, 0.3]})
    model = Ridge().fit(x, [1.0, 2.0, 3.0, 4.0])
    version = run.log_model(model, name="sdk-ridge", input_example=x, target="y")
    print("registered", version.label)
print("run", run.id)
"""


@pytest.mark.slow
def test_a_plain_script_records_everything_and_it_is_durable(home, store, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, MODELYARD_HOME=str(home))
    env.pop("MODELYARD_RUN_ID", None)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "hello from the script" in done.stdout  # still printed to the terminal
    (run,) = list_runs(store)
    assert (run.status, run.source, run.experiment, run.name) == (
        "finished",
        "sdk",
        "churn",
        "try-3",
    )
    assert run.tags == {"who": "me"} and run.params == {"lr": 0.01, "layers": "[64, 32]"}
    rows, _ = metric_history(store, run.id)
    loss = [(step, value) for key, step, value in rows if key == "loss"]
    assert loss[:2] == [(1, 0.42), (2, 0.40)] and loss[-1] == (199, 1 / 199)
    assert len(loss) == 199 and run.metrics == {"loss": 1 / 199, "acc": 0.91}
    (artifact,) = list_artifacts(store, run.id)
    assert artifact.path == "plot.png"
    saved = save_artifact(store, run.id, "plot.png", tmp_path / "copy.png")
    assert saved.read_bytes() == b"\x89PNG not really"
    version = get_model_version(store, "sdk-ridge")
    assert version.run_id == run.id and version.dataset is None
    assert [c["name"] for c in version.signature["inputs"]] == ["a", "b"]
    answer = predict(store, version, pd.DataFrame({"a": [5.0], "b": [0.2]}))
    assert answer["predictions"][0] == pytest.approx(5.0, abs=0.5)
    log = log_path(store, run.id).read_text()
    assert "registered sdk-ridge v1" in log and "hello from the script" not in log
    code = run.environment["code"]
    assert code["script"] == str(script) and len(code["script_sha256"]) == 64
    assert run.environment["packages"]["scikit-learn"]
    assert run.pid is not None  # so a killed script's run is seen as failed


def test_without_with_everything_is_durable_after_end(store):
    run = _quiet_run(name="loop")
    for step in range(5000):
        run.log_metrics({"loss": 1 / (step + 1), "acc": step / 5000}, step=step)
    run.end()
    rows, _ = metric_history(store, run.id)
    assert len(rows) == 10_000
    ended = get_run(store, run.id)
    assert ended.status == "finished" and ended.metrics["acc"] == 4999 / 5000


def test_points_are_visible_while_the_run_is_open(store):
    run = _quiet_run()
    for step in range(10):
        run.log_metric("loss", 1.0 - step / 10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(metric_history(store, run.id)[0]) < 10:
        time.sleep(0.05)
    rows, _ = metric_history(store, run.id)
    assert [r[1] for r in rows] == list(range(10))  # steps count up by themselves
    assert get_run(store, run.id).status == "running"
    run.end()


def test_an_error_inside_with_fails_the_run_and_ctrl_c_cancels_it(store):
    with pytest.raises(ZeroDivisionError), _quiet_run(name="bad") as run:
        run.log_metric("loss", 1.0)
        1 / 0  # noqa: B018
    failed = get_run(store, run.id)
    assert failed.status == "failed" and "ZeroDivisionError" in failed.error
    assert failed.metrics == {"loss": 1.0}  # what was logged before the error is kept
    with pytest.raises(KeyboardInterrupt), _quiet_run() as run:
        raise KeyboardInterrupt
    assert get_run(store, run.id).status == "cancelled"


def test_bad_values_are_refused_and_nothing_is_written(store):
    run = _quiet_run()
    before = store_snapshot(store)
    for key, value in (
        ("loss", float("nan")),
        ("loss", float("inf")),
        ("loss", "high"),
        ("loss", True),
        ("system/cpu", 1.0),
        ("", 1.0),
    ):
        with pytest.raises(InvalidInputError):
            run.log_metric(key, value)
    with pytest.raises(InvalidInputError, match="finite"):
        run.log_params({"lr": float("nan")})
    run.flush()
    assert store_snapshot(store) == before
    run.end()
    with pytest.raises(InvalidInputError, match="has ended"):
        run.log_metric("loss", 1.0)


def test_models_that_cannot_be_served_are_refused_with_the_reason(store, sample_csv):
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    model, x = _fit(sample_csv)
    run = _quiet_run()
    with pytest.raises(InvalidInputError, match="not fitted"):
        run.log_model(LogisticRegression(), "m", input_example=x)
    with pytest.raises(InvalidInputError, match="scikit-learn estimators"):
        run.log_model(object(), "m", input_example=x)
    with pytest.raises(InvalidInputError, match="neither a classifier nor a regressor"):
        run.log_model(KMeans(n_clusters=2, n_init=1).fit(x[["tenure_months"]]), "m")
    crafted = make_pipeline(FunctionTransformer(np.nan_to_num), LogisticRegression()).fit(
        x[["tenure_months"]], pd.read_csv(sample_csv)["churn"]
    )
    with pytest.raises(InvalidInputError, match="cannot be kept safely"):
        run.log_model(crafted, "m", input_example=x[["tenure_months"]])
    with pytest.raises(InvalidInputError, match="does not predict its input example"):
        run.log_model(model, "m", input_example=x[["tenure_months"]])
    from modelyard.registry.service import list_models

    assert list_models(store) == []
    version = run.log_model(model, "churn-sdk", input_example=x.head(), target="churn")
    assert version.signature["classes"] == ["no", "yes"]
    assert version.signature["examples"][0]["contract"] == x.iloc[0]["contract"]
    run.end()


def test_without_an_input_example_the_columns_come_from_the_fitted_model(store, sample_csv):
    from sklearn.linear_model import LinearRegression

    model, x = _fit(sample_csv)
    with _quiet_run() as run:
        version = run.log_model(model, name="churn-model")  # the shape, as is
        plain = run.log_model(LinearRegression().fit(np.eye(3), [1, 2, 3]), name="plain")
    kinds = {c["name"]: c["kind"] for c in version.signature["inputs"]}
    assert kinds == {
        "tenure_months": "float",
        "monthly_charges": "float",
        "contract": "categorical",
    }
    assert predict(store, version, x.head(4))["predictions"] == list(model.predict(x.head(4)))
    assert [c["name"] for c in plain.signature["inputs"]] == ["x0", "x1", "x2"]


def test_a_logged_model_exports_to_a_bundle_that_serves_it(store, sample_csv, tmp_path):
    from fastapi.testclient import TestClient

    from modelyard.deploy.bundle import export_bundle, verify_bundle
    from tests.deploy.helpers import load_serving_module

    model, x = _fit(sample_csv)
    with _quiet_run() as run:
        version = run.log_model(model, "churn-sdk", input_example=x.head(50), target="churn")
    bundle = export_bundle(store, version, tmp_path / "bundle", onnx=False)
    assert verify_bundle(bundle.path).ok
    client = TestClient(load_serving_module(bundle.path).app)
    records = x.head(3).to_dict(orient="records")
    answer = client.post("/predict", json={"records": records}).json()
    assert answer["predictions"] == list(model.predict(x.head(3)))


def test_output_is_kept_as_the_log_and_the_terminal_still_gets_it(store, capsys):
    run = modelyard.start_run(system_metrics=False)
    print("epoch 1 done")
    run.end()
    assert "epoch 1 done" in capsys.readouterr().out
    assert "epoch 1 done" in log_path(store, run.id).read_text()


def test_a_script_that_forgets_end_is_ended_at_exit(home, store, tmp_path):
    script = tmp_path / "forgets.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, modelyard
            run = modelyard.start_run(name="open", system_metrics=False)
            run.log_metric("loss", 0.5)
            if sys.argv[1:] == ["crash"]:
                raise RuntimeError("crashed before end")
            """
        )
    )
    env = dict(os.environ, MODELYARD_HOME=str(home))
    env.pop("MODELYARD_RUN_ID", None)
    assert subprocess.run([sys.executable, str(script)], env=env).returncode == 0
    assert (
        subprocess.run(
            [sys.executable, str(script), "crash"], env=env, capture_output=True
        ).returncode
        == 1
    )
    ok, crashed = sorted(list_runs(store), key=lambda r: r.id)
    assert ok.status == "finished" and ok.metrics == {"loss": 0.5}
    assert crashed.status == "failed" and "crashed before end" in crashed.error


def test_a_stale_or_foreign_job_id_is_not_taken_over(store, monkeypatch):
    with _quiet_run(name="done") as done:
        done.log_metric("loss", 1.0)
    monkeypatch.setenv("MODELYARD_RUN_ID", str(done.id))  # leaked from somewhere
    with _quiet_run(name="mine") as run:
        run.log_metric("loss", 2.0)
    assert run.id != done.id and "MODELYARD_RUN_ID" not in os.environ
    assert get_run(store, done.id).metrics == {"loss": 1.0}


def test_sys_exit_inside_with_decides_the_status(store):
    with pytest.raises(SystemExit), _quiet_run() as ok:
        raise SystemExit(0)
    with pytest.raises(SystemExit), _quiet_run() as bad:
        raise SystemExit(3)
    assert get_run(store, ok.id).status == "finished"
    failed = get_run(store, bad.id)
    assert failed.status == "failed" and "exited with code 3" in failed.error


def test_bad_steps_and_timestamps_are_refused_and_good_points_kept(store, monkeypatch):
    import datetime

    from modelyard.tracking import runs as runs_module

    run = _quiet_run()
    run.log_metric("loss", 0.5)
    for kwargs in (
        {"timestamp": datetime.datetime.now()},
        {"step": 2**70},
        {"step": -1},
        {"step": 1.5},
    ):
        with pytest.raises(InvalidInputError):
            run.log_metric("loss", 0.4, **kwargs)
    real, calls = runs_module.insert_metric_rows, []

    def flaky(session, run_id, rows):  # the first write fails with a driver error
        calls.append(len(rows))
        if len(calls) == 1:
            raise RuntimeError("disk I/O error")
        return real(session, run_id, rows)

    monkeypatch.setattr(runs_module, "insert_metric_rows", flaky)
    with pytest.raises(RuntimeError):
        run.flush()
    run.log_metric("loss", 0.3)
    run.end()
    rows, _ = metric_history(store, run.id)
    assert [value for _key, _step, value in rows] == [0.5, 0.3]  # nothing lost


def test_each_logged_model_keeps_its_own_kind_and_task(store):
    from sklearn.linear_model import LinearRegression, LogisticRegression

    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    with _quiet_run() as run:
        clf = run.log_model(LogisticRegression().fit(frame, [0, 0, 1, 1]), "clf", frame)
        reg = run.log_model(LinearRegression().fit(frame, [1, 2, 3, 4]), "reg", frame)
        newer = run.log_model(LinearRegression().fit(frame, [2, 4, 6, 8]), "reg", frame)
    assert newer.version == 2  # a run that logs again under a name makes its next version
    again = get_model_version(store, "clf")
    assert (again.model_kind, again.task) == ("LogisticRegression", "classification")
    assert (reg.model_kind, reg.task) == ("LinearRegression", "regression")
    assert clf.blob != reg.blob


def test_a_pipeline_choosing_columns_by_position_needs_an_input_example(store):
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "plan": ["a", "b", "a", "b"]})
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), [1]), remainder="passthrough"),
        LinearRegression(),
    ).fit(frame, [1, 2, 3, 4])
    with _quiet_run() as run:
        with pytest.raises(InvalidInputError, match="by position"):
            run.log_model(model, "m")
        version = run.log_model(model, "m", input_example=frame)
    assert {c["name"]: c["kind"] for c in version.signature["inputs"]} == {
        "x": "float",
        "plan": "categorical",
    }
    assert predict(store, version, frame.head(1))["predictions"][0] == pytest.approx(1.0)


def test_a_model_from_a_script_has_no_holdout_to_evaluate(store, churn, sample_csv):
    from modelyard.registry.evaluation import evaluate

    model, x = _fit(sample_csv)
    with _quiet_run(dataset=churn.label) as run:
        version = run.log_model(model, "churn-sdk", input_example=x.head(), target="churn")
    with pytest.raises(InvalidInputError, match="does not know which rows it held out"):
        evaluate(store, version)
    assert evaluate(store, version, churn.label).metrics["accuracy"] > 0.5


def test_a_forked_child_is_told_to_log_from_the_parent(store):
    import multiprocessing

    run = _quiet_run()
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        answer = pool.apply(_log_in_child)
    assert "forked child process" in answer
    run.end()


def _log_in_child() -> str:
    try:
        modelyard.active_run()  # the parent's run is not this process's
        modelyard.start_run()
    except InvalidInputError as exc:
        return str(exc)
    return "logged"


def test_an_artifact_named_dot_is_the_folder(store, tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.txt").write_text("a")
    monkeypatch.chdir(tmp_path / "out")
    with _quiet_run() as run:
        assert run.log_artifact(".") == ["out/a.txt"]
