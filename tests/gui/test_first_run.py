"""An empty store offers the sample dataset and shows the path import → train → register →
export on the pages along it."""


def test_the_empty_store_offers_the_sample_and_the_path(window, qtbot, store):
    page = window.datasets_page
    assert page.is_empty_shown and page.sample_button.isVisible()
    steps = {
        "datasets_page": "1. Import data",
        "runs_page": "2. Train a model",
        "models_page": "3. Register it",
        "deployments_page": "4. Export a bundle",
    }
    for attribute, step in steps.items():
        shown = getattr(window, attribute)
        window.show_page(shown)
        assert shown.is_empty_shown
        assert f"<b>{step}</b>" in shown.empty.guide.text()  # this page's step stands out
    assert window.sweeps_page.empty.guide is None  # off the path: no guide

    window.show_page(page)
    page.sample_button.click()
    qtbot.waitUntil(lambda: page.versions.rowCount() == 1 and not window.busy, timeout=30000)
    assert not page.is_empty_shown
    assert page.versions.item(0, 0).text() == "customer_churn"
    assert "Imported customer_churn.csv" in window.banner.label.text()


def test_the_first_launch_imports_the_sample_once(window, qtbot, store):
    from modelyard.datasets.service import count_datasets, get_version, list_datasets
    from modelyard.datasets.versions import delete_version
    from modelyard.gui.app import offer_sample

    offer_sample(window)
    qtbot.waitUntil(lambda: count_datasets(store) == 1 and not window.busy, timeout=30000)
    assert [d.name for d in list_datasets(store)] == ["customer_churn"]
    delete_version(store, get_version(store, "customer_churn:1"))
    offer_sample(window)  # a later launch: the empty page offers it, nothing is imported unasked
    assert count_datasets(store) == 0 and not window.busy
