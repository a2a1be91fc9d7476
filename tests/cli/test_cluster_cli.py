"""`modelyard cluster local`, `modelyard execution` and the --executor flag's refusals."""

import pytest

from modelyard.cli.main import main as cli

pytest.importorskip("distributed", reason="pip install -e '.[cluster]'")


@pytest.mark.slow
def test_cluster_local_starts_workers_and_prints_the_dashboard_link(home, capsys):
    code = cli(
        ["cluster", "local", "--workers", "1", "--port", "0", "--dashboard-port", "0",
         "--seconds", "0"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "Dask scheduler: tcp://" in out and "(1 workers)" in out
    assert "Dashboard: http://" in out and "--executor tcp://" in out


def test_execution_is_shown_set_and_used_when_the_flag_is_absent(home, capsys, churn, monkeypatch):
    from modelyard.training import dask_executor

    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 2)  # refused at once; no need to wait
    assert cli(["execution", "--executor", "tcp://127.0.0.1:1", "--retry", "yes"]) == 0
    out = capsys.readouterr().out
    assert "Runs execute on: tcp://127.0.0.1:1" in out and "retried once: yes" in out
    code = cli(["train", "--dataset", "customer_churn", "--target", "churn", "--model", "ridge"])
    captured = capsys.readouterr()
    assert code != 0 and "scheduler at tcp://127.0.0.1:1 cannot be reached" in captured.err
    assert "Traceback" not in captured.err


def test_a_malformed_executor_is_one_sentence_and_nothing_is_recorded(home, capsys, churn):
    from modelyard.store import open_store
    from tests.conftest import store_snapshot

    store = open_store()
    before = store_snapshot(store)
    code = cli(
        ["train", "--dataset", "customer_churn", "--target", "churn", "--model", "ridge",
         "--executor", "my-cluster"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code != 0 and "'my-cluster' is not a Dask scheduler address" in err
    assert store_snapshot(store) == before
    store.close()
