"""map_candidates, map_segments, map_change_days: the unfiltered ban map, kept as tables

Derived from the periods and the scope changes (tracker.db.mapstore) in the same
transaction as every write, so the unfiltered map on a date reads one segment per place,
two short lists and the change days instead of every measure live that day.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from tracker.db import mapstore, tallies

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

STATUSES = (
    "status IN ('pending', 'passed', 'adopted', 'in_effect', 'expired', 'repealed', 'failed', "
    "'struck_down', 'replaced')"
)


def upgrade():
    op.create_table(
        'map_candidates',
        sa.Column('measure_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('grp', sa.String(length=20), nullable=False),
        sa.Column('place_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('since', sa.Date(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.Column('narrow', sa.Boolean(), nullable=False),
        sa.Column('strength', sa.Integer(), nullable=True),
        sa.Column('slug', sa.String(length=160), nullable=False),
        sa.CheckConstraint("grp IN ('place', 'corporate', 'unplaced')", name=op.f('ck_map_candidates_grp_vocab')),
        sa.CheckConstraint(STATUSES, name=op.f('ck_map_candidates_status_vocab')),
        sa.CheckConstraint('end_date IS NULL OR end_date > start_date',
                           name=op.f('ck_map_candidates_ends_after_start')),
        sa.PrimaryKeyConstraint('measure_id', 'seq', name=op.f('pk_map_candidates')),
    )
    op.create_index('ix_map_candidates_list', 'map_candidates', ['grp', 'since', 'slug', 'measure_id'])
    op.create_index('ix_map_candidates_live', 'map_candidates', ['grp', 'start_date', 'end_date'])
    op.create_index('ix_map_candidates_place', 'map_candidates', ['place_id'])
    op.create_table(
        'map_segments',
        sa.Column('place_id', sa.Integer(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.Column('measure_id', sa.Integer(), nullable=True),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.CheckConstraint('end_date IS NULL OR end_date > start_date',
                           name=op.f('ck_map_segments_ends_after_start')),
        sa.PrimaryKeyConstraint('place_id', 'start_date', name=op.f('pk_map_segments')),
    )
    op.create_table(
        'map_change_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.CheckConstraint('n > 0', name=op.f('ck_map_change_days_positive')),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_map_change_days')),
    )
    # Fill them from the stored periods (the same function as `tracker rebuild-periods`
    # runs after rewriting those).
    session = Session(bind=op.get_bind())
    mapstore.rebuild(session, tallies.stored_lifecycles(session))
    session.flush()


def downgrade():
    op.drop_table('map_change_days')
    op.drop_table('map_segments')
    op.drop_index('ix_map_candidates_place', table_name='map_candidates')
    op.drop_index('ix_map_candidates_live', table_name='map_candidates')
    op.drop_index('ix_map_candidates_list', table_name='map_candidates')
    op.drop_table('map_candidates')
