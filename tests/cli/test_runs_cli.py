"""`modelyard runs …`, `experiments`, `budget` and `cost --experiment`, in process."""

from modelyard.cli.main import main as cli
from tests.conftest import store_snapshot, train_in_process


def test_compare_tag_note_and_filter_runs(store, churn, capsys):
    a = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 5})
    b = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 9})
    assert cli(["runs", "compare", str(a.id), str(b.id)]) == 0
    out = capsys.readouterr().out
    differs = [line for line in out.splitlines() if line.startswith("*")]
    assert any("param n_estimators" in line for line in differs)
    assert not any("param max_depth" in line for line in differs)
    assert cli(["runs", "tag", str(a.id), "stage=best"]) == 0
    assert cli(["runs", "note", str(a.id), "five", "trees"]) == 0
    capsys.readouterr()
    assert cli(["runs", "list", "--tag", "stage=best"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 3 and listed[2].startswith(str(a.id))
    assert cli(["runs", "show", str(a.id)]) == 0
    shown = capsys.readouterr().out
    assert "tags     stage=best" in shown and "notes    five trees" in shown
    assert "experiment Default" in shown and "packages" in shown


def test_budget_and_experiment_commands(store, churn, capsys):
    train_in_process(store, churn)
    assert cli(["budget", "set", "Default", "--kwh", "2", "--auto-stop"]) == 0
    assert "of its budget of 2 kWh (running runs stop at 100%)" in capsys.readouterr().out
    assert cli(["experiments"]) == 0
    assert "2 kWh, auto-stop" in capsys.readouterr().out
    assert cli(["budget"]) == 0
    assert capsys.readouterr().out.startswith("[ok] Experiment 'Default'")
    assert cli(["cost", "--experiment", "Default"]) == 0
    assert "Experiment 'Default' has used" in capsys.readouterr().out


def test_runs_and_budget_errors_are_one_sentence_and_write_nothing(store, churn, capsys):
    run = train_in_process(store, churn)
    before = store_snapshot(store)
    for argv, words in (
        (["runs", "compare", str(run.id)], "at least two runs"),
        (["runs", "tag", str(run.id), "novalue"], "KEY=VALUE"),
        (["runs", "show"], "Name one run"),
        (["budget", "set", "Default"], "--kwh and/or --money"),
        (["budget", "set", "Default", "--kwh", "-1"], "positive number"),
        (["cost", "--experiment", "ghost"], "no experiment 'ghost'"),
    ):
        assert cli(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and words in err and err.count("\n") == 1, err
    assert store_snapshot(store) == before
