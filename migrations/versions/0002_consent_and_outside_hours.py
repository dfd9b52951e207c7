"""SMS consent history; appointments booked outside working hours

Revision ID: db7d4f4f107c
Revises: e809f9b830d1
Create Date: 2026-11-24 03:57:20.556221

"""
import sqlalchemy as sa
from alembic import op

import practice.models

revision = "db7d4f4f107c"
down_revision = "e809f9b830d1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consent_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=250), nullable=False),
        sa.Column("recorded_at", practice.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_consent_event_client_id_client")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], name=op.f("fk_consent_event_recorded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_event")),
    )
    with op.batch_alter_table("consent_event") as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_event_client_id"), ["client_id"], unique=False)
    # Existing rows: no consent registered, nothing booked outside hours.
    with op.batch_alter_table("appointment") as batch_op:
        batch_op.add_column(sa.Column("outside_hours", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("client") as batch_op:
        batch_op.add_column(sa.Column("sms_consent", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("client") as batch_op:
        batch_op.drop_column("sms_consent")
    with op.batch_alter_table("appointment") as batch_op:
        batch_op.drop_column("outside_hours")
    with op.batch_alter_table("consent_event") as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_event_client_id"))
    op.drop_table("consent_event")
