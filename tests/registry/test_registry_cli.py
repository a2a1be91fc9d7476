"""`modelyard models …` in process against the test store."""

import pytest

from modelyard.cli.main import main as cli
from modelyard.registry.service import register
from tests.conftest import train_in_process


@pytest.fixture
def two_versions(store, churn):
    """Two versions of the same model (same data, parameters and seed), from two runs."""
    return [register(store, train_in_process(store, churn).id, "churn") for _ in range(2)]


def test_models_alias_rollback_show_and_audit(two_versions, capsys):
    assert cli(["models", "alias", "churn", "1", "production"]) == 0
    assert cli(["models", "alias", "churn", "2", "production"]) == 0
    assert "now points to v2 (was v1)" in capsys.readouterr().out
    assert cli(["models"]) == 0
    listing = capsys.readouterr().out
    assert "aliases" in listing and "production" in listing
    assert cli(["models", "rollback", "churn"]) == 0
    assert "production of 'churn' now points to v1 (was v2)" in capsys.readouterr().out
    assert cli(["models", "show", "churn@production"]) == 0
    shown = capsys.readouterr().out
    assert "churn v1" in shown and "aliases   production" in shown
    assert "customer_churn.csv" in shown and "sha256" in shown and "rollback" in shown
    assert "churn v1 → run 1" in shown
    assert cli(["models", "audit"]) == 0
    audit = capsys.readouterr().out
    assert audit.count("register") == 2 and "rollback" in audit
    assert "alias=production, version=2 → alias=production, version=1" in audit


def test_models_errors_are_one_sentence(two_versions, capsys):
    assert cli(["models", "alias", "churn", "7", "staging"]) == 1
    assert "Model 'churn' has no version 7." in capsys.readouterr().err
    assert cli(["models", "rollback", "churn"]) == 1
    assert "no production version" in capsys.readouterr().err
    assert cli(["models", "show", "ghost"]) == 1
    assert "no registered model 'ghost'" in capsys.readouterr().err


def test_evaluate_and_compare_from_the_cli(two_versions, capsys):
    assert cli(["evaluate", "churn:1"]) == 0
    out = capsys.readouterr().out
    assert "churn v1 on holdout of customer_churn:1 (seed 0) (400 rows)" in out
    assert "confusion matrix" in out and "log_loss" in out and "worst predictions" in out
    assert cli(["evaluate", "churn:2", "--against", "churn:1"]) == 0
    assert "No clear difference on f1_macro" in capsys.readouterr().out
    assert cli(["evaluate", "churn", "--dataset", "nothere"]) == 1
    assert "error:" in capsys.readouterr().err
