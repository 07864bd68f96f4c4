"""The :class:`~iza.agents.MemorySink` port implemented on ``iza.memory``: the workforce's memory.

What the workforce records lands in the unified memory, so the rest of IZA OS sees it:

* results and notes go to the mission's shared namespace ``mission:<id>`` with provenance
  ``mission``, ``agent``, ``task`` and (when the mission delivers one) ``order``;
* messages between agents are ``iza.memory`` mailbox messages (kind ``message``, ``from``/``to``/
  ``thread`` in metadata) in that same namespace, so ``iza memory inbox --namespace mission:<id>
  AGENT`` shows an agent's mail and ``iza memory forget --namespace mission:<id>`` removes a
  mission's results and mail together;
* the ``memory_search`` tool is ``iza.memory`` search over the mission namespace.

Search is lexical (BM25 plus recency/importance) by default — ``agents.memory = "lexical"`` opens
the store without an embedder, so a mission never loads an embedding model and its results never
depend on one being installed. ``agents.memory = "hybrid"`` follows ``memory.embedder`` instead
(vectors written with each result). ``agents.memory = "tables"`` keeps the workforce's own
tables (:class:`~iza.agents.StoreMemory`), the fallback for a deployment that wants agent memory
in the relational store.

An agent's inbox includes messages a person already acknowledged with ``iza memory ack``: the
agent's prompt must be the same when a crashed mission resumes, or the LLM journal could not
answer the replayed turn.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from iza.agents._memory import mission_namespace
from iza.agents._models import MissionRow
from iza.agents._ports import MailMessage, MemoryRecord
from iza.kernel.config import Settings
from iza.kernel.store import Store

if TYPE_CHECKING:
    from iza.memory import MemoryRecord as UnifiedRecord
    from iza.memory import MemoryStore

__all__ = ["MAIL_NAMESPACE", "UnifiedMemory", "unified_memory"]

#: Mailbox of messages sent outside any mission (``iza.memory``'s own default mailbox).
MAIL_NAMESPACE = "mail"
_INBOX_LIMIT = 10_000


class UnifiedMemory:
    """Agents' results, search and mailboxes in an ``iza.memory`` :class:`MemoryStore`.

    ``store`` (the relational store) is used only to read which order a mission delivers, for
    provenance; it may be ``None`` when that is not wanted.
    """

    def __init__(self, memory: MemoryStore, store: Store | None = None) -> None:
        self.memory = memory
        self.store = store
        self._orders: dict[str, str | None] = {}
        self._lock = threading.Lock()

    # ---- provenance -----------------------------------------------------------------------
    def _order_of(self, mission_id: str) -> str | None:
        with self._lock:
            if mission_id in self._orders:
                return self._orders[mission_id]
        order: str | None = None
        if self.store is not None:
            with self.store.read() as session:
                row = session.get(MissionRow, mission_id)
                order = row.order_id if row is not None else None
        with self._lock:
            self._orders[mission_id] = order
        return order

    def _provenance(self, mission_id: str | None, agent_id: str | None,
                    task_id: str | None) -> dict[str, str]:
        prov = {"mission": mission_id, "agent": agent_id, "task": task_id,
                "order": self._order_of(mission_id) if mission_id else None}
        return {k: v for k, v in prov.items() if v}

    # ---- MemorySink -----------------------------------------------------------------------
    def add(self, record: MemoryRecord) -> str:
        from iza.memory import MemoryRecord as Unified

        rec = Unified(namespace=record.namespace, text=record.text, id="res-" + uuid.uuid4().hex[:16],
                      kind=record.kind, metadata=dict(record.data),
                      provenance=self._provenance(record.mission_id, record.agent_id, record.task_id))
        self.memory.add([rec])
        return rec.id

    def search(self, namespace: str, query: str, limit: int = 5) -> Sequence[MemoryRecord]:
        from iza.memory import SearchQuery

        if not query.strip():
            return []
        hits = self.memory.search(SearchQuery(namespace=namespace, text=query, k=limit))
        return [_agents_record(h.record, h.score) for h in hits]

    def send(self, message: MailMessage) -> str:
        from iza.memory import Mailbox

        ns = mission_namespace(message.mission_id) if message.mission_id else MAIL_NAMESPACE
        prov = self._provenance(message.mission_id, None, message.task_id)
        rec = Mailbox(self.memory, ns).send(message.sender, message.recipient, message.body,
                                            thread=message.mission_id, provenance=prov)
        return rec.id

    def inbox(self, recipient: str, mission_id: str | None = None) -> Sequence[MailMessage]:
        """Messages to ``recipient`` in the mission's mailbox (the ``mail`` namespace without one)."""
        from iza.memory import Mailbox

        ns = mission_namespace(mission_id) if mission_id else MAIL_NAMESPACE
        msgs = Mailbox(self.memory, ns).inbox(recipient, include_acked=True, limit=_INBOX_LIMIT)
        return [MailMessage(str(m.metadata.get("from", "")), recipient, m.text,
                            m.provenance.get("mission"), m.provenance.get("task"), m.id)
                for m in msgs]


def _agents_record(rec: UnifiedRecord, score: float) -> MemoryRecord:
    prov = rec.provenance
    return MemoryRecord(rec.namespace, rec.text, rec.kind, prov.get("mission"), prov.get("agent"),
                        prov.get("task"), dict(rec.metadata), rec.id, score)


def unified_memory(settings: Settings, store: Store) -> UnifiedMemory:
    """The default sink: ``iza.memory``'s configured backend, lexical unless ``agents.memory=hybrid``."""
    from iza.memory import open_store

    mode = settings.get_str("agents.memory")
    memory = open_store(settings) if mode == "hybrid" else open_store(settings, embedder=None)
    return UnifiedMemory(memory, store)
