"""Alembic migrations for the room database (run by `Database.migrate()`)."""
