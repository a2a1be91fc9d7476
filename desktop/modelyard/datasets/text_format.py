"""Delimited text (CSV/TSV/TXT, plain, gzip or zip): sniff encoding, delimiter and header, then
read with pyarrow's CSV parser, reporting progress in bytes and honouring Cancel."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from modelyard.errors import InvalidInputError
from modelyard.progress import NO_PROGRESS, Progress

TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
# what reading a damaged .gz or .zip raises (zlib.error: a corrupt deflate stream;
# NotImplementedError: a zip version or compression method zipfile cannot read)
DAMAGED_COMPRESSION = (
    gzip.BadGzipFile,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
)
NULL_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "-"]


@dataclass(frozen=True)
class Dialect:
    encoding: str
    delimiter: str
    header: bool


class _CountingReader(io.RawIOBase):
    """A raw stream that reports how far through the file it is and stops on Cancel."""

    def __init__(self, handle, total: int, progress: Progress, label: str) -> None:
        self._handle = handle
        self._total = max(total, 1)
        self._progress = progress
        self._label = label
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._progress.check()
        count = self._handle.readinto(buffer)
        self.done += count
        self._progress.report(
            0.7 * self.done / self._total, f"{self._label}: {self.done / 1e6:,.1f} MB read"
        )
        return count


def inner_suffix(path: Path) -> str:
    """The data suffix of a possibly compressed text file: data.csv.gz → .csv."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        return suffixes[-2] if len(suffixes) > 1 else ".csv"
    return suffixes[-1] if suffixes else ""


def _zip_member(path: Path) -> zipfile.ZipInfo:
    try:
        archive = zipfile.ZipFile(path)
    except DAMAGED_COMPRESSION as exc:
        raise InvalidInputError(f"{path.name} is not a valid zip archive.") from exc
    with archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir() and not m.filename.startswith(("__MACOSX/", "."))
        ]
    if len(members) != 1:
        raise InvalidInputError(
            f"{path.name} holds {len(members)} files; a zip archive must hold exactly one CSV file."
        )
    member = members[0]
    if Path(member.filename).suffix.lower() not in TEXT_SUFFIXES:
        raise InvalidInputError(
            f"{path.name} holds {member.filename}, which is not a CSV, TSV or TXT file."
        )
    return member


def open_stream(path: Path, progress: Progress = NO_PROGRESS):
    """A binary stream of the (decompressed) text, and the size that progress is measured in."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        member = _zip_member(path)
        archive = zipfile.ZipFile(path)
        try:
            raw = archive.open(member)
        except DAMAGED_COMPRESSION as exc:
            archive.close()
            raise InvalidInputError(f"{path.name} is not a valid compressed file ({exc}).") from exc
        return io.BufferedReader(
            _CountingReader(raw, member.file_size, progress, path.name), 1 << 20
        )
    raw = open(path, "rb")  # noqa: SIM115 - closed by whoever reads the stream
    counting = _CountingReader(raw, path.stat().st_size, progress, path.name)
    if suffix == ".gz":
        return io.BufferedReader(gzip.GzipFile(fileobj=io.BufferedReader(counting)), 1 << 20)
    return io.BufferedReader(counting, 1 << 20)


def read_sample(path: Path) -> bytes:
    stream = open_stream(path)
    try:
        return stream.read(SAMPLE_BYTES)
    except (*DAMAGED_COMPRESSION, OSError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise InvalidInputError(f"{path.name} is not a valid compressed file ({exc}).") from exc
    finally:
        stream.close()


def sniff_encoding(sample: bytes, name: str) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"  # pyarrow skips the BOM itself
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = sample[:4096]
    if len(head) >= 4 and b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return "utf-16-le"
        if even > len(head) // 4 and odd == 0:
            return "utf-16-be"
        raise InvalidInputError(
            f"{name} is not a text file (it contains binary data); export it as CSV or Parquet."
        )
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4 and len(sample) >= SAMPLE_BYTES - 4:
            return "utf-8"  # a multi-byte character cut by the sample's end
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32 or b == 127)
    if controls > len(sample) * 0.01:
        raise InvalidInputError(
            f"{name} is not a text file (it contains binary data); export it as CSV or Parquet."
        )
    try:
        sample.decode("cp1252")
        return "cp1252"  # Windows' Latin-1: also has €, curly quotes and dashes
    except UnicodeDecodeError:
        return "latin-1"


def _is_number(text: str) -> bool:
    """A finite number: header words like "nan" or "inf" do not count."""
    try:
        return math.isfinite(float(text.replace(",", ".")))
    except ValueError:
        return False


def _field_counts(lines: list[str], delimiter: str) -> list[int]:
    try:
        return [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
    except csv.Error:
        return []


def sniff_dialect(path: Path) -> Dialect:
    sample = read_sample(path)
    if not sample.strip():
        raise InvalidInputError(f"{path.name} is empty.")
    encoding = sniff_encoding(sample, path.name)
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if len(sample) >= SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the sample's end
    lines = lines[:200]
    default = TEXT_SUFFIXES.get(inner_suffix(path))

    def score(delimiter: str) -> tuple[int, int]:
        counts = _field_counts(lines, delimiter)
        if not counts or counts[0] < 2:
            return (0, 0)
        agree = sum(1 for c in counts if c == counts[0])
        return (agree, counts[0])

    if default is not None and score(default)[0] == len(_field_counts(lines, default)) > 0:
        delimiter = default
    else:
        best = max(CANDIDATE_DELIMITERS, key=score)
        delimiter = best if score(best)[0] > 0 else (default or ",")
    first = next(csv.reader(lines[:1] or [""], delimiter=delimiter), [])
    header = not any(_is_number(field.strip()) for field in first if field.strip())
    return Dialect(encoding, delimiter, header)


CHUNK_BYTES = 16 << 20  # parsed one at a time, each by all cores: memory stays near the table's


def _row_boundary(buffer: bytes, end: int) -> int:
    """The end of the last whole row in buffer[:end] (just after a newline outside quotes), or
    -1. Each chunk starts at a row boundary, so an even number of quotes before a newline means
    the newline ends a row (CSV escapes a quote by doubling it)."""
    cut = buffer.rfind(b"\n", 0, end)
    while cut >= 0 and buffer.count(b'"', 0, cut) % 2:
        cut = buffer.rfind(b"\n", 0, cut)
    return cut + 1 if cut >= 0 else -1


def _read_chunked(stream, read_options, parse_options, convert_options):
    """The file as a sequence of ~16 MB row-aligned chunks, each parsed by every core, then
    joined. Peak memory stays near the table's size instead of several times the file's. Raises
    ArrowInvalid/ArrowTypeError when chunks cannot be joined; the caller then reads the file
    whole."""
    import io as _io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    tables = []
    carry = b""
    follow_read = None
    while True:
        block = stream.read(CHUNK_BYTES)
        buffer = carry + block if carry else block
        if not block:
            cut = len(buffer)
        else:
            cut = _row_boundary(buffer, len(buffer))
            if cut <= 0:  # one row longer than a chunk: read on
                carry = buffer
                continue
        piece, carry = buffer[:cut], buffer[cut:]
        if piece.strip():
            if follow_read is None:
                table = pacsv.read_csv(
                    _io.BytesIO(piece),
                    read_options=read_options,
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
                follow_read = pacsv.ReadOptions(
                    encoding=read_options.encoding,
                    column_names=table.column_names,
                    block_size=read_options.block_size,
                )
            else:
                table = pacsv.read_csv(
                    _io.BytesIO(piece),
                    read_options=follow_read,
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
            tables.append(table)
        if not block:
            break
    if not tables:
        raise pa.ArrowInvalid("Empty CSV file")
    if len(tables) == 1:
        return tables[0]
    # a column whose later values need a wider type (integers, then a decimal; empty, then
    # text) is widened as the whole-file parser would; types that cannot be reconciled raise
    return pa.concat_tables(tables, promote_options="permissive")


def read_text(path: Path, progress: Progress = NO_PROGRESS):
    """A pyarrow Table from a delimited text file, or InvalidInputError with one sentence."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    dialect = sniff_dialect(path)
    bad_rows: list[str] = []

    def on_invalid_row(row) -> str:
        bad_rows.append(
            f"a row has {row.actual_columns} values where the header has "
            f"{row.expected_columns} ({row.text[:60]!r})"
        )
        return "error"

    read_options = pacsv.ReadOptions(
        encoding=dialect.encoding,
        autogenerate_column_names=not dialect.header,
        block_size=4 << 20,
    )
    convert_options = pacsv.ConvertOptions(
        null_values=NULL_VALUES, strings_can_be_null=True, quoted_strings_can_be_null=True
    )

    def attempt(newlines_in_values: bool):
        parse_options = pacsv.ParseOptions(
            delimiter=dialect.delimiter,
            newlines_in_values=newlines_in_values,
            invalid_row_handler=on_invalid_row,
        )
        if not newlines_in_values and not dialect.encoding.startswith("utf-16"):
            stream = open_stream(path, progress)
            try:
                return _read_chunked(stream, read_options, parse_options, convert_options)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                bad_rows.clear()  # read whole below: the parser's own type inference decides
            finally:
                stream.close()
        stream = open_stream(path, progress)
        try:
            return pacsv.read_csv(
                stream,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
        finally:
            stream.close()

    try:
        try:
            # parallel parsing needs rows that never span lines; most files qualify
            table = attempt(newlines_in_values=False)
        except pa.ArrowInvalid:
            bad_rows.clear()
            table = attempt(newlines_in_values=True)
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{path.name} has bytes that are not valid {dialect.encoding} text; "
            "save it again as UTF-8."
        ) from exc
    except DAMAGED_COMPRESSION as exc:
        raise InvalidInputError(f"{path.name} is not a valid compressed file ({exc}).") from exc
    except pa.ArrowInvalid as exc:
        if bad_rows:
            raise InvalidInputError(
                f"{path.name} has ragged rows: {bad_rows[0]}; fix the row or its quoting."
            ) from exc
        message = str(exc).splitlines()[0]
        if "Empty CSV file" in message:
            raise InvalidInputError(f"{path.name} has no data.") from exc
        raise InvalidInputError(f"{path.name} could not be read as a table: {message}") from exc
    binary = [f.name for f in table.schema if pa.types.is_binary(f.type)]
    if binary:
        raise InvalidInputError(
            f"{path.name} has bytes that are not valid {dialect.encoding} text in column "
            f"'{binary[0]}'; save it again as UTF-8."
        )
    if not dialect.header:
        table = table.rename_columns([f"column_{i + 1}" for i in range(table.num_columns)])
    return table
