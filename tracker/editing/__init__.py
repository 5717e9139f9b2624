"""Editing: the login-protected forms, how a form's data is applied to a record, revisions,
reverts and conflicts, and the statement-ingestion routes.

May import every layer below ``web``, ``ingest`` and ``accounts.users`` (who is editing)."""
