"""Text files are parsed in row-aligned chunks: chunk edges never split a row or change a value."""

import csv
import io

import pytest

from modelyard.datasets import text_format
from modelyard.datasets.readers import read_arrow


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(text_format, "CHUNK_BYTES", 64)


def _rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_quoted_newlines_and_quotes_survive_chunk_edges(tmp_path, tiny_chunks):
    lines = ["id,comment,score"]
    for i in range(40):
        comment = f'"line one {i}\nline ""two"", {i}"' if i % 3 == 0 else f"plain {i}"
        lines.append(f"{i},{comment},{i * 0.5}")
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_arrow(path)
    expected = _rows(path)[1:]
    assert table.num_rows == 40
    assert table.column("comment").to_pylist() == [r[1] for r in expected]
    assert table.column("score").to_pylist() == [float(r[2]) for r in expected]


def test_later_chunks_widen_types_like_a_whole_file_read(tmp_path, tiny_chunks):
    body = io.StringIO()
    body.write("count,label,mixed\n")
    for i in range(60):
        body.write(f"{i},{'' if i < 30 else f'x{i}'},{i}\n")
    body.write("2.5,last,text here\n")
    path = tmp_path / "widen.csv"
    path.write_text(body.getvalue())
    table = read_arrow(path)
    assert table.num_rows == 61
    assert str(table.schema.field("count").type) == "double"
    assert table.column("count").to_pylist()[-1] == 2.5
    assert str(table.schema.field("label").type) == "string"
    assert table.column("label").to_pylist()[:2] == [None, None]
    assert str(table.schema.field("mixed").type) == "string"  # numbers, then text
    assert table.column("mixed").to_pylist()[-1] == "text here"


def test_a_row_longer_than_a_chunk_is_kept_whole(tmp_path, tiny_chunks):
    long = "y" * 500
    path = tmp_path / "long.csv"
    path.write_text(f"a,b\n1,{long}\n2,short\n")
    table = read_arrow(path)
    assert table.column("b").to_pylist() == [long, "short"]


def test_chunk_edges_fall_only_between_rows(tiny_chunks):
    import pyarrow.csv as pacsv

    text = 'a,b\n1,"x\ny"\n2,"he said ""hi\n"""\n3,z\n'
    assert text_format._row_boundary(text.encode(), 10) == 4  # not inside "x\ny"
    assert text_format._row_boundary(text.encode(), 13) == 12
    rows = "".join(f'{i},"v{i}\n""q"""\n' for i in range(30))
    stream = io.BytesIO(("a,b\n" + rows).encode())
    table = text_format._read_chunked(
        stream,
        pacsv.ReadOptions(),
        pacsv.ParseOptions(newlines_in_values=False),
        pacsv.ConvertOptions(),
    )  # the chunked reader itself, without the whole-file fallback
    assert table.column("b").to_pylist() == [f'v{i}\n"q"' for i in range(30)]
    assert table.column("a").num_chunks > 1
