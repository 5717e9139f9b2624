"""one_product scope: a measure about one company's product only

The scope vocabulary gains ``one_product`` (New Jersey's directive on Clearview AI covers
police use, of one vendor; the map must not paint it as a general ban). The CHECK
constraints on ``measures.scope`` and ``events.new_scope`` list every code, so both are
replaced.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:30:00

"""
from alembic import op

from tracker.db.search import create_search_structures

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The codes as of this revision (a migration keeps its own copy: the vocabulary may grow).
BEFORE = ['government_use', 'police_use', 'body_cameras', 'federal_use', 'sales_to_police',
          'sales_general', 'private_use', 'public_places', 'schools']
AFTER = BEFORE + ['one_product']


def _codes_check(column, codes):
    """As tracker.db.models._codes_check: remove every code (longest first), nothing but
    separators may remain."""
    expr = column
    for code in sorted(codes, key=len, reverse=True):
        expr = f"replace({expr}, '{code}', '')"
    return f"{column} IS NULL OR ({column} <> '' AND replace({expr}, '; ', '') = '')"


def _replace(codes):
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_measures_scope_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_measures_scope_vocab'), _codes_check('scope', codes))
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_events_new_scope_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_events_new_scope_vocab'), _codes_check('new_scope', codes))
    # On SQLite, batch operations recreate the tables, which drops the triggers that keep
    # their full-text indexes in step: create them again and rebuild the indexes.
    create_search_structures(op.get_bind())


def upgrade():
    _replace(AFTER)


def downgrade():
    op.execute("UPDATE measures SET scope = replace(replace(scope, '; one_product', ''), 'one_product', '')"
               " WHERE scope LIKE '%one_product%'")
    op.execute("UPDATE measures SET scope = NULL WHERE scope = ''")
    op.execute("UPDATE events SET new_scope = replace(replace(new_scope, '; one_product', ''), 'one_product', '')"
               " WHERE new_scope LIKE '%one_product%'")
    op.execute("UPDATE events SET new_scope = NULL WHERE new_scope = ''")
    _replace(BEFORE)
