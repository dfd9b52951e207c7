"""client search by trigram index: pg_trgm's GIN index on PostgreSQL, an FTS5 trigram table kept by triggers on
SQLite (practice/search_index.py), built for the clients there are

Revision ID: 8c2e5f1a7d30
Revises: 3f1d7c2a9b54
Create Date: 2026-12-11 09:00:00

"""
from alembic import op

from practice import search_index


revision = '8c2e5f1a7d30'
down_revision = '3f1d7c2a9b54'
branch_labels = None
depends_on = None


def upgrade():
    search_index.create(op.get_bind())


def downgrade():
    search_index.drop(op.get_bind())
