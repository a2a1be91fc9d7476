"""`modelyard monitor …` in real processes, and the retraining chain with real workers."""

import json

import pandas as pd
import pytest

from tests.cli.test_cli import modelyard, ok
from tests.monitoring.conftest import shifted

pytestmark = pytest.mark.slow


@pytest.fixture
def registered(home, sample_csv):
    ok(modelyard("import", sample_csv, home=home))
    ok(
        modelyard(
            "train",
            "--dataset",
            "customer_churn",
            "--target",
            "churn",
            "--model",
            "logistic_regression",
            "--wait",
            home=home,
        )
    )
    ok(modelyard("register", "--run", "latest", "--name", "churn", home=home))
    return home


def test_check_writes_json_and_html_and_gates_on_drift(registered, sample_csv, tmp_path):
    home = registered
    moved = tmp_path / "moved.csv"
    shifted(pd.read_csv(sample_csv)).to_csv(moved, index=False)
    out = modelyard(
        "monitor",
        "check",
        "churn:1",
        "--data",
        moved,
        "--json",
        tmp_path / "r.json",
        "--html",
        tmp_path / "r.html",
        "--fail-on-drift",
        home=home,
    )
    assert out.returncode == 3, out.stderr
    assert "DATASET DRIFT: 4 of 8 columns drift" in out.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert {
        "dataset_drift",
        "drift_share",
        "columns",
        "missing_columns",
        "new_columns",
        "performance",
    } <= set(report)
    assert set(report["columns"][0]) >= {"column", "test", "statistic", "threshold", "drifted"}
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    calm = modelyard(
        "monitor", "check", "churn", "--data", "customer_churn:1", "--fail-on-drift", home=home
    )
    assert calm.returncode == 0 and "no dataset drift" in calm.stdout
    history = ok(modelyard("monitor", "history", "churn", home=home))
    assert history.count("\n") == 4 and "moved.csv" in history  # header, rule, two checks
    refused = modelyard("monitor", "check", "churn", "--data", tmp_path / "none.csv", home=home)
    assert refused.returncode == 1 and "does not exist" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_rules_and_feedback_commands(registered, tmp_path):
    home = registered
    assert "Rule 1 added to churn: drift_share>=0.3" in ok(
        modelyard("monitor", "rules", "churn", "--add", "drift_share>=0.3", home=home)
    )
    bad = modelyard("monitor", "rules", "churn", "--add", "drift_share>0.3", home=home)
    assert bad.returncode == 1 and "is not a rule" in bad.stderr
    assert "no alert rules" in ok(
        modelyard("monitor", "rules", "churn", "--remove", "1", home=home)
    )
    labels = tmp_path / "labels.csv"
    labels.write_text("id,label\nr1-0,yes\nr2-0,no\n")
    assert "Kept 2 labels for churn v1" in ok(
        modelyard("monitor", "feedback", "churn", "--file", labels, home=home)
    )
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    assert (
        "needs an 'id' column"
        in modelyard("monitor", "feedback", "churn", "--file", wrong, home=home).stderr
    )


def test_alert_retrains_and_promotes_a_clearly_better_model(home, store, sample_csv, tmp_path):
    """alert → retraining run → new version → production alias moved, all on the record."""
    from modelyard.datasets.service import import_file
    from modelyard.monitoring.checks import check
    from modelyard.monitoring.retrain import act_on_alerts
    from modelyard.monitoring.rules import add_rule, list_alerts
    from modelyard.registry.aliases import aliases, set_alias
    from modelyard.registry.audit import audit_log
    from modelyard.registry.service import register
    from modelyard.tracking.runs import get_run
    from tests.conftest import train_in_process

    frame = pd.read_csv(sample_csv)
    noisy = frame.copy()
    noisy["churn"] = noisy["churn"].sample(frac=1.0, random_state=1).to_numpy()  # labels shuffled
    noisy_path = tmp_path / "noisy.csv"
    noisy.to_csv(noisy_path, index=False)
    champion_data = import_file(store, noisy_path, name="churn-data").version
    champion = register(
        store, train_in_process(store, champion_data, kind="random_forest").id, "churn"
    )
    set_alias(store, "churn", "production", champion.version)
    add_rule(store, "churn", "drop>=0.05,action=promote")
    fresh = import_file(store, sample_csv, name="churn-data").version  # real labels: churn-data:2
    result = check(store, champion, data=fresh.label)
    assert result.alert_ids, result.report["performance"]
    lines = act_on_alerts(store, champion, result)
    assert "now production" in lines[0], lines
    alert = list_alerts(store, "churn")[0]
    run = get_run(store, alert.retrain_run_id)
    assert run.tags["retrain_of"] == "churn v1" and run.tags["alert"] == str(alert.id)
    assert run.dataset.label == "churn-data:2" and run.model_kind == "random_forest"
    assert run.params == get_run(store, champion.run_id).params and run.seed == 0
    assert aliases(store, "churn")["production"] == 2
    moves = [e for e in audit_log(store, "churn") if e.action == "set alias"]
    assert moves[0].after == {"alias": "production", "version": 2}
    assert "beats churn v1" in alert.outcome
