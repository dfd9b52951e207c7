"""messages: templates, outbox and log, events; practice SMS settings

Revision ID: 7d93b50adbdb
Revises: db7d4f4f107c
Create Date: 2026-11-24 04:06:36.290012

"""
from alembic import op
import sqlalchemy as sa

import practice.models


# revision identifiers, used by Alembic.
revision = '7d93b50adbdb'
down_revision = 'db7d4f4f107c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=5), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('appointment_type_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('updated_at', practice.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_type.id'], name=op.f('fk_message_template_appointment_type_id_appointment_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template')),
    sa.UniqueConstraint('kind', 'channel', 'language', 'appointment_type_id', name='one_per_slot')
    )
    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=5), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('due_at', practice.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', practice.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('provider_ref', sa.String(length=100), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=5), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('handed_over_at', practice.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status_at', practice.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', practice.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_message_appointment_id_appointment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_message_dedupe_key'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index('ix_message_due', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_provider_ref'), ['provider_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_handed_over_at'), ['handed_over_at'], unique=False)

    op.create_table('message_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('at', practice.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_message_event_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_event'))
    )
    with op.batch_alter_table('message_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_event_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_sender_id', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sms_price_cents', sa.Integer(), nullable=False, server_default='10'))
        batch_op.add_column(sa.Column('confirmation_email', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('confirmation_sms', sa.Boolean(), nullable=False, server_default=sa.true()))

    # The agenda of all practitioners reads a day or a week by start time.
    op.create_index('ix_appointment_start', 'appointment', ['start'], unique=False)


def downgrade():
    op.drop_index('ix_appointment_start', table_name='appointment')
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('confirmation_sms')
        batch_op.drop_column('confirmation_email')
        batch_op.drop_column('sms_price_cents')
        batch_op.drop_column('sms_sender_id')

    with op.batch_alter_table('message_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_event_message_id'))

    op.drop_table('message_event')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_provider_ref'))
        batch_op.drop_index(batch_op.f('ix_message_handed_over_at'))
        batch_op.drop_index('ix_message_due')
        batch_op.drop_index(batch_op.f('ix_message_appointment_id'))

    op.drop_table('message')
    op.drop_table('message_template')
