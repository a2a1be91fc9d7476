"""Damaged files found by fuzzing the importers (benchmarks/reliability): each is refused with
a sentence (a ModelyardError), never an unexpected exception."""

import gzip
import zipfile
from pathlib import Path

import pytest

from modelyard.datasets.service import import_file
from modelyard.errors import InvalidInputError
from tests.conftest import store_snapshot

CSV = b"a,b\n" + b"".join(f"{i},{i * 2}\n".encode() for i in range(2000))


def damaged_deflate(data: bytes) -> bytes:
    broken = bytearray(data)
    broken[30:40] = b"\xff" * 10  # inside the deflate stream: zlib.error, not BadGzipFile
    return bytes(broken)


@pytest.mark.parametrize("suffix", [".csv.gz", ".zip"])
def test_a_damaged_compressed_csv_is_refused_with_a_sentence(store, tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    if suffix == ".zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.csv", CSV)
        raw = bytearray(path.read_bytes())
        raw[60:70] = b"\xff" * 10
        path.write_bytes(bytes(raw))
    else:
        path.write_bytes(damaged_deflate(gzip.compress(CSV)))
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match="data"):
        import_file(store, path)
    assert store_snapshot(store) == before


HOSTILE = Path(__file__).parent / "hostile"


@pytest.mark.parametrize("name", ["bad-offsets.feather", "bad-name.feather"])
def test_a_damaged_feather_file_is_refused_before_anyone_reads_its_values(store, name):
    # both came out of the fuzzer: one read "fine" and crashed the privacy scan with a
    # SystemError on string offsets, the other has a column name that is not UTF-8
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match="not a valid Feather/Arrow file"):
        import_file(store, HOSTILE / name)
    assert store_snapshot(store) == before


def test_a_json_integer_too_large_for_a_table_is_refused(store, tmp_path):
    path = tmp_path / "big.json"
    path.write_text('[{"a": 1, "b": -28594168745796898792669184}]')
    with pytest.raises(InvalidInputError, match="cannot be stored"):
        import_file(store, path)


def test_an_excel_file_with_a_damaged_sheet_is_refused(store, tmp_path):
    import pandas as pd

    path = tmp_path / "book.xlsx"
    pd.DataFrame({"a": range(500), "b": ["text"] * 500}).to_excel(path, index=False)
    with zipfile.ZipFile(path) as book:
        sheet = book.getinfo("xl/worksheets/sheet1.xml")
    raw = bytearray(path.read_bytes())
    start = sheet.header_offset + 30 + len(sheet.filename) + len(sheet.extra)
    raw[start + 10 : start + 20] = b"\xff" * 10  # inside the sheet's deflate stream
    path.write_bytes(bytes(raw))
    with pytest.raises(InvalidInputError, match="Excel"):
        import_file(store, path)


def test_parquet_text_that_is_not_utf8_is_refused(store, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    offsets = pa.py_buffer(bytes([0, 0, 0, 0, 2, 0, 0, 0]))
    text = pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(b"\xd8\x00")])
    path = tmp_path / "latin.parquet"
    pq.write_table(pa.table({"t": text, "n": [1]}), path)  # writers do not check either
    with pytest.raises(InvalidInputError, match="could not be read as Parquet"):
        import_file(store, path)


def test_an_excel_number_too_large_for_a_number_is_refused(store):
    # from the fuzzer: a cell of 1e999 made pandas raise OverflowError converting it
    with pytest.raises(InvalidInputError, match="Excel workbook"):
        import_file(store, HOSTILE / "infinite-number.xlsx")


def newer_zip_version(path):
    """Mark every member as needing zip version 25.0, which zipfile cannot read."""
    raw = bytearray(path.read_bytes())
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        raw[at + 6 : at + 8] = (250).to_bytes(2, "little")
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("suffix", [".zip", ".xlsx"])
def test_a_zip_version_python_cannot_read_is_refused(store, tmp_path, suffix):
    # from the fuzzer: zipfile raised NotImplementedError("zip file version 25.0")
    import pandas as pd

    path = tmp_path / f"data{suffix}"
    if suffix == ".zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("data.csv", CSV)
    else:
        pd.DataFrame({"a": [1, 2]}).to_excel(path, index=False)
    newer_zip_version(path)
    with pytest.raises(InvalidInputError):
        import_file(store, path)
