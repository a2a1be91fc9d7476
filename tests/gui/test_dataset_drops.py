from modelyard.datasets.service import list_datasets
from tests.conftest import store_snapshot
from tests.gui.test_main_window import drop


def test_dropping_a_folder_imports_each_file_and_names_each_failure(window, qtbot, store, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "alpha.csv").write_text("a,b\n1,2\n3,4\n")
    (folder / "beta.tsv").write_text("x\ty\n1\t2\n")
    (folder / "broken.csv").write_text("a,b\n1,2\n3,4,5,6\n")
    (folder / "readme.md").write_text("not data")
    shown = []
    notify = window.notify
    window.notify = lambda text, error=False: (shown.append((text, error)), notify(text, error))
    drop(window, folder)
    qtbot.waitUntil(lambda: not window.busy and not window._import_queue, timeout=30000)
    summary = [t for t, error in shown if t.startswith("Imported 2 of 3 files; 1 failed:")]
    assert len(summary) == 1, shown
    assert "broken.csv has ragged rows" in summary[0]
    assert (summary[0], True) in shown
    assert sorted(d.name for d in list_datasets(store)) == ["alpha", "beta"]
    assert window.datasets_page.versions.rowCount() == 2


def test_cancel_during_a_multi_file_import_leaves_nothing(window, qtbot, store, tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("a,b,c\n" + "".join(f"{i},{i * 0.5},label{i % 7}\n" for i in range(300_000)))
    small = tmp_path / "small.csv"
    small.write_text("a\n1\n")
    before = store_snapshot(store)
    drop(window, big, small)
    window.datasets_page.progress.cancel_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=30000)
    assert "cancelled; nothing was saved" in window.banner.label.text()
    assert store_snapshot(store) == before
