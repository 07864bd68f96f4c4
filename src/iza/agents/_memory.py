"""The default :class:`~iza.agents.MemorySink`: results and mailboxes in the workforce's tables.

It exists so missions work before ``iza.memory`` is merged; an adapter to the unified memory
replaces it by implementing the same protocol. Search is a plain term-overlap score over the
namespace (deterministic, no embeddings): good enough for an agent to find what its mission
already recorded, and honest about being lexical.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from iza.agents._models import MailRow, MemoryRow
from iza.agents._ports import MailMessage, MemoryRecord
from iza.kernel.store import Store, utcnow

__all__ = ["StoreMemory", "mission_namespace"]

_WORD = re.compile(r"[a-z0-9]+")


def mission_namespace(mission_id: str) -> str:
    """Each mission shares one namespace among its agents."""
    return f"mission:{mission_id}"


class StoreMemory:
    """Memory and mailboxes in the relational store (SQLite or PostgreSQL)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, record: MemoryRecord) -> str:
        rid = "mem-" + uuid.uuid4().hex[:16]
        with self.store.transaction() as session:
            session.add(MemoryRow(id=rid, namespace=record.namespace, kind=record.kind,
                                  text=record.text, data=dict(record.data),
                                  mission_id=record.mission_id, agent_id=record.agent_id,
                                  task_id=record.task_id, created_at=utcnow()))
        return rid

    def search(self, namespace: str, query: str, limit: int = 5) -> Sequence[MemoryRecord]:
        terms = set(_WORD.findall(query.lower()))
        with self.store.read() as session:
            rows = session.scalars(sa.select(MemoryRow).where(MemoryRow.namespace == namespace)
                                   .order_by(MemoryRow.created_at)).all()
        scored: list[MemoryRecord] = []
        for row in rows:
            words = set(_WORD.findall(row.text.lower()))
            score = len(terms & words) / len(terms) if terms else 0.0
            if score > 0:
                scored.append(MemoryRecord(row.namespace, row.text, row.kind, row.mission_id,
                                           row.agent_id, row.task_id, dict(row.data), row.id, score))
        scored.sort(key=lambda r: -r.score)
        return scored[:limit]

    def send(self, message: MailMessage) -> str:
        mid = "msg-" + uuid.uuid4().hex[:16]
        with self.store.transaction() as session:
            session.add(MailRow(id=mid, sender=message.sender, recipient=message.recipient,
                                body=message.body, mission_id=message.mission_id,
                                task_id=message.task_id, created_at=utcnow()))
        return mid

    def inbox(self, recipient: str, mission_id: str | None = None) -> Sequence[MailMessage]:
        stmt = sa.select(MailRow).where(MailRow.recipient == recipient)
        if mission_id is not None:
            stmt = stmt.where(MailRow.mission_id == mission_id)
        with self.store.read() as session:
            rows = session.scalars(stmt.order_by(MailRow.created_at, MailRow.id)).all()
        return [MailMessage(r.sender, r.recipient, r.body, r.mission_id, r.task_id, r.id) for r in rows]
