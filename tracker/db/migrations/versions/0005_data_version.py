"""data_version: one row bumped with every change to the public data

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_data_version_single_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version')),
    )
    op.execute("INSERT INTO data_version (id, version, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP)")


def downgrade():
    op.drop_table('data_version')
