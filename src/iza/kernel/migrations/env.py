"""Alembic environment: runs on the connection of the :class:`iza.kernel.store.Store` passed in."""

from alembic import context

from iza.kernel.store import Base

store = context.config.attributes["store"]

with store.engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=store.dialect == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
