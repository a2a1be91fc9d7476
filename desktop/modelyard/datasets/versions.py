"""Comparing two dataset versions, and deleting one without losing anything still in use."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from modelyard.errors import InvalidInputError
from modelyard.store import Store, models
from modelyard.store.entities import DatasetVersion

SIGNIFICANCE = 0.01
TEST_SAMPLE = 50_000
NUMERIC = ("integer", "float")


@dataclass(frozen=True)
class Drift:
    column: str
    test: str  # "KS" (numbers) or "chi-square" (categories)
    statistic: float
    p_value: float

    @property
    def moved(self) -> bool:
        return self.p_value < SIGNIFICANCE


@dataclass(frozen=True)
class VersionDiff:
    old: DatasetVersion
    new: DatasetVersion
    added: list[str]
    removed: list[str]
    retyped: list[tuple[str, str, str]]
    drifts: list[Drift] = field(default_factory=list)

    @property
    def moved(self) -> list[Drift]:
        return [d for d in self.drifts if d.moved]

    def lines(self) -> list[str]:
        o, n = self.old, self.new
        out = [
            f"{o.label} → {n.label}: rows {o.n_rows:,} → {n.n_rows:,} ({n.n_rows - o.n_rows:+,})"
        ]
        out.append("added columns: " + (", ".join(self.added) or "none"))
        out.append("removed columns: " + (", ".join(self.removed) or "none"))
        retyped = ", ".join(f"{c} ({a} → {b})" for c, a, b in self.retyped)
        out.append("retyped columns: " + (retyped or "none"))
        moved = ", ".join(f"{d.column} ({d.test} p={d.p_value:.2g})" for d in self.moved)
        out.append(f"distributions moved (p < {SIGNIFICANCE}): " + (moved or "none"))
        return out


def _sample(series):
    present = series.dropna()
    return present.sample(TEST_SAMPLE, random_state=0) if len(present) > TEST_SAMPLE else present


def compare_column(name: str, kind: str, before, after) -> Drift | None:
    """A KS test for numbers, chi-square on value counts for categories; None if untestable."""
    from scipy import stats

    a, b = _sample(before), _sample(after)
    if len(a) < 2 or len(b) < 2:
        return None
    if kind in NUMERIC:
        result = stats.ks_2samp(a.astype("float64"), b.astype("float64"))
        return Drift(name, "KS", float(result.statistic), float(result.pvalue))
    if kind in ("categorical", "boolean"):
        import pandas as pd

        counts = pd.concat(
            [a.astype(str).value_counts(), b.astype(str).value_counts()], axis=1
        ).fillna(0)
        if len(counts) < 2:
            return None
        statistic, p_value, _, _ = stats.chi2_contingency(counts.to_numpy().T)
        return Drift(name, "chi-square", float(statistic), float(p_value))
    return None


def diff_versions(store: Store, old: DatasetVersion, new: DatasetVersion) -> VersionDiff:
    from modelyard.datasets.service import load_frame

    old_kinds = {c.name: c.kind for c in old.columns}
    new_kinds = {c.name: c.kind for c in new.columns}
    common = [c for c in new_kinds if c in old_kinds]
    retyped = [(c, old_kinds[c], new_kinds[c]) for c in common if old_kinds[c] != new_kinds[c]]
    same = [c for c in common if old_kinds[c] == new_kinds[c]]
    before = load_frame(store, old, columns=same)
    after = load_frame(store, new, columns=same)
    drifts = [
        d for c in same if (d := compare_column(c, new_kinds[c], before[c], after[c])) is not None
    ]
    return VersionDiff(
        old,
        new,
        added=[c for c in new_kinds if c not in old_kinds],
        removed=[c for c in old_kinds if c not in new_kinds],
        retyped=retyped,
        drifts=drifts,
    )


def parent_of(store: Store, version: DatasetVersion) -> DatasetVersion | None:
    with store.session() as session:
        row = session.get(models.DatasetVersion, version.id)
        parent = session.get(models.DatasetVersion, row.parent_id) if row.parent_id else None
        return DatasetVersion.from_row(parent) if parent else None


def users_of(store: Store, version: DatasetVersion) -> list[str]:
    """The runs and registered models that were trained on this version."""
    with store.session() as session:
        runs = session.scalars(
            select(models.Run.id).where(models.Run.dataset_version_id == version.id)
        ).all()
        registered = session.execute(
            select(models.RegisteredModel.name, models.ModelVersion.version)
            .join(models.ModelVersion.model)
            .join(models.ModelVersion.run)
            .where(models.Run.dataset_version_id == version.id)
        ).all()
    users = [f"run {r}" for r in runs]
    users += [f"model {name} v{number}" for name, number in registered]
    return users


def delete_version(store: Store, version: DatasetVersion) -> str:
    """Delete a version that nothing uses; free its blob unless another version shares it.

    Returns the sentence to show. Refuses, changing nothing, when runs or models used it.
    """
    users = users_of(store, version)
    if users:
        raise InvalidInputError(
            f"{version.label} is kept: {', '.join(users[:6])}"
            f"{' and more' if len(users) > 6 else ''} used it; delete those first."
        )
    with store.session() as session:
        row = session.get(models.DatasetVersion, version.id)
        if row is None:
            raise InvalidInputError(f"{version.label} was already deleted.")
        session.execute(
            update(models.DatasetVersion)
            .where(models.DatasetVersion.parent_id == row.id)
            .values(parent_id=row.parent_id)
        )
        session.execute(
            models.DatasetProfile.__table__.delete().where(
                models.DatasetProfile.version_id == row.id
            )
        )
        dataset = row.dataset
        session.delete(row)
        session.flush()
        shared = session.scalar(
            select(models.DatasetVersion.id)
            .where(models.DatasetVersion.content_hash == version.content_hash)
            .limit(1)
        )
        left = session.scalar(
            select(models.DatasetVersion.id)
            .where(models.DatasetVersion.dataset_id == dataset.id)
            .limit(1)
        )
        if left is None:
            session.delete(dataset)
    if shared is None:
        store.blobs.delete(version.content_hash)
        return f"Deleted {version.label} and freed its stored file."
    return f"Deleted {version.label}; its stored file is still used by another version."
