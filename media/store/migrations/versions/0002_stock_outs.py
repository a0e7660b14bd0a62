"""Stock-outs: one row per room, show run (0 outside a run) and sku whose orders reached its stock.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:39:42

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_outs",
        sa.Column("room_id", sa.String(length=64), nullable=False),
        sa.Column("run_key", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "run_key", "sku", name=op.f("pk_stock_outs")),
    )


def downgrade() -> None:
    op.drop_table("stock_outs")
