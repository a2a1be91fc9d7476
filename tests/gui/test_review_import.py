from modelyard.datasets.review import preferred_target
from modelyard.datasets.service import list_datasets
from tests.conftest import store_snapshot
from tests.gui.test_main_window import drop


def _orders(tmp_path):
    path = tmp_path / "orders.csv"
    rows = "".join(f"{i},{i % 3},{'yes' if i % 2 else 'no'},{i * 1.5}\n" for i in range(30))
    path.write_text("order_id,zone,paid,amount\n" + rows)
    return path


def test_review_lets_the_user_retype_ignore_and_pick_the_target(window, qtbot, store, tmp_path):
    page = window.datasets_page
    page.review_check.setChecked(True)
    drop(window, _orders(tmp_path))
    qtbot.waitUntil(lambda: getattr(window, "review_dialog", None) is not None, timeout=30000)
    dialog = window.review_dialog
    assert dialog.rows.rowCount() == 20 and dialog.rows.item(0, 2).text() == "no"
    assert dialog.schema.item(0, 2).text() == "ID-like"
    assert dialog.overrides() == {}
    dialog.kind_boxes["zone"].setCurrentText("categorical")
    dialog.role_boxes["order_id"].setCurrentText("ignore")
    dialog.role_boxes["paid"].setCurrentText("target")
    dialog.accept()
    qtbot.waitUntil(lambda: not window.busy and page.versions.rowCount() == 1, timeout=30000)
    version = list_datasets(store)[0].versions[0]
    assert {c.name: c.kind for c in version.columns}["zone"] == "categorical"
    assert "order_id" not in [c.name for c in version.columns]
    assert preferred_target(store, version) == "paid"


def test_closing_the_review_saves_nothing(window, qtbot, store, tmp_path):
    window.datasets_page.review_check.setChecked(True)
    before = store_snapshot(store)
    drop(window, _orders(tmp_path))
    qtbot.waitUntil(lambda: getattr(window, "review_dialog", None) is not None, timeout=30000)
    window.review_dialog.reject()
    assert "cancelled; nothing was saved" in window.banner.label.text()
    assert not window.busy
    assert store_snapshot(store) == before


def test_review_of_an_r_csv_shows_the_renames_and_ignores_row_names(qtbot, tmp_path):
    from modelyard.datasets.review import preview_file
    from modelyard.gui.pages.datasets.review_dialog import ReviewDialog

    path = tmp_path / "r.csv"
    path.write_text('"","a","a"\n"1",1,2\n"2",3,4\n')
    dialog = ReviewDialog(preview_file(path))
    qtbot.addWidget(dialog)
    assert dialog.role_boxes["Unnamed: 0"].currentText() == "ignore"
    assert dialog.overrides() == {}  # kept, recorded as ignored for training
    from PySide6.QtWidgets import QLabel

    labels = [w.text() for w in dialog.findChildren(QLabel)]
    assert any(t.startswith("Renamed: ") and "named 'a_2'" in t for t in labels)
    dialog.role_boxes["Unnamed: 0"].setCurrentText("feature")
    assert dialog.overrides() == {"Unnamed: 0": {"role": "feature"}}
