"""the practice row is made with the tables: reading the settings never writes

Revision ID: 8e5a1f3c2b90
Revises: 7d2c4e91a0b3
Create Date: 2026-12-03 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '8e5a1f3c2b90'
down_revision = '7d2c4e91a0b3'
branch_labels = None
depends_on = None


def upgrade():
    practice = sa.table(
        'practice', sa.column('id', sa.Integer), sa.column('name', sa.String), sa.column('email', sa.String),
        sa.column('phone', sa.String), sa.column('timezone', sa.String), sa.column('country', sa.String),
        sa.column('sms_enabled', sa.Boolean), sa.column('sms_sender_id', sa.String),
        sa.column('sms_price_cents', sa.Integer), sa.column('confirmation_email', sa.Boolean),
        sa.column('confirmation_sms', sa.Boolean), sa.column('reminder_rules', sa.String),
        sa.column('online_rescheduling', sa.Boolean), sa.column('reschedule_cutoff_hours', sa.Integer),
        sa.column('reschedule_horizon_days', sa.Integer), sa.column('reschedule_step_minutes', sa.Integer))
    if not op.get_bind().execute(sa.select(sa.func.count()).select_from(practice)).scalar():
        op.bulk_insert(practice, [{
            'id': 1, 'name': 'Practice', 'email': '', 'phone': '', 'timezone': 'Europe/Amsterdam', 'country': 'NL',
            'sms_enabled': False, 'sms_sender_id': '', 'sms_price_cents': 10, 'confirmation_email': True,
            'confirmation_sms': True, 'reminder_rules': 'days_before:2@07:00', 'online_rescheduling': False,
            'reschedule_cutoff_hours': 24, 'reschedule_horizon_days': 28, 'reschedule_step_minutes': 15}])


def downgrade():
    pass  # the row stays: the app made it before this revision too
