"""Turning what a user dropped (files, several files, folders) into the files to import."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from modelyard.datasets.readers import is_supported
from modelyard.errors import InvalidInputError


def expand_paths(paths: Iterable[Path | str]) -> tuple[list[Path], list[str]]:
    """The files to import, in a stable order, and one sentence per dropped thing skipped.

    Files named directly are kept whatever their type, so that importing them explains what is
    wrong; inside folders (searched recursively) only supported data files are taken.
    """
    files: list[Path] = []
    skipped: list[str] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            files.append(path)

    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            add(path)
            continue
        found = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and is_supported(p)
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not found:
            skipped.append(f"The folder {path.name} holds no data files that Modelyard can read.")
        for p in found:
            add(p)
    return files, skipped


def require_files(paths: Iterable[Path | str]) -> list[Path]:
    files, skipped = expand_paths(paths)
    if not files:
        raise InvalidInputError(skipped[0] if skipped else "No files were given to import.")
    return files


class ImportBatch:
    """What happened to each file of one drop, for a closing summary of several files."""

    def __init__(self) -> None:
        self.total = 0
        self.imported: list[str] = []
        self.failed: list[str] = []

    def add_files(self, count: int) -> None:
        self.total += count

    def succeeded(self, message: str) -> None:
        self.imported.append(message)

    def fail(self, message: str) -> None:
        self.failed.append(message)

    @property
    def position(self) -> int:
        return len(self.imported) + len(self.failed) + 1

    def summary(self) -> str | None:
        """One line per failure under a count, or None when a single file needs no summary."""
        if self.total <= 1:
            return None
        done = len(self.imported)
        head = f"Imported {done} of {self.total} file{'s' if self.total != 1 else ''}"
        if not self.failed:
            return head + "."
        return head + f"; {len(self.failed)} failed:\n" + "\n".join(f"• {m}" for m in self.failed)
