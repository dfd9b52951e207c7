"""undo window: confirmations and change notices wait a few minutes (the practice's setting) before they go out

Revision ID: 2c8e5a7d9f31
Revises: 9b3e6f2a1c47
Create Date: 2026-12-03 19:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '2c8e5a7d9f31'
down_revision = '9b3e6f2a1c47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_delay_minutes', sa.Integer(), nullable=False, server_default='3'))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('notice_delay_minutes')
