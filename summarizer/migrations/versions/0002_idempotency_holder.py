"""Idempotency records name their holder and when it last showed it is alive.

A pending record is taken over only when its holder stopped renewing it (its process died), not
when the first request is merely slow; and a request can finish or drop only the record it holds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency") as batch:
        batch.add_column(sa.Column("holder", sa.String(32), nullable=True))
        batch.add_column(sa.Column("renewed_at", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency") as batch:
        batch.drop_column("renewed_at")
        batch.drop_column("holder")
