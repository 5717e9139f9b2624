"""measure_starts: each measure's first event's day, kept as a table

Derived from the events with the periods (tracker.db.periods), in the same transaction as
every write. The measures list sorts by it and the lifespan chart picks measures by it;
computed per request it was a GROUP BY over every event.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'measure_starts',
        sa.Column('measure_id', sa.Integer(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], ondelete='CASCADE',
                                name=op.f('fk_measure_starts_measure_id_measures')),
        sa.PrimaryKeyConstraint('measure_id', name=op.f('pk_measure_starts')),
    )
    op.create_index('ix_measure_starts_start', 'measure_starts', ['start_date', 'measure_id'])
    op.execute(
        "INSERT INTO measure_starts (measure_id, start_date) "
        "SELECT measure_id, min(date) FROM events WHERE measure_id IS NOT NULL GROUP BY measure_id"
    )


def downgrade():
    op.drop_index('ix_measure_starts_start', table_name='measure_starts')
    op.drop_table('measure_starts')
