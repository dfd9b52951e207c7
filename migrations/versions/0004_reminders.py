"""reminder rules for the practice and per appointment type

Revision ID: 5c2e8a71f0d4
Revises: 7d93b50adbdb
Create Date: 2026-11-24 14:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5c2e8a71f0d4'
down_revision = '7d93b50adbdb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_rules', sa.String(length=100), nullable=False,
                                      server_default='days_before:2@07:00'))
    with op.batch_alter_table('appointment_type', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_rules', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('appointment_type', schema=None) as batch_op:
        batch_op.drop_column('reminder_rules')
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('reminder_rules')
