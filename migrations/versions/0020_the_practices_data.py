"""the practice's data: uploads waiting for their import, erased clients, removed message texts, retention

Revision ID: 7d20a1c4e9b2
Revises: 030318db361a
Create Date: 2026-12-03 22:20:00

"""
from alembic import op
import sqlalchemy as sa

import practice.columns

revision = '7d20a1c4e9b2'
down_revision = '030318db361a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', practice.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), nullable=True))
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', practice.columns.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', practice.columns.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_message_client_id'), ['client_id'], unique=False)  # a client's log
    # On SQLite, 0016 and 0018 rebuilt the message table to add a foreign key, and the copy lost the message log's
    # indexes of 0011 (on an expression: reflection skips them). Made again where they are missing.
    op.execute('CREATE INDEX IF NOT EXISTS ix_message_logged ON message (coalesce(handed_over_at, status_at), id)')
    op.execute('CREATE INDEX IF NOT EXISTS ix_message_status_logged ON message '
               '(status, coalesce(handed_over_at, status_at), id)')


def downgrade():
    # SQLite (3.35 and later) drops a column in place: rebuilding these tables would lose the message log's
    # expression indexes and the client search's triggers (practice/search_index.py).
    with op.batch_alter_table('message', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_client_id'))
        batch_op.drop_column('removed_at')
    with op.batch_alter_table('client', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('erased_at')
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('retention_months')
    op.drop_table('import_upload')
