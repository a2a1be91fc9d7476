"""Header cells that are empty or repeated are named, with a note, never refused: R's
write.csv puts row names under an empty first cell; spreadsheets repeat names."""

import json

import pandas as pd
import pytest

from modelyard.datasets.profile import get_profile
from modelyard.datasets.readers import read_arrow, renamed_columns
from modelyard.datasets.review import preview_file
from modelyard.datasets.service import import_file, load_frame, store_table

R_CSV = b'"","a","b"\n"1",1.5,"x"\n"2",2.5,"y"\n"3",3.5,"x"\n'


def test_r_row_names_are_named_as_pandas_names_them(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(R_CSV)
    table = read_arrow(path)
    assert table.column_names[0] == pd.read_csv(path).columns[0] == "Unnamed: 0"
    assert table.column_names == ["Unnamed: 0", "a", "b"]
    assert [n["why"] for n in renamed_columns(table)] == ["row names"]


@pytest.mark.parametrize(
    "content,names,whys",
    [
        (b"a,,c\n1,2,3\n", ["a", "Unnamed: 1", "c"], ["empty"]),
        (b"a, ,c\n1,2,3\n", ["a", "Unnamed: 1", "c"], ["empty"]),
        (b"a,b,a,a\n1,2,3,4\n", ["a", "b", "a_2", "a_3"], ["duplicate", "duplicate"]),
        (b"a,a_2,a\n1,2,3\n", ["a", "a_2", "a_3"], ["duplicate"]),
        (
            b",,\n1,2,3\n",
            ["Unnamed: 0", "Unnamed: 1", "Unnamed: 2"],
            ["row names", "empty", "empty"],
        ),
    ],
)
def test_empty_and_repeated_names_become_unique(tmp_path, content, names, whys):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    table = read_arrow(path)
    assert table.column_names == names
    assert [n["why"] for n in renamed_columns(table)] == whys


def test_json_and_excel_headers_get_the_same_names(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"": [1, 2], "a": [3, 4]}))
    assert read_arrow(path).column_names == ["Unnamed: 0", "a"]
    workbook = tmp_path / "f.xlsx"
    pd.DataFrame([[1, 2, 3], [4, 5, 6]], columns=["x", "x", "y"]).to_excel(workbook, index=False)
    assert read_arrow(workbook).column_names == ["x", "x_2", "y"]


def test_import_keeps_row_names_ignored_and_says_what_was_renamed(store, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(R_CSV.replace(b'"a","b"', b'"a","a"'))
    result = import_file(store, path)
    assert [c.name for c in result.version.columns] == ["Unnamed: 0", "a", "a_2"]
    assert result.message.splitlines()[-1] == (
        "Renamed: column 1 had no name and holds row names: named 'Unnamed: 0', ignored for "
        "training; column 3 repeats the name 'a': named 'a_2'."
    )
    assert get_profile(store, result.version)["roles"] == {"Unnamed: 0": "ignore"}
    stored = load_frame(store, result.version)
    assert list(stored.columns) == ["Unnamed: 0", "a", "a_2"]
    import pyarrow.parquet as pq

    metadata = pq.read_schema(store.blobs.open_path(result.version.content_hash)).metadata or {}
    assert b"modelyard.renamed" not in metadata  # the note is not part of the stored data


def test_review_defaults_row_names_to_ignore_and_lists_the_renames(store, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(R_CSV)
    preview = preview_file(path)
    assert preview.roles == {"Unnamed: 0": "ignore"}
    assert (
        preview.flags["Unnamed: 0"][0] == "row names" and "ID-like" in preview.flags["Unnamed: 0"]
    )
    assert preview.renamed and "row names" in preview.renamed[0]
    # the review chose feature for the row names: kept and learnt from, no ignore role
    result = store_table(
        store, preview.table, path, 1, "r", overrides={"Unnamed: 0": {"role": "feature"}}
    )
    assert "roles" not in get_profile(store, result.version)
