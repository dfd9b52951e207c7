"""the catalogue's stamp: a new random value at every change to practitioners, locations or working hours, so that
each process can keep the lists it read until then (catalogue.py)

Revision ID: 5b8e0f3c2a71
Revises: 7d20a1c4e9b2
Create Date: 2026-12-04 22:30:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '5b8e0f3c2a71'
down_revision = '7d20a1c4e9b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        # drawn at each upgrade: two databases upgraded by one process (a restore, tests) do not share a stamp
        batch_op.add_column(sa.Column('catalogue_stamp', sa.String(length=16), nullable=False,
                                      server_default=secrets.token_hex(8)))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('catalogue_stamp')
