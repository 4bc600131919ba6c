"""Alembic migrations of the store's schema, shipped in the package and run from code
(`broadcastd.store.migrate`): no alembic.ini at run time. See README.md in this folder."""
