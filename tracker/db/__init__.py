"""Database: the SQLAlchemy models with their constraints, full-text search structures and
the Alembic migrations.

May import ``core`` (vocabularies become CHECK constraints); never Flask views, forms or
rendering. Everything that reads or writes the record goes through these models."""
