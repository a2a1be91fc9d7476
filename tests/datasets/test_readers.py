"""Every supported format, and every kind of bad file: one sentence, nothing written."""

import gzip
import io
import json
import zipfile

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from modelyard.datasets import service
from modelyard.datasets.readers import read_arrow
from modelyard.datasets.service import import_file, load_frame
from modelyard.errors import InvalidInputError
from tests.conftest import store_snapshot

FRAME = pd.DataFrame(
    {
        "city": ["Zürich", "Köln", "Málaga", "Łódź"],
        "rooms": [1, 2, 3, 4],
        "price": [1.5, 2.5, None, 4.25],
    }
)


def _csv_bytes(sep=",", encoding="utf-8") -> bytes:
    return FRAME.to_csv(index=False, sep=sep).encode(encoding)


def _check(table):
    frame = table.to_pandas()
    assert list(frame.columns) == ["city", "rooms", "price"]
    assert frame["city"].tolist() == FRAME["city"].tolist()
    assert frame["rooms"].tolist() == [1, 2, 3, 4]
    assert frame["price"].isna().tolist() == [False, False, True, False]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("utf8.csv", _csv_bytes()),
        ("bom.csv", b"\xef\xbb\xbf" + _csv_bytes()),
        ("utf16.csv", _csv_bytes(encoding="utf-16")),
        ("utf16le.csv", _csv_bytes(encoding="utf-16-le")),
        ("latin1.csv", FRAME.iloc[:3].to_csv(index=False).encode("latin-1")),
        ("semicolon.csv", _csv_bytes(sep=";")),
        ("tabs.tsv", _csv_bytes(sep="\t")),
        ("pipes.txt", _csv_bytes(sep="|")),
        ("packed.csv.gz", gzip.compress(_csv_bytes(), mtime=0)),
    ],
)
def test_delimited_text_is_sniffed(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    table = read_arrow(path)
    if name.startswith("latin1"):
        assert table.column("city").to_pylist() == ["Zürich", "Köln", "Málaga"]
    else:
        _check(table)


def test_quoted_fields_with_delimiters_and_newlines(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('name,note\n"Smith, J.","said ""hi""\nand left"\nDoe,plain\n')
    frame = read_arrow(path).to_pandas()
    assert frame["name"].tolist() == ["Smith, J.", "Doe"]
    assert frame["note"].tolist() == ['said "hi"\nand left', "plain"]


def test_headerless_file_gets_numbered_columns(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("1,2.5,x\n3,4.5,y\n")
    assert read_arrow(path).column_names == ["column_1", "column_2", "column_3"]


def test_zip_with_one_csv(tmp_path):
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner/data.csv", _csv_bytes())
    _check(read_arrow(path))


def test_binary_formats(tmp_path):
    table = pa.Table.from_pandas(FRAME, preserve_index=False)
    pq.write_table(table, tmp_path / "a.parquet")
    feather.write_feather(table, tmp_path / "a.feather")
    with pa.OSFile(str(tmp_path / "a.arrow"), "wb") as sink:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    for name in ("a.parquet", "a.feather", "a.arrow"):
        _check(read_arrow(tmp_path / name))


def test_json_shapes(tmp_path):
    records = json.loads(FRAME.to_json(orient="records", force_ascii=False))
    (tmp_path / "records.json").write_text(json.dumps(records), encoding="utf-8")
    (tmp_path / "lines.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    (tmp_path / "columns.json").write_text(
        json.dumps({k: [r[k] for r in records] for k in records[0]})
    )
    for name in ("records.json", "lines.jsonl", "columns.json"):
        _check(read_arrow(tmp_path / name))


def test_excel(tmp_path):
    path = tmp_path / "book.xlsx"
    FRAME.to_excel(path, index=False)
    _check(read_arrow(path))


def test_imports_store_every_format_as_parquet(store, tmp_path):
    path = tmp_path / "houses.csv.gz"
    path.write_bytes(gzip.compress(_csv_bytes(sep=";")))
    version = import_file(store, path).version
    assert (version.dataset_name, version.n_rows, version.n_cols) == ("houses", 4, 3)
    assert version.source_size == path.stat().st_size
    assert load_frame(store, version)["city"].tolist() == FRAME["city"].tolist()


def _nested_parquet() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2], "tags": [[1, 2], [3]]}), sink)
    return sink.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return sink.getvalue()


BAD = {
    "empty": ("empty.csv", b"", "is empty"),
    "blank lines": ("blank.csv", b"\n\n  \n", "is empty"),
    "header only": ("header.csv", b"a,b,c\r\n", "no rows"),
    "binary junk": ("junk.csv", bytes(range(256)) * 40, "not a text file"),
    "ragged": ("ragged.tsv", b"a\tb\n1\t2\n3\n", "ragged rows"),
    "undecodable bytes": (
        "bad.csv",
        b"a,b\n" + b"1,x\n" * 30000 + b"2,\xff\xfe\n",
        "not valid utf-8",
    ),
    "nested parquet": ("nested.parquet", _nested_parquet(), "nested columns"),
    "junk parquet": ("junk.parquet", b"PAR1 nothing here", "not a valid Parquet"),
    "junk feather": ("junk.feather", b"ARROW1 nope", "not a valid Feather"),
    "junk gzip": ("junk.csv.gz", b"not gzip at all", "not a valid compressed"),
    "junk zip": ("junk.zip", b"PK not really", "not a valid zip"),
    "zip of two": ("two.zip", _zip({"a.csv": b"a\n1\n", "b.csv": b"b\n2\n"}), "holds 2 files"),
    "junk excel": ("junk.xlsx", b"not a workbook", "not a valid Excel"),
    "broken json": ("broken.json", b'[{"a": 1}, {"a": ', "not valid JSON"),
    "json scalar": ("scalar.json", b"42", "single value"),
    "nested json": ("nested.json", b'[{"a": {"b": 1}}]', "nested columns"),
    "unsupported": ("data.xyz", b"1,2", "not a supported file type"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_one_sentence_and_write_nothing(store, tmp_path, case):
    name, content, message = BAD[case]
    path = tmp_path / name
    path.write_bytes(content)
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match=f"(?i){message}") as info:
        import_file(store, path)
    text = str(info.value)
    assert "\n" not in text and name.split(".")[0] in text
    assert store_snapshot(store) == before


def test_not_enough_free_disk_writes_nothing(store, tmp_path, monkeypatch, sample_csv):
    class Usage:
        free = 1000

    monkeypatch.setattr(service.shutil, "disk_usage", lambda _folder: Usage)
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match="not enough free disk space"):
        import_file(store, sample_csv)
    assert store_snapshot(store) == before


def test_file_vanishing_while_read_is_a_clear_error(store, tmp_path, monkeypatch):
    path = tmp_path / "gone.csv"
    path.write_bytes(_csv_bytes())
    from modelyard.datasets import text_format

    real = text_format.sniff_dialect

    def sniff_then_delete(p):
        dialect = real(p)
        p.unlink()
        return dialect

    monkeypatch.setattr(text_format, "sniff_dialect", sniff_then_delete)
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match="vanished"):
        import_file(store, path)
    assert store_snapshot(store) == before
