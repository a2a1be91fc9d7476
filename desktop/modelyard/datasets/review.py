"""The review step before an import is saved: a preview of the first rows and the inferred
schema with flags, and the user's overrides of a column's type or role."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from modelyard.datasets.profile import infer_kinds, scan
from modelyard.datasets.readers import read_arrow, rename_lines, renamed_columns
from modelyard.errors import InvalidInputError
from modelyard.progress import NO_PROGRESS, Progress
from modelyard.store.entities import Column

KINDS = ("integer", "float", "boolean", "categorical", "text", "datetime")
ROLES = ("feature", "target", "ignore")
PREVIEW_ROWS = 20
SCHEMA_SAMPLE = 200_000


@dataclass
class Preview:
    path: Path
    source_size: int
    table: object  # the whole pyarrow Table, kept so that saving does not read the file again
    columns: list[Column]
    head: list[list]
    flags: dict[str, list[str]]
    roles: dict[str, str] = field(default_factory=dict)  # defaults other than "feature"
    renamed: list[str] = field(default_factory=list)  # what the file left unnamed or repeated


def flags_for(column: Column, n_rows: int) -> list[str]:
    flags = []
    if column.n_unique <= 1:
        flags.append("constant")
    elif column.n_unique == n_rows and column.kind in ("integer", "text") and n_rows > 1:
        flags.append("ID-like")
    if column.nullable:
        flags.append("nullable")
    return flags


def preview_file(path: Path | str, progress: Progress = NO_PROGRESS) -> Preview:
    path = Path(path)
    table = read_arrow(path, progress)
    progress.report(0.8, "Inferring column types")
    sample = table.slice(0, SCHEMA_SAMPLE) if table.num_rows > SCHEMA_SAMPLE else table
    columns = infer_kinds(sample, scan(sample)[0])  # the same rules the import applies
    head_table = table.slice(0, PREVIEW_ROWS)
    values = [head_table.column(i).to_pylist() for i in range(head_table.num_columns)]
    head = [list(row) for row in zip(*values, strict=True)]
    flags = {c.name: flags_for(c, sample.num_rows) for c in columns}
    notes = renamed_columns(table)
    roles = {}
    for note in notes:
        if note["why"] == "row names":
            roles[note["now"]] = "ignore"
            flags[note["now"]] = (
                ["row names"] + [f for f in flags[note["now"]] if f != "ID-like"] + ["ID-like"]
            )
    progress.report(1.0, "Ready to review")
    return Preview(
        path, path.stat().st_size, table, columns, head, flags, roles, rename_lines(notes)
    )


def _cast(table, name: str, kind: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    targets = {
        "integer": pa.int64(),
        "float": pa.float64(),
        "boolean": pa.bool_(),
        "categorical": pa.string(),
        "text": pa.string(),
        "datetime": pa.timestamp("us"),
    }
    column = table.column(name)
    target = targets[kind]
    if column.type == target:
        return table
    try:
        if kind == "boolean" and pa.types.is_string(column.type):
            lowered = pc.utf8_lower(column)
            truthy = pc.is_in(lowered, pa.array(["true", "yes", "y", "1", "t"]))
            falsy = pc.is_in(lowered, pa.array(["false", "no", "n", "0", "f"]))
            if pc.any(pc.and_(pc.invert(pc.or_(truthy, falsy)), pc.is_valid(column))).as_py():
                raise pa.ArrowInvalid("values other than yes/no or true/false")
            converted = pc.if_else(pc.is_valid(column), truthy, pa.scalar(None, pa.bool_()))
        else:
            converted = pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        detail = str(exc).splitlines()[0]
        raise InvalidInputError(f"Column {name} cannot be stored as {kind} ({detail}).") from exc
    return table.set_column(table.column_names.index(name), name, converted)


def apply_overrides(table, overrides: dict[str, dict]):
    """(table, {column: kind} forced, {column: role} other than feature) after the review."""
    kinds: dict[str, str] = {}
    roles: dict[str, str] = {}
    for name, choice in overrides.items():
        if name not in table.column_names:
            raise InvalidInputError(f"There is no column '{name}' to change.")
        kind, role = choice.get("kind"), choice.get("role", "feature")
        if kind is not None and kind not in KINDS:
            raise InvalidInputError(
                f"'{kind}' is not a column type; use one of {', '.join(KINDS)}."
            )
        if role not in ROLES:
            raise InvalidInputError(
                f"'{role}' is not a column role; use one of {', '.join(ROLES)}."
            )
        if role == "ignore":
            continue
        if kind is not None:
            table = _cast(table, name, kind)
            kinds[name] = kind
        if role != "feature":
            roles[name] = role
    if sum(1 for r in roles.values() if r == "target") > 1:
        raise InvalidInputError("Only one column can be the target.")
    ignored = [n for n, c in overrides.items() if c.get("role") == "ignore"]
    if len(ignored) == table.num_columns:
        raise InvalidInputError("Ignoring every column would leave nothing to import.")
    if ignored:
        table = table.drop_columns(ignored)
    return table, kinds, roles


def preferred_target(store, version) -> str | None:
    """The column marked as target when the version was reviewed, if any."""
    from modelyard.datasets.profile import get_profile

    roles = get_profile(store, version).get("roles", {})
    return next((c for c, r in roles.items() if r == "target"), None)
