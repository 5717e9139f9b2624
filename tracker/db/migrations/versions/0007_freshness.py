"""freshness: when a measure's status was last checked, and events that need confirmation

Measures gain the day an editor last confirmed their status against a source, and that
source (both or neither); events gain the curators' flag that they rest on one source or on
secondary pages only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 22:40:00

"""
import sqlalchemy as sa
from alembic import op

from tracker.db.search import create_search_structures

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_checked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('status_checked_source_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_measures_status_checked_source_id'),
                              ['status_checked_source_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_measures_status_checked_source_id_sources'),
                                    'sources', ['status_checked_source_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_check_constraint(
            op.f('ck_measures_status_check_pair'),
            '(status_checked_on IS NULL) = (status_checked_source_id IS NULL)')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_confirmation', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # The default only fills the rows already there; the application always sets the value.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('needs_confirmation', server_default=None)
    # On SQLite, batch operations recreate the tables, which drops the triggers that keep
    # their full-text indexes in step: create them again and rebuild the indexes.
    create_search_structures(op.get_bind())


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('needs_confirmation')
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_measures_status_check_pair'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_measures_status_checked_source_id_sources'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_measures_status_checked_source_id'))
        batch_op.drop_column('status_checked_source_id')
        batch_op.drop_column('status_checked_on')
    create_search_structures(op.get_bind())
