"""in doubt: a message's point of no return is its own column, and whether an attempt's outcome was unknown

Revision ID: 7d2c4e91a0b3
Revises: 3f7b2d9e8c15
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import practice.models


revision = '7d2c4e91a0b3'
down_revision = '3f7b2d9e8c15'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('final_write_at', practice.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('in_doubt', sa.Boolean(), nullable=False, server_default=sa.false()))
    # Until now handed_over_at marked the point of no return: an SMS whose outcome was unknown had it set.
    op.execute("UPDATE message SET in_doubt = true, final_write_at = handed_over_at WHERE status = 'unknown'")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('in_doubt', server_default=None)


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('in_doubt')
        batch_op.drop_column('final_write_at')
