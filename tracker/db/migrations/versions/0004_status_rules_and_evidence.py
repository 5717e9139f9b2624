"""status rules of the first audit: sessions, coverage changes, scopes as lists, source notes

Measures gain their legislative session and its last day (a bill not enacted by then has
failed), the requirements of oversight measures, and scopes as lists; events can change
their measure's technologies and scope from their date; `first_reading` is an event kind;
sources gain how their publication date is known, a public note and two kinds (advocacy,
mirror); `discontinuation` is a measure type (a city ending a vendor's contract).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:30:00

"""
import sqlalchemy as sa
from alembic import op

from tracker.db.search import create_search_structures

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

EVENT_KINDS = "kind IN ('proposed', 'introduced', 'first_reading', 'hearing', 'committee_action', 'passed_chamber', 'passed', 'vetoed', 'veto_overridden', 'adopted', 'effective', 'amended', 'extended', 'expired', 'repealed', 'withdrawn', 'failed', 'struck_down', 'announcement', 'report', 'lawsuit_filed', 'ruling', 'settlement', 'enforcement', 'fine', 'advocacy', 'shareholder_vote', 'deployment', 'investigation')"
OLD_EVENT_KINDS = "kind IN ('proposed', 'introduced', 'hearing', 'committee_action', 'passed_chamber', 'passed', 'vetoed', 'veto_overridden', 'adopted', 'effective', 'amended', 'extended', 'expired', 'repealed', 'withdrawn', 'failed', 'struck_down', 'announcement', 'report', 'lawsuit_filed', 'ruling', 'settlement', 'enforcement', 'fine', 'advocacy', 'shareholder_vote', 'deployment', 'investigation')"
SOURCE_KINDS = "kind IN ('statement', 'news_article', 'blog_post', 'legislation', 'government_record', 'court_document', 'report', 'tracker', 'repository_file', 'advocacy', 'mirror')"
OLD_SOURCE_KINDS = "kind IN ('statement', 'news_article', 'blog_post', 'legislation', 'government_record', 'court_document', 'report', 'tracker', 'repository_file')"
SCOPES = "scope IS NULL OR (scope <> '' AND replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(scope, 'sales_to_police', ''), 'government_use', ''), 'sales_general', ''), 'public_places', ''), 'body_cameras', ''), 'federal_use', ''), 'private_use', ''), 'police_use', ''), 'schools', ''), '; ', '') = '')"
OLD_SCOPES = "scope IS NULL OR scope IN ('government_use', 'police_use', 'body_cameras', 'federal_use', 'sales_to_police', 'sales_general', 'private_use', 'public_places', 'schools')"
REQUIREMENTS = "requirements IS NULL OR (requirements <> '' AND replace(replace(replace(replace(replace(replace(replace(replace(replace(requirements, 'public_process', ''), 'impact_report', ''), 'annual_report', ''), 'advisory_body', ''), 'use_policy', ''), 'approval', ''), 'warrant', ''), 'audit', ''), '; ', '') = '')"
NEW_SCOPE = "new_scope IS NULL OR (new_scope <> '' AND replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(new_scope, 'sales_to_police', ''), 'government_use', ''), 'sales_general', ''), 'public_places', ''), 'body_cameras', ''), 'federal_use', ''), 'private_use', ''), 'police_use', ''), 'schools', ''), '; ', '') = '')"
MEASURE_TYPES = "measure_type IN ('ban', 'moratorium', 'restriction', 'oversight', 'discontinuation', 'corporate_moratorium', 'corporate_exit', 'corporate_restriction', 'court_order', 'settlement', 'resolution')"
OLD_MEASURE_TYPES = "measure_type IN ('ban', 'moratorium', 'restriction', 'oversight', 'corporate_moratorium', 'corporate_exit', 'corporate_restriction', 'court_order', 'settlement', 'resolution')"
PUBLISHED_CERTAINTY = "published_certainty IS NULL OR published_certainty IN ('verified', 'derived', 'partial', 'unverified')"


def _coverage_table(name):
    op.create_table(
        name,
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('technology_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f(f'fk_{name}_event_id_events'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'],
                                name=op.f(f'fk_{name}_technology_id_technologies'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('event_id', 'technology_id', name=op.f(f'pk_{name}')),
    )


def upgrade():
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.alter_column('scope', existing_type=sa.String(length=40), type_=sa.String(length=200),
                              existing_nullable=True)
        batch_op.add_column(sa.Column('legislative_session', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('session_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('requirements', sa.String(length=300), nullable=True))
        batch_op.drop_constraint(op.f('ck_measures_scope_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_measures_scope_vocab'), SCOPES)
        batch_op.create_check_constraint(op.f('ck_measures_requirements_vocab'), REQUIREMENTS)
        batch_op.drop_constraint(op.f('ck_measures_type_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_measures_type_vocab'), MEASURE_TYPES)
        batch_op.create_check_constraint(
            op.f('ck_measures_session_named'),
            'session_end IS NULL OR legislative_session IS NOT NULL')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('new_scope', sa.String(length=200), nullable=True))
        batch_op.drop_constraint(op.f('ck_events_kind_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_events_kind_vocab'), EVENT_KINDS)
        batch_op.create_check_constraint(op.f('ck_events_new_scope_vocab'), NEW_SCOPE)
        batch_op.create_check_constraint(op.f('ck_events_new_scope_measure'),
                                         'new_scope IS NULL OR measure_id IS NOT NULL')

    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_certainty', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f('ck_sources_kind_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_sources_kind_vocab'), SOURCE_KINDS)
        batch_op.create_check_constraint(op.f('ck_sources_certainty_vocab'), PUBLISHED_CERTAINTY)
        batch_op.create_check_constraint(op.f('ck_sources_certainty_dated'),
                                         'published_certainty IS NULL OR published IS NOT NULL')

    _coverage_table('event_technologies_added')
    _coverage_table('event_technologies_removed')

    # On SQLite the batch operations above rebuilt measures, events and sources as new
    # tables, which drops the triggers that keep their full-text indexes in step: create them
    # again and rebuild the indexes (IF NOT EXISTS: a no-op for what survived; on PostgreSQL
    # the GIN indexes survive ALTER TABLE).
    create_search_structures(op.get_bind())


def downgrade():
    op.drop_table('event_technologies_removed')
    op.drop_table('event_technologies_added')

    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sources_certainty_dated'), type_='check')
        batch_op.drop_constraint(op.f('ck_sources_certainty_vocab'), type_='check')
        batch_op.drop_constraint(op.f('ck_sources_kind_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_sources_kind_vocab'), OLD_SOURCE_KINDS)
        batch_op.drop_column('note')
        batch_op.drop_column('published_certainty')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_events_new_scope_measure'), type_='check')
        batch_op.drop_constraint(op.f('ck_events_new_scope_vocab'), type_='check')
        batch_op.drop_constraint(op.f('ck_events_kind_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_events_kind_vocab'), OLD_EVENT_KINDS)
        batch_op.drop_column('new_scope')

    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_measures_session_named'), type_='check')
        batch_op.drop_constraint(op.f('ck_measures_requirements_vocab'), type_='check')
        batch_op.drop_constraint(op.f('ck_measures_type_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_measures_type_vocab'), OLD_MEASURE_TYPES)
        batch_op.drop_constraint(op.f('ck_measures_scope_vocab'), type_='check')
        batch_op.create_check_constraint(op.f('ck_measures_scope_vocab'), OLD_SCOPES)
        batch_op.drop_column('requirements')
        batch_op.drop_column('session_end')
        batch_op.drop_column('legislative_session')
        batch_op.alter_column('scope', existing_type=sa.String(length=200), type_=sa.String(length=40),
                              existing_nullable=True)
