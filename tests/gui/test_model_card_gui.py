"""Export model card… on the Models page; bundles carry the card."""

from modelyard.registry.service import register


def test_the_models_page_exports_the_card_and_bundles_carry_it(
    window, store, finished_run, tmp_path
):
    from modelyard.deploy.bundle import export_bundle

    version = register(store, finished_run.id, "churn")
    window.show_page(window.models_page)
    page = window.models_page
    page.table.selectRow(0)
    assert page.card_button.isEnabled()
    written = page.export_card(tmp_path / "cards", "Internal testing only.")
    assert (
        written.name == "churn-v1-card.md" and (tmp_path / "cards" / "churn-v1-card.html").exists()
    )
    assert "Internal testing only." in written.read_text()
    assert "Wrote the model card of churn v1" in window.banner.label.text()
    bundle = export_bundle(store, version, tmp_path / "bundle")
    assert "Internal testing only." in (bundle.path / "MODEL_CARD.md").read_text()
    assert (bundle.path / "MODEL_CARD.html").exists()
