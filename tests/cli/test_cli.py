"""The command line end to end, in real subprocesses against one store."""

import os
import subprocess
import sys

import pytest

from tests.conftest import store_snapshot

pytestmark = pytest.mark.slow


def modelyard(*args, home, cwd=None):
    env = dict(os.environ, MODELYARD_HOME=str(home))
    env.pop("MODELYARD_STORE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "modelyard", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=180,
    )


def ok(result):
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_train_register_export_verify(home, sample_csv, tmp_path):
    assert "Imported customer_churn.csv as customer_churn:1" in ok(
        modelyard("import", sample_csv, home=home)
    )
    again = ok(modelyard("import", sample_csv, home=home))
    assert "already stored as customer_churn:1" in again
    trained = ok(
        modelyard(
            "train",
            "--dataset",
            "customer_churn:1",
            "--target",
            "churn",
            "--model",
            "random_forest",
            "--param",
            "n_estimators=20",
            "--seed",
            "4",
            "--wait",
            home=home,
        )
    )
    assert "Run 1 finished: accuracy=" in trained
    listing = ok(modelyard("runs", home=home))
    assert "finished" in listing and "random_forest" in listing
    shown = ok(modelyard("runs", "show", "latest", home=home))
    assert "n_estimators=20" in shown and "accuracy" in shown
    assert "as churn v1" in ok(
        modelyard("register", "--run", "latest", "--name", "churn", home=home)
    )
    assert "churn" in ok(modelyard("models", home=home))
    out = tmp_path / "bundle"
    assert "Exported churn v1" in ok(modelyard("export", "churn", "--out", out, home=home))
    assert "all files match" in ok(modelyard("bundle", "verify", out, home=home))

    (out / "signature.json").write_text("{}")
    tampered = modelyard("bundle", "verify", out, home=home)
    assert tampered.returncode == 1
    assert "changed: signature.json" in tampered.stderr


def test_a_failed_run_exits_non_zero_with_wait(home, tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("x,label\n" + "".join(f"{i},a\n" for i in range(20)))
    ok(modelyard("import", data, home=home))
    result = modelyard(
        "train",
        "--dataset",
        "one",
        "--target",
        "label",
        "--model",
        "logistic_regression",
        "--task",
        "classification",
        "--wait",
        home=home,
    )
    assert result.returncode == 1
    assert "only one class" in result.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (("import", "{tmp}/empty.csv"), "empty.csv is empty"),
        (("import", "{tmp}/binary.csv"), "not a text file"),
        (
            (
                "train",
                "--dataset",
                "customer_churn",
                "--target",
                "nope",
                "--model",
                "random_forest",
            ),
            "Column 'nope' is not in",
        ),
        (
            ("train", "--dataset", "missing", "--target", "x", "--model", "random_forest"),
            "no dataset version 'missing'",
        ),
        (
            (
                "train",
                "--dataset",
                "customer_churn",
                "--target",
                "churn",
                "--model",
                "random_forest",
                "--param",
                "bad",
            ),
            "KEY=VALUE",
        ),
        (("runs", "show", "99"), "no run 99"),
        (("register", "--run", "42", "--name", "m"), "no run 42"),
        (("export", "nomodel", "--out", "{tmp}/x"), "no registered model 'nomodel'"),
        (("bundle", "verify", "{tmp}"), "not a Modelyard bundle"),
    ],
)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    home, store, churn, tmp_path, args, message
):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 10)
    before = store_snapshot(store)
    result = modelyard(*[a.format(tmp=tmp_path) for a in args], home=home)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert store_snapshot(store) == before


def test_help_lists_the_commands(home):
    text = ok(modelyard("--help", home=home))
    for command in ("import", "train", "runs", "register", "export", "bundle"):
        assert command in text


def test_runs_cancel_stops_a_running_run(home, store, churn):
    from modelyard.tracking.runs import get_run
    from modelyard.training import launcher
    from modelyard.training.jobs import create_run

    run = create_run(store, churn, "churn", "random_forest", {"n_estimators": 3000})
    proc = launcher.start(store, run.id)
    assert "cancelled" in ok(modelyard("runs", "cancel", run.id, home=home))
    proc.wait(timeout=60)
    assert get_run(store, run.id).status == "cancelled"
    again = modelyard("runs", "cancel", run.id, home=home)
    assert again.returncode == 1 and "only a queued or running run" in again.stderr


def test_the_app_without_a_display_says_what_to_do(home):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["MODELYARD_HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "modelyard"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2
    assert "no display" in result.stderr and "--help" in result.stderr
