"""API tokens: created once and shown once; only a SHA-256 digest is stored.

A token looks like ``iza_<43 url-safe characters>`` (256 bits of randomness). Because tokens are
random and long, an unsalted SHA-256 is a safe lookup key (no password-style stretching needed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from iza.errors import InputError, NotFoundError
from iza.kernel._models import ApiTokenRow
from iza.kernel.events import TokenCreated, publish
from iza.kernel.store import Store, utcnow

__all__ = ["TokenInfo", "create_token", "list_tokens", "revoke_token", "verify_token"]

_PREFIX = "iza_"
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked": self.revoked_at is not None,
        }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.prefix, row.created_at, row.last_used_at,
                     row.revoked_at)


def create_token(store: Store, name: str) -> tuple[TokenInfo, str]:
    """Create a token called ``name``; returns its info and the token (shown once)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise InputError("a token name must be 1-120 characters", fix="iza tokens create NAME")
    token = _PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as session:
        exists = session.scalar(sa.select(ApiTokenRow.id).where(ApiTokenRow.name == name))
        if exists is not None:
            raise InputError(
                f"a token named {name!r} already exists",
                fix=f"choose another name, or `iza tokens revoke {name}` first",
            )
        row = ApiTokenRow(name=name, prefix=token[:10], token_hash=_digest(token),
                          created_at=utcnow())
        session.add(row)
        session.flush()
        publish(store, TokenCreated(token_name=name), session)
        info = _info(row)
    return info, token


def verify_token(store: Store, token: str) -> TokenInfo | None:
    """The token's info when it is valid and not revoked, else ``None``."""
    if not token.startswith(_PREFIX):
        return None
    digest = _digest(token)
    with store.read() as session:
        row = session.scalar(sa.select(ApiTokenRow).where(ApiTokenRow.token_hash == digest))
        if row is None or row.revoked_at is not None:
            return None
        # constant-time comparison, although the lookup already matched the digest
        if not hmac.compare_digest(row.token_hash, digest):
            return None
        info = _info(row)
    now = utcnow()
    if info.last_used_at is None or now - info.last_used_at > _TOUCH_EVERY:
        with store.transaction() as session:
            session.execute(
                sa.update(ApiTokenRow).where(ApiTokenRow.id == info.id).values(last_used_at=now)
            )
    return info


def token_by_id(store: Store, token_id: int) -> TokenInfo | None:
    with store.read() as session:
        row = session.get(ApiTokenRow, token_id)
        return None if row is None or row.revoked_at is not None else _info(row)


def list_tokens(store: Store) -> list[TokenInfo]:
    with store.read() as session:
        return [_info(r) for r in session.scalars(sa.select(ApiTokenRow).order_by(ApiTokenRow.id))]


def revoke_token(store: Store, name: str) -> TokenInfo:
    with store.transaction() as session:
        row = session.scalar(sa.select(ApiTokenRow).where(ApiTokenRow.name == name))
        if row is None:
            raise NotFoundError(f"no token named {name!r}", fix="`iza tokens list` shows them")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return _info(row)
