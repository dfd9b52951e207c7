"""online rescheduling: practice settings, appointment links, online moves

Revision ID: 9a41d3c6e2b7
Revises: 5c2e8a71f0d4
Create Date: 2026-11-24 14:55:00

"""
import secrets

from alembic import op
import sqlalchemy as sa

import practice.models


revision = '9a41d3c6e2b7'
down_revision = '5c2e8a71f0d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('online_rescheduling', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('reschedule_cutoff_hours', sa.Integer(), nullable=False, server_default='24'))
        batch_op.add_column(sa.Column('reschedule_horizon_days', sa.Integer(), nullable=False, server_default='28'))
        batch_op.add_column(sa.Column('reschedule_step_minutes', sa.Integer(), nullable=False, server_default='15'))
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_nonce', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('link_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_appointment_link_hash'), ['link_hash'])
    appointment = sa.table('appointment', sa.column('id', sa.Integer), sa.column('link_nonce', sa.String))
    connection = op.get_bind()
    for (appointment_id,) in connection.execute(sa.select(appointment.c.id)).all():
        connection.execute(appointment.update().where(appointment.c.id == appointment_id)
                           .values(link_nonce=secrets.token_hex(16)))
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.alter_column('link_nonce', existing_type=sa.String(length=32), nullable=False)
    op.create_table('online_move',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('from_start', practice.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('to_start', practice.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('moved_at', practice.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                                name=op.f('fk_online_move_appointment_id_appointment')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_online_move'))
    )
    with op.batch_alter_table('online_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_online_move_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_online_move_moved_at'), ['moved_at'], unique=False)


def downgrade():
    with op.batch_alter_table('online_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_online_move_moved_at'))
        batch_op.drop_index(batch_op.f('ix_online_move_appointment_id'))
    op.drop_table('online_move')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_appointment_link_hash'), type_='unique')
        batch_op.drop_column('link_hash')
        batch_op.drop_column('link_nonce')
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('reschedule_step_minutes')
        batch_op.drop_column('reschedule_horizon_days')
        batch_op.drop_column('reschedule_cutoff_hours')
        batch_op.drop_column('online_rescheduling')
