"""measure_periods and measure_coverage: measures' derived lifecycles, kept as tables

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 19:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from tracker.db import periods

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

STATUSES = ('pending', 'passed', 'adopted', 'in_effect', 'expired', 'repealed', 'failed',
            'struck_down', 'replaced')


def upgrade():
    listed = ", ".join(f"'{s}'" for s in STATUSES)
    op.create_table(
        'measure_periods',
        sa.Column('measure_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.CheckConstraint(f"status IN ({listed})", name=op.f('ck_measure_periods_status_vocab')),
        sa.CheckConstraint('end_date IS NULL OR end_date > start_date',
                           name=op.f('ck_measure_periods_ends_after_start')),
        sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], ondelete='CASCADE',
                                name=op.f('fk_measure_periods_measure_id_measures')),
        sa.PrimaryKeyConstraint('measure_id', 'seq', name=op.f('pk_measure_periods')),
    )
    op.create_index('ix_measure_periods_status_start', 'measure_periods', ['status', 'start_date'])
    op.create_table(
        'measure_coverage',
        sa.Column('measure_id', sa.Integer(), nullable=False),
        sa.Column('technology_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=True),
        sa.Column('until', sa.Date(), nullable=True),
        sa.CheckConstraint('start_date IS NULL OR until IS NULL OR until > start_date',
                           name=op.f('ck_measure_coverage_ordered')),
        sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], ondelete='CASCADE',
                                name=op.f('fk_measure_coverage_measure_id_measures')),
        sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], ondelete='CASCADE',
                                name=op.f('fk_measure_coverage_technology_id_technologies')),
        sa.PrimaryKeyConstraint('measure_id', 'technology_id', 'seq', name=op.f('pk_measure_coverage')),
    )
    op.create_index(op.f('ix_measure_coverage_technology_id'), 'measure_coverage', ['technology_id'])
    # Fill them from the events already there, with the rules of this version of the code
    # (the same function as `tracker rebuild-periods`; measure_starts comes with 0011, the
    # facet counts with 0014).
    session = Session(bind=op.get_bind())
    periods.refresh(session, None, starts=False, counts=False)
    session.flush()


def downgrade():
    op.drop_index(op.f('ix_measure_coverage_technology_id'), table_name='measure_coverage')
    op.drop_table('measure_coverage')
    op.drop_index('ix_measure_periods_status_start', table_name='measure_periods')
    op.drop_table('measure_periods')
