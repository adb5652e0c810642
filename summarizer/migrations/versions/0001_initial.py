"""Initial schema: the brief cache, jobs and their items, idempotency records.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "briefs",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("prompt_version", sa.String(32), nullable=False),
        sa.Column("brief", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("model", sa.Text, nullable=True),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("finished", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("jobs_owner_created", "jobs", ["owner", "created_at"])
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("item_id", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("article", sa.Text, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("brief_key", sa.String(64), nullable=True),
        sa.Column("cached", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("error_kind", sa.String(64), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("finished_seq", sa.Integer, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.UniqueConstraint("job_id", "seq", name="items_job_seq"),
    )
    op.create_index("items_state_id", "items", ["state", "id"])
    op.create_index("items_state_lease", "items", ["state", "lease_until"])
    op.create_index("items_job_finished", "items", ["job_id", "finished_seq"])
    op.create_index("items_claimed_by", "items", ["claimed_by"])
    op.create_table(
        "idempotency",
        sa.Column("owner", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),  # 0 while the first request runs
        sa.Column("content_type", sa.Text, nullable=True),
        sa.Column("location", sa.Text, nullable=True),
        sa.Column("body", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency")
    op.drop_table("items")
    op.drop_table("jobs")
    op.drop_table("briefs")
