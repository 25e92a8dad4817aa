"""The database edge: SQLAlchemy Core tables, Alembic migrations, repository functions.

Every function takes a Connection; the caller owns the transaction (`engine.begin()`).
"""
