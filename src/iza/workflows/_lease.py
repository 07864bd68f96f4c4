"""A lease in the shared store, so that one scheduler fires schedules however many servers run.

Each ``iza serve`` process runs a scheduler; only the one holding the ``scheduler`` lease fires
schedule triggers and resumes due waits. The holder renews the lease when half its time is gone
(one small write per ``ttl / 2``, not per tick); when it stops it releases the lease, and when it
dies the lease runs out and another server takes over within ``ttl`` seconds. Like n8n's
leader election for multi-main setups, fires that fall in a takeover gap are not made up.

The decision is one write transaction: ``BEGIN IMMEDIATE`` serialises it on SQLite, and on
PostgreSQL the row lock of the conditional ``UPDATE`` (or the primary key, for the first
``INSERT``) does; a lost race reads as "not the holder". Any other store error propagates, so
the scheduler's pass fails and is retried (it keeps its schedule) rather than stepping down.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from iza.kernel.store import Store
from iza.workflows._tables import LeaseRow

_LEASES: sa.Table = LeaseRow.__table__  # type: ignore[assignment]

__all__ = ["Lease"]


class Lease:
    """The named lease for this process: :meth:`hold` answers whether it is the holder now."""

    def __init__(self, store: Store, name: str = "scheduler", *, ttl_s: float = 15.0,
                 holder: str | None = None) -> None:
        self.store = store
        self.name = name
        self.ttl = timedelta(seconds=ttl_s)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._until: datetime | None = None

    def hold(self, now: datetime) -> bool:
        """Take or renew the lease at ``now`` if it is free, expired or already ours."""
        if self._until is not None and now < self._until - self.ttl / 2:
            return True
        until = now + self.ttl
        table = _LEASES
        try:
            with self.store.transaction() as s:
                result = s.connection().execute(
                    sa.update(table)
                    .where(table.c.name == self.name)
                    .where(sa.or_(table.c.holder == self.holder, table.c.expires_at <= now))
                    .values(holder=self.holder, expires_at=until)
                )
                won = result.rowcount == 1
                if not won and s.get(LeaseRow, self.name) is None:
                    s.add(LeaseRow(name=self.name, holder=self.holder, expires_at=until))
                    won = True
        except sa_exc.IntegrityError:  # another server inserted it first
            won = False
        self._until = until if won else None
        return won

    def release(self) -> None:
        """Give the lease up now (a stopping server), so another takes over at once."""
        self._until = None
        table = _LEASES
        with self.store.transaction() as s:
            s.execute(sa.delete(table).where(table.c.name == self.name)
                      .where(table.c.holder == self.holder))
