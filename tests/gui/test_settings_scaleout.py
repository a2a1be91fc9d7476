"""Settings → Execution (this machine or a Dask scheduler) and the team store's URL and blob
folder; the runs table's "Executed on" column and the run detail's line."""

from modelyard import paths
from modelyard.training import executors


def test_execution_and_team_store_are_checked_then_saved(window, store, home):
    page = window.settings_page
    window.show_page(page)
    assert page.executor.text() == "" and not page.retry_lost.isChecked()
    page.executor.setText("10.1.1.1")
    page.executor.setModified(True)
    assert not page.save()
    assert "tcp://HOST:8786" in page.status.text()
    assert executors.chosen(store) == "local"  # nothing saved when one value is wrong
    page.executor.setText("tcp://10.1.1.1:8786")
    page.retry_lost.setChecked(True)
    page.store_url.setText("postgresql+psycopg://ana:pa55word@db.example/team")
    page.store_url.setModified(True)
    page.blob_folder.setText("/mnt/team/blobs")
    page.blob_folder.setModified(True)
    assert page.save(), page.status.text()
    assert executors.chosen(store) == "tcp://10.1.1.1:8786" and executors.retry_lost_worker(store)
    assert paths.local_config(home) == {
        "store_url": "postgresql+psycopg://ana:pa55word@db.example/team",
        "blob_dir": "/mnt/team/blobs",
    }
    assert "pa55word" not in page.store_url.text()  # shown as ***, and saved only if edited
    assert page.save()
    assert paths.local_config(home)["store_url"].endswith("ana:pa55word@db.example/team")
    page.store_url.setText("mysql://x")
    page.store_url.setModified(True)
    assert not page.save() and "postgresql+psycopg://" in page.status.text()


def test_where_a_run_executed_shows_in_the_table_and_the_detail(store, churn):
    from modelyard.gui.pages.runs.run_detail import environment_text
    from modelyard.tracking.run_table import run_rows
    from modelyard.tracking.runs import get_run, set_placement
    from modelyard.training.jobs import create_run

    run = create_run(store, churn, "churn", "logistic_regression")
    set_placement(store, run.id, "tcp://10.0.0.2:8786", host="gpu-box", worker="tcp://10.0.0.9:4")
    [row] = run_rows(store)
    assert row.value("where") == "tcp://10.0.0.9:4 (gpu-box)"
    from modelyard.tracking.experiments import set_environment

    set_environment(store, run.id, {"python": "3.11", "seed": 0})
    text = environment_text(get_run(store, run.id))
    assert "executed    tcp://10.0.0.2:8786 on gpu-box tcp://10.0.0.9:4" in text
