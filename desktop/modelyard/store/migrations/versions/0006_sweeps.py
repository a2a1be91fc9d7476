"""hyperparameter sweeps; a run's sweep

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("task", sa.String(length=20), nullable=False),
        sa.Column("space", sa.JSON(), nullable=False),
        sa.Column("sampler", sa.String(length=20), nullable=False),
        sa.Column("n_trials", sa.Integer(), nullable=False),
        sa.Column("parallel", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.id"]),
        sa.ForeignKeyConstraint(["dataset_version_id"], ["dataset_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("sweep_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("trial", sa.Integer(), nullable=True))
        batch.create_index("ix_runs_sweep_id", ["sweep_id"])
        batch.create_foreign_key("fk_runs_sweep_id", "sweeps", ["sweep_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("fk_runs_sweep_id", type_="foreignkey")
        batch.drop_index("ix_runs_sweep_id")
        batch.drop_column("trial")
        batch.drop_column("sweep_id")
    op.drop_table("sweeps")
