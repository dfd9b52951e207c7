"""calendar feed: a practitioner's private feed links (the token's hash only) and whether feeds name clients

Revision ID: 5d7a2c9e4b16
Revises: 8c2e5f1a7d30
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import sqlalchemy as sa

import practice.columns


revision = '5d7a2c9e4b16'
down_revision = '8c2e5f1a7d30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', practice.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', practice.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_read_at', practice.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_calendar_feed_created_by_id_user')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'],
                            name=op.f('fk_calendar_feed_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash'))
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_practitioner_id'), ['practitioner_id'], unique=False)
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_client_names', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('feed_client_names')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_practitioner_id'))
    op.drop_table('calendar_feed')
