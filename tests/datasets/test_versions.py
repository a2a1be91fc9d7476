import numpy as np
import pandas as pd
import pytest

from modelyard.datasets.service import get_version, import_file, list_datasets
from modelyard.datasets.versions import delete_version, diff_versions, parent_of, users_of
from modelyard.errors import InvalidInputError
from tests.conftest import store_snapshot, train_in_process


def _frame(seed, shift=0.0, n=400):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(40 + shift, 5, n).round(1),
            "plan": rng.choice(
                ["a", "b", "c"], n, p=[0.6, 0.3, 0.1] if not shift else [0.1, 0.3, 0.6]
            ),
            "score": rng.normal(0, 1, n),
            "old": rng.integers(0, 5, n),
        }
    )


def test_diff_names_schema_changes_rows_and_moved_distributions(store, tmp_path):
    path = tmp_path / "people.csv"
    _frame(0).to_csv(path, index=False)
    v1 = import_file(store, path).version
    changed = _frame(1, shift=8.0, n=500).drop(columns=["old"])
    changed["score"] = changed["score"].astype(str) + "x"
    changed["extra"] = 1
    changed.to_csv(path, index=False)
    v2 = import_file(store, path).version
    assert parent_of(store, v2) == v1 and parent_of(store, v1) is None
    diff = diff_versions(store, v1, v2)
    assert diff.added == ["extra"] and diff.removed == ["old"]
    assert diff.retyped == [("score", "float", "text")]
    moved = {d.column: d.test for d in diff.moved}
    assert moved == {"age": "KS", "plan": "chi-square"}
    lines = diff.lines()
    assert lines[0] == "people:1 → people:2: rows 400 → 500 (+100)"
    same = diff_versions(store, v1, v1)
    assert not same.moved and not same.added and not same.retyped


def test_delete_frees_the_blob_and_relinks_the_next_version(store, tmp_path):
    path = tmp_path / "d.csv"
    for i in range(3):
        path.write_text(f"a,b\n1,{i}\n2,3\n")
        import_file(store, path)
    v2 = get_version(store, "d:2")
    message = delete_version(store, v2)
    assert message == "Deleted d:2 and freed its stored file."
    assert not store.blobs.exists(v2.content_hash)
    assert [v.version for v in list_datasets(store)[0].versions] == [1, 3]
    assert parent_of(store, get_version(store, "d:3")).version == 1
    for ref in ("d:1", "d:3"):
        delete_version(store, get_version(store, ref))
    assert list_datasets(store) == []


def test_versions_used_by_runs_and_models_are_kept(store, churn):
    from modelyard.registry.service import register

    run = train_in_process(store, churn)
    register(store, run.id, "churn-model")
    assert users_of(store, churn) == [f"run {run.id}", "model churn-model v1"]
    before = store_snapshot(store)
    with pytest.raises(
        InvalidInputError, match=r"customer_churn:1 is kept: run \d+, model churn-model v1 used it"
    ):
        delete_version(store, churn)
    assert store_snapshot(store) == before
