"""Reading a user's file into an Arrow table, with one clear sentence for every way it can fail.

The format families live in `text_format` (CSV/TSV/TXT, gzip, zip) and `file_formats`
(Parquet, Feather/Arrow IPC, JSON, JSON Lines, Excel); this module picks one by the file's
name and checks what every table must satisfy.
"""

from __future__ import annotations

from pathlib import Path

from modelyard.datasets import file_formats, text_format
from modelyard.errors import InvalidInputError
from modelyard.progress import NO_PROGRESS, Progress

COMPRESSED_SUFFIXES = {".gz", ".zip"}
SUPPORTED = sorted(
    [
        *text_format.TEXT_SUFFIXES,
        *COMPRESSED_SUFFIXES,
        *file_formats.PARQUET_SUFFIXES,
        *file_formats.ARROW_SUFFIXES,
        *file_formats.JSON_SUFFIXES,
        *file_formats.JSONL_SUFFIXES,
        *file_formats.EXCEL_SUFFIXES,
    ]
)


def is_supported(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return text_format.inner_suffix(path) in text_format.TEXT_SUFFIXES
    return suffix in SUPPORTED


def check_readable(path: Path) -> None:
    if not path.exists():
        raise InvalidInputError(f"{path} does not exist (was it moved or deleted?).")
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder; drop a data file instead.")
    if not is_supported(path):
        raise InvalidInputError(
            f"{path.name} is not a supported file type; use one of {', '.join(SUPPORTED)}."
        )
    if path.stat().st_size == 0:
        raise InvalidInputError(f"{path.name} is empty.")


def _reader(path: Path):
    suffix = path.suffix.lower()
    if suffix in file_formats.PARQUET_SUFFIXES:
        return file_formats.read_parquet
    if suffix in file_formats.ARROW_SUFFIXES:
        return file_formats.read_arrow_ipc
    if suffix in file_formats.JSON_SUFFIXES | file_formats.JSONL_SUFFIXES:
        return file_formats.read_json
    if suffix in file_formats.EXCEL_SUFFIXES:
        return file_formats.read_excel
    return text_format.read_text


def read_arrow(path: Path | str, progress: Progress = NO_PROGRESS):
    """Read any supported file into a pyarrow Table with clean, unique column names."""
    path = Path(path)
    check_readable(path)
    try:
        table = _reader(path)(path, progress)
    except FileNotFoundError as exc:
        raise InvalidInputError(f"{path} vanished while it was being read.") from exc
    except PermissionError as exc:
        raise InvalidInputError(f"{path.name} cannot be read: permission denied.") from exc
    except IsADirectoryError as exc:
        raise InvalidInputError(f"{path} is a folder; drop a data file instead.") from exc
    except OSError as exc:
        raise InvalidInputError(f"{path.name} could not be read ({exc.strerror or exc}).") from exc
    return check_table(table, path.name)


def check_table(table, name: str):
    if table.num_columns == 0:
        raise InvalidInputError(f"{name} has no columns.")
    names = [str(c).strip() for c in table.column_names]
    if any(not n or n.startswith("Unnamed:") for n in names):
        position = next(i for i, n in enumerate(names) if not n or n.startswith("Unnamed:")) + 1
        raise InvalidInputError(
            f"{name} has a column without a name (column {position}); name every column."
        )
    seen: set[str] = set()
    duplicates = sorted({n for n in names if n in seen or seen.add(n)})
    if duplicates:
        raise InvalidInputError(
            f"{name} has more than one column named {', '.join(repr(d) for d in duplicates)}; "
            "give every column its own name."
        )
    if table.num_rows == 0:
        raise InvalidInputError(f"{name} has a header but no rows.")
    return table.rename_columns(names)


def read_table(path: Path | str, progress: Progress = NO_PROGRESS):
    """Read a supported file into a pandas DataFrame, or raise InvalidInputError."""
    return read_arrow(path, progress).to_pandas()
