"""event_tally_parts, event_tallies: the events' facet counts, kept as tables

Derived from the events with the periods (tracker.db.periods, tracker.db.tallies) in the
same transaction as every write, so the unfiltered events list's facet counts and the
timeline's counts are a few hundred rows to read (a few thousand for the days) instead of
a pass over every event.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 22:40:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from tracker.db import tallies

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

FACETS = (
    "facet IN ('total', 'kind', 'measure_type', 'technology', 'place', 'status', 'month', "
    "'in_effect', 'in_effect_month', 'measures')"
)


def upgrade():
    op.create_table(
        'event_tally_parts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('measure_id', sa.Integer(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('facet', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('key', sa.Integer(), nullable=False),
        sa.Column('key2', sa.Integer(), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('(measure_id IS NULL) <> (actor_id IS NULL)',
                           name=op.f('ck_event_tally_parts_one_group')),
        sa.CheckConstraint(FACETS, name=op.f('ck_event_tally_parts_facet_vocab')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_tally_parts')),
    )
    op.create_index('ix_event_tally_parts_measure', 'event_tally_parts', ['measure_id'])
    op.create_index('ix_event_tally_parts_actor', 'event_tally_parts', ['actor_id'])
    op.create_table(
        'event_tallies',
        sa.Column('facet', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('key', sa.Integer(), nullable=False),
        sa.Column('key2', sa.Integer(), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.CheckConstraint(FACETS, name=op.f('ck_event_tallies_facet_vocab')),
        sa.PrimaryKeyConstraint('facet', 'code', 'key', 'key2', name=op.f('pk_event_tallies')),
    )
    # Count the events already there from the stored periods (the same function as
    # `tracker rebuild-periods` runs after rewriting them).
    session = Session(bind=op.get_bind())
    tallies.rebuild(session, tallies.stored_lifecycles(session))
    session.flush()


def downgrade():
    op.drop_table('event_tallies')
    op.drop_index('ix_event_tally_parts_actor', table_name='event_tally_parts')
    op.drop_index('ix_event_tally_parts_measure', table_name='event_tally_parts')
    op.drop_table('event_tally_parts')
