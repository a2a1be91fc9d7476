import gzip

import pandas as pd
import pytest

from modelyard.datasets.service import get_version, import_file, list_datasets, load_frame
from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.progress import Progress
from tests.conftest import store_snapshot


def test_csv_import_records_shape_types_and_hash(store, sample_csv):
    result = import_file(store, sample_csv)
    version = result.version
    assert result.created
    assert (version.dataset_name, version.version) == ("customer_churn", 1)
    assert (version.n_rows, version.n_cols) == (2000, 10)
    kinds = {c.name: c.kind for c in version.columns}
    assert kinds["tenure_months"] == "integer"
    assert kinds["monthly_charges"] == "float"
    assert kinds["contract"] == "categorical"
    assert kinds["paperless_billing"] == "boolean"
    assert kinds["customer_id"] == "text"
    assert version.column("total_charges").nullable
    assert store.blobs.open_path(version.content_hash).exists()
    frame = load_frame(store, version)
    assert frame.shape == (2000, 10)


def test_parquet_import(store, tmp_path):
    path = tmp_path / "houses.parquet"
    pd.DataFrame({"rooms": [1, 2, 3, 4] * 5, "price": [1.5, 2.5, 3.0, 4.2] * 5}).to_parquet(path)
    version = import_file(store, path).version
    assert (version.dataset_name, version.n_rows, version.n_cols) == ("houses", 20, 2)


def test_same_content_is_recognised_and_creates_nothing(store, sample_csv, tmp_path):
    first = import_file(store, sample_csv)
    before = store_snapshot(store)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(sample_csv.read_bytes())
    again = import_file(store, copy, name="another-name")
    assert not again.created
    assert again.version.id == first.version.id
    assert "already stored as customer_churn:1" in again.message
    assert store_snapshot(store) == before


def test_changed_content_under_same_name_is_the_next_version(store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    import_file(store, path)
    path.write_text("a,b\n1,2\n3,5\n")
    second = import_file(store, path).version
    assert second.version == 2
    assert [v.version for v in list_datasets(store)[0].versions] == [1, 2]
    assert get_version(store, "d").version == 2
    assert get_version(store, "d:1").version == 1
    with pytest.raises(NotFoundError):
        get_version(store, "d:7")


def _write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


BAD_FILES = {
    "empty file": ("empty.csv", b"", "is empty"),
    "binary renamed .csv": ("photo.csv", bytes(range(256)) * 40, "not a text file"),
    "header only": ("header.csv", b"a,b,c\n", "no rows"),
    "ragged rows": ("ragged.csv", b"a,b\n1,2\n3,4,5,6\n", "ragged rows"),
    "not parquet": ("fake.parquet", b"PAR1 this is not parquet", "not a valid Parquet"),
    "unsupported type": ("data.xyz", b"1,2", "not a supported file type"),
    "gzip renamed .csv": ("zipped.csv", gzip.compress(b"a,b\n1,2\n" * 100), "not a text file"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_is_a_clear_error_and_writes_nothing(store, tmp_path, case):
    name, content, message = BAD_FILES[case]
    path = _write(tmp_path, name, content)
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match=message) as info:
        import_file(store, path)
    assert "\n" not in str(info.value)
    assert store_snapshot(store) == before


def test_missing_file_and_folder_are_clear_errors(store, tmp_path):
    with pytest.raises(InvalidInputError, match="does not exist"):
        import_file(store, tmp_path / "gone.csv")
    with pytest.raises(InvalidInputError, match="is a folder"):
        import_file(store, tmp_path)


def test_cancelled_import_leaves_nothing(store, sample_csv):
    before = store_snapshot(store)
    progress = Progress(lambda fraction, _m: progress.cancel() if fraction >= 0.5 else None)
    from modelyard.errors import CancelledError

    with pytest.raises(CancelledError):
        import_file(store, sample_csv, progress=progress)
    assert store_snapshot(store) == before


def test_names_with_a_colon_are_refused(store, sample_csv):
    with pytest.raises(InvalidInputError, match="cannot be a dataset name"):
        import_file(store, sample_csv, name="a:b")
