"""API tokens: shown once, stored hashed, verified, revoked."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from iza.errors import InputError, NotFoundError
from iza.kernel._models import ApiTokenRow
from iza.kernel.store import Store
from iza.kernel.tokens import create_token, list_tokens, revoke_token, verify_token


def test_token_is_stored_hashed_and_verifies(store: Store) -> None:
    info, token = create_token(store, "ci")
    assert token.startswith("iza_") and len(token) > 40
    with store.read() as session:
        stored = session.scalars(sa.select(ApiTokenRow)).one()
    assert token not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    first, second = verify_token(store, token), verify_token(store, token)
    assert first is not None and second is not None and first.id == second.id == info.id
    assert second.name == "ci" and second.last_used_at is not None
    assert verify_token(store, token[:-1] + "x") is None
    assert verify_token(store, "not-a-token") is None


def test_revoked_token_is_refused(store: Store) -> None:
    _, token = create_token(store, "temp")
    revoke_token(store, "temp")
    assert verify_token(store, token) is None
    assert list_tokens(store)[0].revoked_at is not None
    with pytest.raises(NotFoundError):
        revoke_token(store, "nope")


def test_duplicate_and_empty_names(store: Store) -> None:
    create_token(store, "dup")
    with pytest.raises(InputError, match="already exists"):
        create_token(store, "dup")
    with pytest.raises(InputError):
        create_token(store, "  ")
