"""online cancelling: clients cancel on the public page (with a reason), its own switch and cutoff

Revision ID: 9b3e6f2a1c47
Revises: 5d7a2c9e4b16
Create Date: 2026-12-03 18:00:00

"""
from alembic import op
import sqlalchemy as sa

import practice.columns


revision = '9b3e6f2a1c47'
down_revision = '5d7a2c9e4b16'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('online_cancellation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('cancelled_at', practice.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                            name=op.f('fk_online_cancellation_appointment_id_appointment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_cancellation')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_online_cancellation_appointment_id'))
    )
    with op.batch_alter_table('online_cancellation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_online_cancellation_cancelled_at'), ['cancelled_at'], unique=False)
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('online_cancelling', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('cancel_cutoff_hours', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('cancel_cutoff_hours')
        batch_op.drop_column('online_cancelling')
    with op.batch_alter_table('online_cancellation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_online_cancellation_cancelled_at'))
    op.drop_table('online_cancellation')
