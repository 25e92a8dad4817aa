"""Alembic environment: migrations run on the connection `store.db.migrate` passes in."""

from alembic import context

from worker.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through worker.store.db.migrate (or `radar migrate`)")
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
