"""A partial index of the events that change a measure's scope

The map reads each measure's scope as of its date (the latest ``new_scope`` of its events
on or before the day). Few events carry one; an index of those alone lets that lookup read
a handful of entries instead of every event.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_events_new_scope', 'events', ['measure_id', 'date'], unique=False,
        sqlite_where=sa.text('new_scope IS NOT NULL'), postgresql_where=sa.text('new_scope IS NOT NULL'),
    )


def downgrade():
    op.drop_index('ix_events_new_scope', table_name='events')
