"""Tests of media/store: migrations, database-enforced rules, atomic helpers."""
