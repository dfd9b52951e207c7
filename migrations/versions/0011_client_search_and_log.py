"""client search and the message log: a normalised search text per client, filled for the clients there are, and
the indexes the log reads its pages by

Revision ID: 3f1d7c2a9b54
Revises: 4b7d2e9a1c05
Create Date: 2026-12-10 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from practice.search_text import search_text_of


revision = '3f1d7c2a9b54'
down_revision = '4b7d2e9a1c05'
branch_labels = None
depends_on = None

LOGGED = sa.text('coalesce(handed_over_at, status_at)')  # Message.logged_at


def upgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=600), nullable=False, server_default=''))
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.alter_column('search_text', server_default=None)
        batch_op.create_index(batch_op.f('ix_client_search_text'), ['search_text'], unique=False)

    client = sa.table('client', sa.column('id', sa.Integer), sa.column('first_name', sa.String),
                      sa.column('last_name', sa.String), sa.column('email', sa.String), sa.column('mobile', sa.String),
                      sa.column('search_text', sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(client.c.id, client.c.first_name, client.c.last_name, client.c.email,
                                        client.c.mobile)).all()
    texts = [{'key': row.id, 'text': search_text_of(row.first_name or '', row.last_name or '', row.email or '',
                                                    row.mobile or '')} for row in rows]
    if texts:
        connection.execute(client.update().where(client.c.id == sa.bindparam('key'))
                           .values(search_text=sa.bindparam('text')), texts)

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_logged', [LOGGED, 'id'], unique=False)
        batch_op.create_index('ix_message_status_logged', ['status', LOGGED, 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_status_logged')
        batch_op.drop_index('ix_message_logged')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_search_text'))
        batch_op.drop_column('search_text')
