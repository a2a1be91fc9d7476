"""own-script and SDK runs, the run queue, latest-metric summaries, run artifacts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:30:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        # a run from a user's script or the SDK may have no dataset, target or task
        batch.alter_column("dataset_version_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("target", existing_type=sa.String(length=500), nullable=True)
        batch.alter_column("task", existing_type=sa.String(length=20), nullable=True)
        batch.add_column(
            sa.Column("source", sa.String(length=20), nullable=False, server_default="trainer")
        )
        batch.add_column(sa.Column("command", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("summary", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("queued_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("resource", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(), nullable=True))
    op.create_table(
        "run_artifacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("blob", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "path"),
    )
    # the row every dispatcher locks before it hands out worker slots
    op.execute("INSERT INTO settings (key, value) VALUES ('queue.lock', '0')")
    _fill_summaries()


def _fill_summaries() -> None:
    """Each existing run's latest value of every result metric, as the runs table shows it."""
    bind = op.get_bind()
    latest: dict[int, dict[str, float]] = {}
    rows = bind.execute(
        sa.text("SELECT run_id, key, value FROM metrics WHERE key NOT LIKE 'system/%' ORDER BY id")
    )
    for run_id, key, value in rows:
        latest.setdefault(run_id, {})[key] = value
    for run_id, values in latest.items():
        bind.execute(
            sa.text("UPDATE runs SET summary = :summary WHERE id = :id"),
            {"summary": json.dumps(values), "id": run_id},
        )


def downgrade() -> None:
    """Runs without a dataset (scripts') cannot exist before 0007: they go, with everything
    that points at them; the others keep their rows, with '' where a target or task is empty."""
    op.drop_table("run_artifacts")
    op.execute("DELETE FROM settings WHERE key = 'queue.lock'")
    gone = "SELECT id FROM runs WHERE dataset_version_id IS NULL"
    versions = f"SELECT id FROM model_versions WHERE run_id IN ({gone})"
    for statement in (
        f"DELETE FROM deployments WHERE model_version_id IN ({versions})",
        f"DELETE FROM model_aliases WHERE model_version_id IN ({versions})",
        f"DELETE FROM model_versions WHERE run_id IN ({gone})",
        f"DELETE FROM metrics WHERE run_id IN ({gone})",
        f"DELETE FROM run_energy WHERE run_id IN ({gone})",
        "DELETE FROM runs WHERE dataset_version_id IS NULL",
        "UPDATE runs SET target = '' WHERE target IS NULL",
        "UPDATE runs SET task = '' WHERE task IS NULL",
    ):
        op.execute(statement)
    with op.batch_alter_table("runs") as batch:
        for column in ("dispatched_at", "resource", "queued_at", "summary", "command", "source"):
            batch.drop_column(column)
        batch.alter_column("task", existing_type=sa.String(length=20), nullable=False)
        batch.alter_column("target", existing_type=sa.String(length=500), nullable=False)
        batch.alter_column("dataset_version_id", existing_type=sa.Integer(), nullable=False)
