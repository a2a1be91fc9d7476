"""Reading a user's file into a DataFrame, with one clear sentence for every way it can fail."""

from __future__ import annotations

from pathlib import Path

from modelyard.errors import InvalidInputError

TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED = sorted([*TEXT_SUFFIXES, *PARQUET_SUFFIXES])


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    try:
        sample.decode("utf-8")
        return False
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # a multi-byte character cut by the sample's end
            return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) * 0.01


def check_readable(path: Path) -> None:
    if not path.exists():
        raise InvalidInputError(f"{path} does not exist (was it moved or deleted?).")
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder; drop a data file instead.")
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES and suffix not in PARQUET_SUFFIXES:
        raise InvalidInputError(
            f"{path.name} is not a supported file type; use one of {', '.join(SUPPORTED)}."
        )
    if path.stat().st_size == 0:
        raise InvalidInputError(f"{path.name} is empty.")


def read_table(path: Path):
    """Read a CSV/TSV/TXT or Parquet file into a pandas DataFrame, or raise InvalidInputError."""
    path = Path(path)
    check_readable(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        frame = _read_parquet(path)
    else:
        frame = _read_text(path)
    if len(frame.columns) == 0:
        raise InvalidInputError(f"{path.name} has no columns.")
    if len(frame) == 0:
        raise InvalidInputError(f"{path.name} has a header but no rows.")
    names = [str(c).strip() for c in frame.columns]
    if any(not n or n.startswith("Unnamed:") for n in names):
        raise InvalidInputError(f"{path.name} has a column without a name; name every column.")
    frame.columns = names
    return frame


def _read_parquet(path: Path):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInputError(f"{path.name} is not a valid Parquet file ({exc}).") from exc
    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    if nested:
        raise InvalidInputError(
            f"{path.name} has nested columns ({', '.join(nested)}) that cannot be used for "
            "training; flatten them first."
        )
    try:
        return pd.read_parquet(path)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInputError(f"{path.name} could not be read as Parquet ({exc}).") from exc


def _read_text(path: Path):
    import pandas as pd

    with open(path, "rb") as handle:
        sample = handle.read(64 * 1024)
    if _looks_binary(sample):
        raise InvalidInputError(
            f"{path.name} is not a text file (it contains binary data); "
            "export it as CSV or Parquet."
        )
    encoding = "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        encoding = "latin-1"
    sep = TEXT_SUFFIXES[path.suffix.lower()]
    if sep is None:
        first_line = sample.decode(encoding, errors="replace").splitlines()[0]
        sep = "\t" if "\t" in first_line else ("," if "," in first_line else ";")
    try:
        return pd.read_csv(path, sep=sep, encoding=encoding, low_memory=False)
    except pd.errors.EmptyDataError as exc:
        raise InvalidInputError(f"{path.name} has no data.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"{path.name} could not be read as a table: {detail}") from exc
