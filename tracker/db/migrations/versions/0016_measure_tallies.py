"""measure_tally_values, measure_tally_steps, measure_tallies: the measures list's facet counts on any date

Derived from the periods and the measures (tracker.db.measuretallies) in the same
transaction as every write, so "every measure in effect on a date" is counted from a few
thousand stored rows instead of every measure live that day.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 00:30:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from tracker.db import measuretallies

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

FACETS = "facet IN ('total', 'measure_type', 'technology', 'country', 'region')"
STATUSES = (
    "status IN ('pending', 'passed', 'adopted', 'in_effect', 'expired', 'repealed', 'failed', "
    "'struck_down', 'replaced', 'recorded')"
)


def upgrade():
    op.create_table(
        'measure_tally_values',
        sa.Column('measure_id', sa.Integer(), nullable=False),
        sa.Column('facet', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('key', sa.Integer(), nullable=False),
        sa.CheckConstraint(FACETS, name=op.f('ck_measure_tally_values_facet_vocab')),
        sa.PrimaryKeyConstraint('measure_id', 'facet', 'code', 'key', name=op.f('pk_measure_tally_values')),
    )
    op.create_table(
        'measure_tally_steps',
        sa.Column('measure_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.CheckConstraint(STATUSES, name=op.f('ck_measure_tally_steps_status_vocab')),
        sa.PrimaryKeyConstraint('measure_id', 'status', 'day', name=op.f('pk_measure_tally_steps')),
    )
    op.create_index('ix_measure_tally_steps_day', 'measure_tally_steps', ['status', 'day', 'measure_id'])
    op.create_table(
        'measure_tallies',
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('period', sa.Integer(), nullable=False),
        sa.Column('facet', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('key', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.CheckConstraint(STATUSES, name=op.f('ck_measure_tallies_status_vocab')),
        sa.CheckConstraint("grain IN ('y', 'm')", name=op.f('ck_measure_tallies_grain_vocab')),
        sa.CheckConstraint(FACETS, name=op.f('ck_measure_tallies_facet_vocab')),
        sa.PrimaryKeyConstraint('status', 'grain', 'period', 'facet', 'code', 'key',
                                name=op.f('pk_measure_tallies')),
    )
    # Fill them from the stored periods (the function `tracker rebuild-periods` runs).
    session = Session(bind=op.get_bind())
    measuretallies.rebuild(session)
    session.flush()


def downgrade():
    op.drop_index('ix_measure_tally_steps_day', table_name='measure_tally_steps')
    op.drop_table('measure_tallies')
    op.drop_table('measure_tally_steps')
    op.drop_table('measure_tally_values')
