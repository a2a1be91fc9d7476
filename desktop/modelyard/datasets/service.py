"""Dataset operations shared by the GUI, the CLI and the worker."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from modelyard.datasets import privacy as privacy_rules
from modelyard.datasets.profile import compute_profile, infer_kinds, scan
from modelyard.datasets.readers import (
    SUPPORTED,
    read_arrow,
    rename_lines,
    renamed_columns,
    without_notes,
)
from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.progress import NO_PROGRESS, Progress
from modelyard.store import Store, models
from modelyard.store.entities import Dataset, DatasetVersion

FREE_SPACE_MARGIN = 16 << 20
ROW_GROUP_ROWS = 131_072  # row groups small enough that a table view reads one page quickly


@dataclass(frozen=True)
class ImportResult:
    version: DatasetVersion
    created: bool
    validation: dict | None = None
    renamed: tuple[str, ...] = ()  # columns the file did not name, or named twice

    @property
    def message(self) -> str:
        v = self.version
        if self.created:
            text = f"Imported {v.source_name} as {v.label}: {v.n_rows:,} rows × {v.n_cols} columns."
            if self.validation and self.validation["failures"]:
                from modelyard.datasets.validation import report_lines

                text += "\nValidation: " + "\n".join(report_lines(self.validation))
            if self.renamed:
                text += "\nRenamed: " + "; ".join(self.renamed) + "."
            return text
        return f"{v.source_name} is already stored as {v.label} (same content); nothing was added."


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInputError("A dataset name cannot be empty.")
    if ":" in name or len(name) > 200:
        raise InvalidInputError(
            f"'{name}' cannot be a dataset name: use up to 200 characters and no ':'."
        )
    return name


def default_name(path: Path) -> str:
    """data.csv.gz → data: the file name without its data and compression suffixes."""
    name = path.name
    for suffix in reversed(path.suffixes[-2:]):
        if suffix.lower() in SUPPORTED:
            name = name[: -len(suffix)]
    return name.replace(":", "_") or path.name.replace(":", "_")


def ensure_free_space(folder: Path, needed: int, what: str) -> None:
    """Refuse before writing anything when the store's disk cannot hold the import."""
    free = shutil.disk_usage(folder).free
    if needed + FREE_SPACE_MARGIN > free:
        raise InvalidInputError(
            f"There is not enough free disk space to import {what} "
            f"({needed / 1e6:,.0f} MB needed, {free / 1e6:,.0f} MB free); free some space first."
        )


def import_file(
    store: Store,
    path: Path | str,
    name: str | None = None,
    progress: Progress = NO_PROGRESS,
    privacy: dict[str, str] | None = None,
    overrides: dict[str, dict] | None = None,
) -> ImportResult:
    """Read a file, store it as a Parquet blob and record it as the next version of `name`.

    Same content (sha256 of the stored Parquet) as any existing version creates nothing.
    Nothing is written until the file has been fully read and converted. `privacy` maps a
    column (or `*` for every column that looks personal) to keep/drop/mask/hash; `overrides`
    maps a column to {"kind": …, "role": feature|target|ignore} chosen in a review.
    """
    path = Path(path)
    name = check_name(name if name is not None else default_name(path))
    progress.report(0.0, f"Reading {path.name}")
    source_size = path.stat().st_size if path.exists() else 0
    ensure_free_space(store.blobs.root, source_size, path.name)
    table = read_arrow(path, progress)
    return store_table(store, table, path, source_size, name, progress, privacy, overrides)


def store_table(
    store: Store,
    table,
    path: Path,
    source_size: int,
    name: str,
    progress: Progress = NO_PROGRESS,
    privacy: dict[str, str] | None = None,
    overrides: dict[str, dict] | None = None,
) -> ImportResult:
    """The second half of an import, for a table already read (and perhaps reviewed)."""
    from modelyard.datasets.review import apply_overrides

    name = check_name(name)
    notes = renamed_columns(table)
    table = without_notes(table)
    flagged = privacy_rules.detect_table(table)
    table, applied = privacy_rules.apply(table, flagged, privacy or {})
    table, kinds, roles = apply_overrides(table, overrides or {})
    for note in notes:  # R's row names are kept, but never learnt from unless chosen
        if note["why"] == "row names" and "role" not in (overrides or {}).get(note["now"], {}):
            roles[note["now"]] = "ignore"
    tmp = store.blobs.temp_path(".parquet")
    # the Parquet file is written and hashed on a second thread while this one profiles
    with ThreadPoolExecutor(1, thread_name_prefix="parquet") as pool:
        written = pool.submit(_write_and_hash, table, tmp, path.name)
        try:
            progress.report(0.7, "Inferring column types")
            scanned = scan(table)
            columns = [
                replace(c, kind=kinds[c.name]) if c.name in kinds else c
                for c in infer_kinds(table, scanned[0])
            ]
            progress.report(0.75, "Profiling")
            found = {c: {"kind": k, "action": applied.get(c, "keep")} for c, k in flagged.items()}
            profile = compute_profile(table, columns, found, scanned)
            if roles:
                profile["roles"] = roles
            progress.report(0.8, "Validating")
            validation = validate_table(store, name, table, columns)
            progress.report(0.85, "Writing Parquet")
            sha = written.result()
            progress.report(0.95, "Recording the version")
            existing = find_by_hash(store, sha)
            if existing is not None:
                return ImportResult(existing, created=False)
            progress.check()
            _, blob_created = store.blobs.ingest(tmp, sha)
        finally:
            written.exception()  # never leave the writer running behind an error
            tmp.unlink(missing_ok=True)
    try:
        version = _record_version(
            store, name, sha, path, source_size, columns, table.num_rows, profile, validation
        )
    except BaseException:
        if blob_created:
            store.blobs.delete(sha)
        raise
    progress.report(1.0, "Done")
    return ImportResult(
        version, created=True, validation=validation, renamed=tuple(rename_lines(notes))
    )


def _write_and_hash(table, tmp: Path, source: str) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from modelyard.store.blobs import sha256_file

    # dictionary pages pay off for text; for numbers zstd alone is smaller and twice as fast
    text = [f.name for f in table.schema if pa.types.is_string(f.type)]
    try:
        pq.write_table(
            table, tmp, compression="zstd", row_group_size=ROW_GROUP_ROWS, use_dictionary=text
        )
    except OSError as exc:
        raise InvalidInputError(
            f"{source} could not be stored: {exc.strerror or exc} (is the disk full?)."
        ) from exc
    return sha256_file(tmp)


def validate_table(store: Store, name: str, table, columns) -> dict:
    """Check a new version against the dataset's rules and its latest version's schema."""
    from modelyard.datasets.validation import check, list_rules

    try:
        previous = get_version(store, name)
    except NotFoundError:
        previous = None
    rules = list_rules(store, name)
    frame = None
    if rules:
        needed = sorted({r.column for r in rules} & set(table.column_names))
        frame = table.select(needed).to_pandas()  # only the columns that rules look at
        frame.attrs["n_rows"] = table.num_rows
    return check(frame, columns, rules, previous, table.num_rows)


def _record_version(
    store, name, sha, path, source_size, columns, n_rows, profile, validation
) -> DatasetVersion:
    from modelyard.store.db import get_or_create_id

    # the next version number is read and taken under the write lock: two imports of one
    # name at once become versions n and n+1, never a unique-constraint error
    with store.session(write=True) as session:
        dataset_id = get_or_create_id(session, models.Dataset, name=name)
        dataset = session.get(models.Dataset, dataset_id, with_for_update=True)
        parent = session.scalar(
            select(models.DatasetVersion)
            .where(models.DatasetVersion.dataset_id == dataset.id)
            .order_by(models.DatasetVersion.version.desc())
            .limit(1)
        )
        row = models.DatasetVersion(
            dataset=dataset,
            version=(parent.version + 1) if parent else 1,
            content_hash=sha,
            source_name=path.name,
            source_size=source_size,
            n_rows=n_rows,
            n_cols=len(columns),
            columns=[c.to_json() for c in columns],
            parent_id=parent.id if parent else None,
        )
        session.add(row)
        session.flush()
        session.add(
            models.DatasetProfile(version_id=row.id, profile=profile, validation=validation)
        )
        session.flush()
        return DatasetVersion.from_row(row)


def find_by_hash(store: Store, sha: str) -> DatasetVersion | None:
    with store.session() as session:
        row = session.scalar(
            select(models.DatasetVersion).where(models.DatasetVersion.content_hash == sha).limit(1)
        )
        return DatasetVersion.from_row(row) if row else None


def list_datasets(store: Store) -> list[Dataset]:
    with store.session() as session:
        rows = session.scalars(
            select(models.Dataset)
            .options(selectinload(models.Dataset.versions))
            .order_by(models.Dataset.name)
        ).all()
        return [
            Dataset(r.id, r.name, tuple(DatasetVersion.from_row(v) for v in r.versions))
            for r in rows
        ]


def count_datasets(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count(models.Dataset.id))) or 0


def get_version(store: Store, ref: str) -> DatasetVersion:
    """Resolve `NAME` (latest version) or `NAME:VERSION`."""
    name, _, number = ref.rpartition(":") if ":" in ref else (ref, "", "")
    with store.session() as session:
        query = (
            select(models.DatasetVersion).join(models.Dataset).where(models.Dataset.name == name)
        )
        if number:
            if not number.isdigit():
                raise InvalidInputError(f"'{number}' is not a version number (use NAME:2).")
            query = query.where(models.DatasetVersion.version == int(number))
        row = session.scalar(query.order_by(models.DatasetVersion.version.desc()).limit(1))
        if row is None:
            known = session.scalars(select(models.Dataset.name).order_by(models.Dataset.name)).all()
            hint = f" Known datasets: {', '.join(known)}." if known else " Import one first."
            raise NotFoundError(f"There is no dataset version '{ref}'.{hint}")
        return DatasetVersion.from_row(row)


def get_version_by_id(store: Store, version_id: int) -> DatasetVersion:
    with store.session() as session:
        row = session.get(models.DatasetVersion, version_id)
        if row is None:
            raise NotFoundError(f"There is no dataset version with id {version_id}.")
        return DatasetVersion.from_row(row)


def load_frame(store: Store, version: DatasetVersion, columns: list[str] | None = None):
    import pandas as pd

    return pd.read_parquet(store.blobs.open_path(version.content_hash), columns=columns)
