"""data_loads: every load of data files, so setup brings later changes of data/ in

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # No row for the loads made before this table existed: the next `tracker setup` finds
    # no recorded load, so it loads data/ (keeping every edit made through the forms).
    op.create_table(
        'data_loads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.Column('command', sa.String(length=10), nullable=False),
        sa.Column('directory', sa.Text(), nullable=False),
        sa.Column('data_sha256', sa.String(length=64), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('revision_id', sa.Integer(), nullable=True),
        sa.Column('kept_changes', sa.JSON(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.CheckConstraint("command IN ('setup', 'load')", name=op.f('ck_data_loads_command_vocab')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_loads')),
    )


def downgrade():
    op.drop_table('data_loads')
