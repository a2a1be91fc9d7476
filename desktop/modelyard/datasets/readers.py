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
    """Read any supported file into a pyarrow Table with clean, unique column names (see
    `renamed_columns` for the ones it had to name)."""
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


ROW_NAMES = "Unnamed: 0"  # what pandas (and R's readers) call an unnamed first column
RENAMED_KEY = b"modelyard.renamed"


def unique_names(raw: list[str]) -> tuple[list[str], list[dict]]:
    """Names for every column and a note for each one renamed. An empty header cell is named
    as pandas names it ("Unnamed: 3", by its position from 0); the first one holds R's
    write.csv row names. A repeated name gets a number: name, name_2, name_3."""
    names = [f"Unnamed: {i}" if not n else n for i, n in enumerate(raw)]
    taken = set(names)
    seen: set[str] = set()
    notes = []
    for i, n in enumerate(names):
        if n in seen:
            k = 2
            while f"{n}_{k}" in taken:
                k += 1
            names[i] = f"{n}_{k}"
            taken.add(names[i])
            notes.append({"position": i + 1, "was": raw[i], "now": names[i], "why": "duplicate"})
        elif not raw[i]:
            why = "row names" if i == 0 else "empty"
            notes.append({"position": i + 1, "was": "", "now": n, "why": why})
        seen.add(names[i])
    return names, notes


def renamed_columns(table) -> list[dict]:
    """The notes check_table left on a table about the columns it had to name."""
    import json

    metadata = table.schema.metadata or {}
    return json.loads(metadata[RENAMED_KEY]) if RENAMED_KEY in metadata else []


def without_notes(table):
    """The table as it is stored: without the renaming notes (other metadata kept)."""
    metadata = dict(table.schema.metadata or {})
    if metadata.pop(RENAMED_KEY, None) is None:
        return table
    return table.replace_schema_metadata(metadata or None)


def rename_lines(notes: list[dict]) -> list[str]:
    """One short phrase per renamed column, for the import message and the review step."""
    lines = []
    for note in notes:
        if note["why"] == "row names":
            lines.append(
                f"column 1 had no name and holds row names: named '{note['now']}', "
                "ignored for training"
            )
        elif note["why"] == "empty":
            lines.append(f"column {note['position']} had no name: named '{note['now']}'")
        else:
            lines.append(
                f"column {note['position']} repeats the name '{note['was']}': named '{note['now']}'"
            )
    return lines


def check_table(table, name: str):
    import json

    if table.num_columns == 0:
        raise InvalidInputError(f"{name} has no columns.")
    if table.num_rows == 0:
        raise InvalidInputError(f"{name} has a header but no rows.")
    names, notes = unique_names([str(c).strip() for c in table.column_names])
    table = table.rename_columns(names)
    if notes:
        metadata = dict(table.schema.metadata or {})
        metadata[RENAMED_KEY] = json.dumps(notes).encode()
        table = table.replace_schema_metadata(metadata)
    return table


def read_table(path: Path | str, progress: Progress = NO_PROGRESS):
    """Read a supported file into a pandas DataFrame, or raise InvalidInputError."""
    return read_arrow(path, progress).to_pandas()
