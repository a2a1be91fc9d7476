"""Damaged files found by fuzzing the importers (benchmarks/reliability): each is refused with
a sentence (a ModelyardError), never an unexpected exception."""

import gzip
import zipfile

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
