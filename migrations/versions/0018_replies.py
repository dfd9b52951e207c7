"""two-way SMS: replies from phones, a client's confirmation by reply, the numeric sender and the keywords

Revision ID: dfe22036eda9
Revises: 7d07dc7920fd
Create Date: 2026-12-03 19:50:00

"""
from alembic import op
import sqlalchemy as sa

import practice.columns

revision = 'dfe22036eda9'
down_revision = '7d07dc7920fd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbound_sms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gateway_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', practice.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sender', sa.String(length=20), nullable=False),
    sa.Column('receiver', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('meaning', sa.String(length=10), nullable=False),
    sa.Column('done', sa.String(length=200), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', practice.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['message.id'], name=op.f('fk_inbound_sms_answer_id_message')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_inbound_sms_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_inbound_sms_client_id_client')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_inbound_sms_handled_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_sms')),
    sa.UniqueConstraint('gateway_id', name=op.f('uq_inbound_sms_gateway_id'))
    )
    with op.batch_alter_table('inbound_sms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_sms_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_sms_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_inbound_sms_open', ['handled_at', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_sms_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_sms_sender'), ['sender'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_by_client_at', practice.columns.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_message_client_id_client'), 'client', ['client_id'], ['id'])

    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_sender_number', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sms_replies', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('sms_reply_keywords', sa.String(length=40), nullable=False, server_default='stop,confirm,decline'))



def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('sms_reply_keywords')
        batch_op.drop_column('sms_replies')
        batch_op.drop_column('sms_sender_number')

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_client_id_client'), type_='foreignkey')
        batch_op.drop_column('client_id')

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('confirmed_by_client_at')

    with op.batch_alter_table('inbound_sms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_sms_sender'))
        batch_op.drop_index(batch_op.f('ix_inbound_sms_received_at'))
        batch_op.drop_index('ix_inbound_sms_open')
        batch_op.drop_index(batch_op.f('ix_inbound_sms_client_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_sms_appointment_id'))

    op.drop_table('inbound_sms')
