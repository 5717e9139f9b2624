"""Indexes for the facet counts and the statuses on a date

- events by (measure, own place, acting actor): the facet counts of the events list first
  group the rows by these three columns; on the whole table that is a scan of this index
  alone, already in order (at 300,000 events, the place counts took 68 ms instead of
  277 ms, which grouped every event after joining its measure);
- the status periods by (status, start, end, measure), replacing (status, start): covering,
  so a GROUP BY status over the periods on a date, or a status filter, reads the index
  alone instead of looking every period up in the table (the status facet: 85 -> 15 ms).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 20:00:00

"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_events_facet_groups', 'events', ['measure_id', 'jurisdiction_id', 'actor_id'],
                    unique=False)
    op.create_index('ix_measure_periods_status', 'measure_periods',
                    ['status', 'start_date', 'end_date', 'measure_id'], unique=False)
    op.drop_index('ix_measure_periods_status_start', table_name='measure_periods')


def downgrade():
    op.create_index('ix_measure_periods_status_start', 'measure_periods', ['status', 'start_date'],
                    unique=False)
    op.drop_index('ix_measure_periods_status', table_name='measure_periods')
    op.drop_index('ix_events_facet_groups', table_name='events')
