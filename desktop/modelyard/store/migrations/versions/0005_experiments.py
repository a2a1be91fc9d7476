"""experiments with budgets; run names, tags, notes and environment

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("budget_kwh", sa.Float(), nullable=True),
        sa.Column("budget_money", sa.Float(), nullable=True),
        sa.Column("budget_auto_stop", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("experiment_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("environment", sa.JSON(), nullable=True))
        batch.create_index("ix_runs_experiment_id", ["experiment_id"])
        batch.create_foreign_key("fk_runs_experiment_id", "experiments", ["experiment_id"], ["id"])
    # every run made before experiments existed belongs to the default one (FALSE, not 0: a
    # PostgreSQL boolean takes no integer; SQLite reads FALSE as 0)
    op.execute(
        "INSERT INTO experiments (name, budget_auto_stop, created_at) "
        "SELECT 'Default', FALSE, CURRENT_TIMESTAMP WHERE EXISTS (SELECT 1 FROM runs)"
    )
    op.execute(
        "UPDATE runs SET experiment_id = (SELECT id FROM experiments WHERE name = 'Default')"
    )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("fk_runs_experiment_id", type_="foreignkey")
        batch.drop_index("ix_runs_experiment_id")
        for column in ("environment", "notes", "tags", "name", "experiment_id"):
            batch.drop_column(column)
    op.drop_table("experiments")
