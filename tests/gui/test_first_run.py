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
