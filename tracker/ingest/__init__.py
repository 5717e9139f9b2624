"""Ingestion: from a pasted or uploaded statement (HTML or text) to suggested events and
citations with quotes.

May import ``core``, ``db`` and ``read``; the editor routes that use it live in
``editing``."""
