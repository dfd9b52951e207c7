"""treatment series: appointments booked together in a rhythm

Revision ID: 7d07dc7920fd
Revises: 6c15f5fc05ee
Create Date: 2026-12-03 19:11:00

"""
from alembic import op
import sqlalchemy as sa

import practice.columns

revision = '7d07dc7920fd'
down_revision = '6c15f5fc05ee'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appointment_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', practice.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_series'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_appointment_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_appointment_series_id_appointment_series'), 'appointment_series', ['series_id'], ['id'])



def downgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointment_series_id_appointment_series'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appointment_series_id'))
        batch_op.drop_column('series_id')

    op.drop_table('appointment_series')
