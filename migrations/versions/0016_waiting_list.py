"""waiting list: clients waiting for a time, the freed times offered to them, and the offer messages

Revision ID: 6c15f5fc05ee
Revises: 2c8e5a7d9f31
Create Date: 2026-12-03 19:01:10

"""
from alembic import op
import sqlalchemy as sa

import practice.columns

revision = '6c15f5fc05ee'
down_revision = '2c8e5a7d9f31'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('waiting_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('appointment_type_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.Integer(), nullable=False),
    sa.Column('earliest', sa.Time(), nullable=True),
    sa.Column('latest', sa.Time(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', practice.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_type.id'], name=op.f('fk_waiting_entry_appointment_type_id_appointment_type')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_waiting_entry_client_id_client')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_waiting_entry_location_id_location')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_waiting_entry_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waiting_entry'))
    )
    with op.batch_alter_table('waiting_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiting_entry_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_waiting_entry_waiting', ['status', 'location_id', 'created_at'], unique=False)

    op.create_table('waiting_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('start', practice.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('offered_at', practice.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', practice.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('decided_at', practice.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('by_hand', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_waiting_offer_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['entry_id'], ['waiting_entry.id'], name=op.f('fk_waiting_offer_entry_id_waiting_entry')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_waiting_offer_location_id_location')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_waiting_offer_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waiting_offer')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_waiting_offer_token_hash'))
    )
    with op.batch_alter_table('waiting_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiting_offer_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waiting_offer_offered_at'), ['offered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_waiting_offer_start'), ['start'], unique=False)

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_message_offer_id_waiting_offer'), 'waiting_offer', ['offer_id'], ['id'])

    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_hours', sa.Integer(), nullable=False, server_default='2'))



def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('offer_hours')

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_offer_id_waiting_offer'), type_='foreignkey')
        batch_op.drop_column('offer_id')

    with op.batch_alter_table('waiting_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waiting_offer_start'))
        batch_op.drop_index(batch_op.f('ix_waiting_offer_offered_at'))
        batch_op.drop_index(batch_op.f('ix_waiting_offer_entry_id'))

    op.drop_table('waiting_offer')
    with op.batch_alter_table('waiting_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_waiting_entry_waiting')
        batch_op.drop_index(batch_op.f('ix_waiting_entry_client_id'))

    op.drop_table('waiting_entry')
