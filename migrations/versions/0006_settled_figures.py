"""settled figures: the dashboard's and the invoices' counts of settled periods, kept once counted

Revision ID: 3f7b2d9e8c15
Revises: 9a41d3c6e2b7
Create Date: 2026-11-24 15:40:00

"""
from alembic import op
import sqlalchemy as sa

import practice.models


revision = '3f7b2d9e8c15'
down_revision = '9a41d3c6e2b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('settled_figure',
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('computed_at', practice.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_settled_figure'))
    )


def downgrade():
    op.drop_table('settled_figure')
