"""team runs: where a run came from and who started it, the batch it is a part of, the
Prefect worker that ran it, and its progress as it goes (issue 13)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(
            sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(sa.Column("parent_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        # The server default fills the rows already there (see 0002).
        batch_op.add_column(sa.Column("progress", JSON, nullable=False, server_default="{}"))
        batch_op.create_index(batch_op.f("ix_run_parent_run_id"), ["parent_run_id"], unique=False)
        batch_op.create_foreign_key("fk_run_parent_run_id_run", "run", ["parent_run_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_constraint("fk_run_parent_run_id_run", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_run_parent_run_id"))
        batch_op.drop_column("progress")
        batch_op.drop_column("worker")
        batch_op.drop_column("parent_run_id")
        batch_op.drop_column("started_by")
        batch_op.drop_column("origin")
