"""ingest that never lies and never stalls: run liveness, claims, layout cache, OCR copies,
document flags, and the indexes the status and export queries need (issue 12)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

from models.models import UTCDateTime

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("parser_version", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        # The server defaults fill the rows already there (SQLite cannot drop a default
        # without copying the table, which its foreign keys forbid); harmless afterwards.
        batch_op.add_column(
            sa.Column("ocr", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("flags", JSON, nullable=False, server_default="[]"))
        batch_op.create_index(batch_op.f("ix_document_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_document_extractor_version"), ["extractor_version"], unique=False
        )

    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.drop_index("ix_obligation_updated_at")
        batch_op.create_index("ix_obligation_updated_at_id", ["updated_at", "id"], unique=False)

    op.create_table(
        "layoutcache",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("parser_version", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "parser_version", "source"),
    )
    op.create_table(
        "ocrpdf",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("ocr_sha256", sa.String(length=64), nullable=False),
        sa.Column("pages", JSON, nullable=False),
        sa.Column("engine", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "source"),
    )
    op.create_table(
        "documentclaim",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"]),
        sa.PrimaryKeyConstraint("sha256"),
    )
    with op.batch_alter_table("documentclaim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documentclaim_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documentclaim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documentclaim_run_id"))
    op.drop_table("documentclaim")
    op.drop_table("ocrpdf")
    op.drop_table("layoutcache")
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.drop_index("ix_obligation_updated_at_id")
        batch_op.create_index("ix_obligation_updated_at", ["updated_at"], unique=False)
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_extractor_version"))
        batch_op.drop_index(batch_op.f("ix_document_status"))
        batch_op.drop_column("flags")
        batch_op.drop_column("ocr")
        batch_op.drop_column("parser_version")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
