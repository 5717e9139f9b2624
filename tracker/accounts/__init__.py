"""Accounts: editors and admins (users, passwords, roles), their login routes and
commands.

May import ``core``, ``db`` and ``read`` (for bad-parameter errors)."""
