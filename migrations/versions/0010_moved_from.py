"""moved_from: a notice about a move knows where the appointment was before (old and new time in its text)

Revision ID: 4b7d2e9a1c05
Revises: 929c60b73389
Create Date: 2026-12-10 09:12:40.112233

"""
from alembic import op
import sqlalchemy as sa

import practice.models


revision = '4b7d2e9a1c05'
down_revision = '929c60b73389'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_from', practice.models.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('moved_from')
