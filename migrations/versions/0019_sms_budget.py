"""SMS budget: a month's SMS at most, and the month the owner was warned at 80 %

Revision ID: 030318db361a
Revises: dfe22036eda9
Create Date: 2026-12-03 20:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '030318db361a'
down_revision = 'dfe22036eda9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_budget_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sms_budget_warned', sa.String(length=7), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('sms_budget_warned')
        batch_op.drop_column('sms_budget_cents')

