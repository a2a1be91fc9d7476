"""Self-describing formats: Parquet, Feather/Arrow IPC, JSON, JSON Lines and Excel."""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

from modelyard.errors import InvalidInputError
from modelyard.progress import NO_PROGRESS, Progress

PARQUET_SUFFIXES = {".parquet", ".pq"}
ARROW_SUFFIXES = {".feather", ".arrow", ".ipc"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
EXCEL_SUFFIXES = {".xlsx"}


def reject_nested(schema, name: str) -> None:
    import pyarrow as pa

    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    if nested:
        raise InvalidInputError(
            f"{name} has nested columns ({', '.join(nested[:5])}) that cannot be used for "
            "training; flatten them first."
        )


def read_parquet(path: Path, progress: Progress = NO_PROGRESS):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        parquet.schema_arrow.names  # noqa: B018 - names that are not UTF-8 fail here, not later
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise InvalidInputError(f"{path.name} is not a valid Parquet file.") from exc
    reject_nested(parquet.schema_arrow, path.name)
    groups = []
    try:
        for i in range(parquet.num_row_groups):
            progress.check()
            group = parquet.read_row_group(i)
            group.validate(full=True)  # Parquet readers take text bytes as they are: UTF-8?
            groups.append(group)
            progress.report(
                0.7 * (i + 1) / parquet.num_row_groups, f"{path.name}: row group {i + 1}"
            )
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInputError(f"{path.name} could not be read as Parquet ({exc}).") from exc
    table = pa.concat_tables(groups) if groups else parquet.schema_arrow.empty_table()
    return _drop_pandas_index(table)


def _drop_pandas_index(table):
    index = [n for n in table.column_names if n.startswith("__index_level_")]
    return table.drop_columns(index) if index else table


def read_arrow_ipc(path: Path, progress: Progress = NO_PROGRESS):
    import pyarrow as pa
    import pyarrow.ipc as ipc

    progress.check()
    try:
        with pa.memory_map(str(path)) as source:
            try:
                table = ipc.open_file(source).read_all()
            except pa.ArrowInvalid:
                source.seek(0)
                table = ipc.open_stream(source).read_all()
            # memory-mapped buffers are taken as they are: damaged offsets or text crash (or
            # worse) whoever reads them later, so they are checked once, here
            table.validate(full=True)
            table.column_names  # noqa: B018 - names that are not UTF-8 fail here, not later
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise InvalidInputError(f"{path.name} is not a valid Feather/Arrow file.") from exc
    reject_nested(table.schema, path.name)
    return _drop_pandas_index(table)


def _records_table(records, name: str):
    import pyarrow as pa

    if not records:
        raise InvalidInputError(f"{name} has no records.")
    if not all(isinstance(r, dict) for r in records):
        raise InvalidInputError(f'{name} must hold objects like {{"column": value}}, one per row.')
    try:
        table = pa.Table.from_pylist(records)
    except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
        raise InvalidInputError(
            f"{name} has a field with mixed value types that cannot be stored ({exc})."
        ) from exc
    reject_nested(table.schema, name)
    return table


def read_json(path: Path, progress: Progress = NO_PROGRESS):
    """A JSON array of records, an object of equal-length column lists, or JSON Lines."""
    import pyarrow as pa

    progress.check()
    text = _read_json_text(path)
    if not text.strip():
        raise InvalidInputError(f"{path.name} is empty.")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as first_error:
        try:
            return _records_table(
                [json.loads(line) for line in text.splitlines() if line.strip()], path.name
            )
        except json.JSONDecodeError:
            raise InvalidInputError(
                f"{path.name} is not valid JSON (line {first_error.lineno}: {first_error.msg})."
            ) from first_error
    progress.report(0.5, f"{path.name}: parsed")
    if isinstance(document, list):
        return _records_table(document, path.name)
    if isinstance(document, dict):
        lists = {k: v for k, v in document.items() if isinstance(v, list)}
        if lists and len(lists) == len(document):
            if len({len(v) for v in lists.values()}) != 1:
                raise InvalidInputError(f"{path.name} has columns of different lengths.")
            try:
                table = pa.table(lists)
            except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
                raise InvalidInputError(
                    f"{path.name} has a column with mixed value types that cannot be stored."
                ) from exc
            reject_nested(table.schema, path.name)
            return table
        return _records_table([document], path.name)
    raise InvalidInputError(f"{path.name} holds a single value, not a table.")


def _read_json_text(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInputError(f"{path.name} is not a text file (it contains binary data).")
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInputError(f"{path.name} has bytes that are not valid UTF-8; JSON must be UTF-8.")


def read_excel(path: Path, progress: Progress = NO_PROGRESS):
    import pandas as pd
    import pyarrow as pa

    if not zipfile.is_zipfile(path):
        raise InvalidInputError(f"{path.name} is not a valid Excel (.xlsx) file.")
    progress.check()
    try:
        frame = pd.read_excel(path, sheet_name=0, header=None, engine="openpyxl", dtype=object)
    except (
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        OverflowError,  # a number cell of 1e999
        NotImplementedError,  # zipfile: a zip version or compression it cannot read
        OSError,
        zipfile.BadZipFile,
        zlib.error,
    ) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise InvalidInputError(f"{path.name} could not be read as an Excel workbook.") from exc
    frame = frame.dropna(how="all").dropna(axis=1, how="all")
    if frame.empty:
        raise InvalidInputError(f"{path.name} has no data on its first sheet.")
    names = ["" if pd.isna(v) else str(v).strip() for v in frame.iloc[0]]
    body = frame.iloc[1:].reset_index(drop=True)
    body.columns = range(len(names))
    progress.report(0.5, f"{path.name}: sheet read")
    columns = {}
    for i in range(len(names)):
        values = body[i].infer_objects()
        if values.dtype == object:
            values = values.map(lambda v: v if pd.isna(v) else str(v)).astype("string")
        columns[i] = values
    try:
        arrays = [pa.array(columns[i], from_pandas=True) for i in range(len(names))]
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise InvalidInputError(f"{path.name} has a column with mixed value types.") from exc
    return pa.Table.from_arrays(arrays, names=names)
