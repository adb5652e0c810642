"""Alembic environment: migrations run on the connection the store hands over (inside its
transaction, which also holds the lock that keeps two starting replicas from migrating at once)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
