"""The agents migrations (a0001, a0002) create exactly the tables the models declare (no drift)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import iza.agents._models  # noqa: F401 - registers the tables on Base.metadata
from iza.kernel.store import Base, Store


def test_models_match_the_migration(store: Store) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diffs if "agent_" in repr(d)]
    assert ours == []


def test_branch_label_and_head(store: Store) -> None:
    state = store.migration_state()
    assert "a0002" in state.heads and state.up_to_date
