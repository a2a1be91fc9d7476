"""The model card lists what it says it lists, from the CLI, the Models page and a bundle."""

import re

from modelyard.registry.card import model_card, notes
from modelyard.registry.service import register


def _sections(markdown):
    return re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE)


def test_the_card_lists_what_it_says_it_lists(store, churn, finished_run, tmp_path, capsys):
    from modelyard.cli.main import main

    version = register(store, finished_run.id, "churn")
    card = model_card(store, version)
    assert _sections(card.markdown) == [
        "Intended use", "Training data", "Features", "Metrics", "Latest evaluation",
        "Known limitations", "Lineage", "Audit trail",
    ]  # fmt: skip
    assert "_Not written yet._" in card.markdown and "_Not evaluated yet._" in card.markdown
    assert main(["evaluate", "churn", "--by", "contract"]) == 0
    note = "Rank customers for a retention call; not for pricing."
    assert main(["models", "card", "churn:1", "--out", str(tmp_path), "--intended-use", note]) == 0
    assert "Wrote the model card of churn v1" in capsys.readouterr().out
    text = (tmp_path / "churn-v1-card.md").read_text()
    assert _sections(text) == [
        "Intended use", "Training data", "Features", "Metrics", "Latest evaluation", "Slices",
        "Top features", "Known limitations", "Lineage", "Audit trail",
    ]  # fmt: skip
    assert note in text and notes(store, version)["intended_use"] == note
    assert f"sha256: `{churn.content_hash}`" in text  # the training data's version and hash
    assert "- Split: 1,600 training rows, 400 holdout rows (20%, seed 0, stratified)" in text
    cv = finished_run.metrics
    assert f"| accuracy | {cv['cv_accuracy']:.4g} ± {cv['cv_accuracy_std']:.3g} |" in text
    assert f"| {cv['accuracy']:.4g} |" in text  # the holdout beside the CV spread
    assert "### By contract" in text and "Demographic parity difference" in text
    assert "`customer_id`: ID-like" in text
    assert "| feature | mean \\|SHAP\\| |" in text  # top features by SHAP
    assert "- Run: run 1: logistic_regression, seed 0" in text
    assert "| card |" in text and "| register |" in text  # the audit trail, this change included
    page = (tmp_path / "churn-v1-card.html").read_text()
    assert page.startswith("<!doctype html>") and "<h2>Slices</h2>" in page
    assert "<th>metric</th>" in page and note in page
