"""The runs table: one light row per run, filtered and sorted in memory."""

import pytest

from modelyard.errors import InvalidInputError
from modelyard.tracking.experiments import tag_run
from modelyard.tracking.run_table import (
    available_columns,
    fingerprint,
    parse_filter,
    run_rows,
    sort_rows,
)
from modelyard.tracking.runs import create_tracked_run, finish, log_metrics, mark_running
from modelyard.training.jobs import create_run


def _run(store, churn, c, accuracy=None, experiment=None, tags=None, kind="logistic_regression"):
    run = create_run(
        store,
        churn,
        "churn",
        kind,
        {"C": c} if kind == "logistic_regression" else {},
        experiment=experiment,
    )
    if accuracy is not None:
        mark_running(store, run.id)
        finish(store, run.id, "0" * 64, {}, {"accuracy": accuracy})
    if tags:
        tag_run(store, run.id, tags)
    return run.id


@pytest.fixture
def table(store, churn):
    ids = [
        _run(store, churn, 0.1, 0.80, tags={"team": "vision"}),
        _run(store, churn, 1.0, 0.90, experiment="tuning"),
        _run(store, churn, 10.0, 0.85, experiment="tuning", tags={"team": "nlp"}),
        _run(store, churn, 1.0),  # queued, no metrics
    ]
    return ids, run_rows(store)


def test_rows_carry_params_latest_metrics_and_tags(store, churn, table):
    ids, rows = table
    assert [r.id for r in rows] == ids[::-1]  # newest first
    first = next(r for r in rows if r.id == ids[0])
    assert first.params["C"] == 0.1 and first.metrics == {"accuracy": 0.80}
    assert first.tags == {"team": "vision"} and first.dataset == churn.label
    assert first.status == "finished" and first.duration_s is not None
    log_metrics(store, ids[3], {"loss": 0.5}, step=1)
    log_metrics(store, ids[3], {"loss": 0.25}, step=2)
    (queued,) = run_rows(store, ids=[ids[3]])
    assert queued.metrics == {"loss": 0.25}  # the latest value, from the summary
    assert [r.id for r in run_rows(store, experiment="tuning")] == [ids[2], ids[1]]
    assert fingerprint(store) == (4, ids[3])
    assert available_columns(rows)[:2] == ["metrics.accuracy", "params.C"]


def test_a_run_of_a_script_without_a_dataset_has_a_row(store):
    run = create_tracked_run(store, "sdk", name="notebook", status="running")
    (row,) = run_rows(store)
    assert (row.id, row.source, row.dataset, row.name) == (run.id, "sdk", "", "notebook")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accuracy > 0.82", [2, 1]),
        ("metrics.accuracy >= 0.85 and params.C < 5", [1]),
        ("C = 1", [3, 1]),
        ("status = finished, experiment = tuning", [2, 1]),
        ("tags.team = vision", [0]),
        ("team != vision", [3, 2, 1]),
        ("vision", [0]),
        ("model ~ LOGISTIC", [3, 2, 1, 0]),
        ("accuracy > 0.95", []),
        ("", [3, 2, 1, 0]),
    ],
)
def test_filters(table, text, expected):
    ids, rows = table
    assert [r.id for r in parse_filter(text).apply(rows)] == [ids[i] for i in expected]


def test_a_filter_that_cannot_be_read_says_how_to_write_one():
    for bad in ("accuracy >", "a >> 3 <"):
        with pytest.raises(InvalidInputError, match="accuracy > 0.9"):
            parse_filter(bad)


def test_sorting_by_any_column_keeps_missing_values_last(table):
    ids, rows = table
    by_accuracy = sort_rows(rows, "metrics.accuracy")
    assert [r.id for r in by_accuracy] == [ids[0], ids[2], ids[1], ids[3]]
    descending = sort_rows(rows, "metrics.accuracy", descending=True)
    assert [r.id for r in descending] == [ids[1], ids[2], ids[0], ids[3]]
    assert [r.params["C"] for r in sort_rows(rows, "params.C")] == [0.1, 1.0, 1.0, 10.0]
    assert [r.id for r in sort_rows(rows, "id")] == ids
    assert sort_rows(rows, "status")[0].status == "finished"


def test_times_filter_as_text_and_unknown_columns_are_named(table):
    ids, rows = table
    assert len(parse_filter("created > 2000-01-01").apply(rows)) == 4
    assert parse_filter("created < 2000-01-01").apply(rows) == []
    with pytest.raises(InvalidInputError, match="no column 'foo.bar'"):
        sort_rows(rows, "foo.bar")


def test_the_cli_lists_runs_by_any_column(store, table, capsys):
    from modelyard.cli.main import main as cli

    ids, _ = table
    assert (
        cli(
            [
                "runs",
                "--where",
                "accuracy > 0.82",
                "--sort",
                "accuracy",
                "--desc",
                "--columns",
                "id,metrics.accuracy,params.C",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["Run", "accuracy", "C"]
    assert [line.split()[0] for line in lines[2:]] == [str(ids[1]), str(ids[2])]
    assert cli(["runs", "--columns", "id,foo.bar"]) == 1
    assert cli(["runs", "--limit", "0"]) == 1
    assert "no column 'foo.bar'" in capsys.readouterr().err
