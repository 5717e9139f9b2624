"""Data files: the CSV format of ``data/`` (its columns and cell rules), the all-or-nothing
loader, and backups of everything.

May import ``core``, ``db`` and ``render`` (the export writes records as files); never web
views."""
