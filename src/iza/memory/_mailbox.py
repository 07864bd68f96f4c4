"""Agent mailboxes: messages between agents are memory records of kind ``message``.

Keeping mail in memory (rather than a queue) means a message is searchable context later, has
provenance, and is forgotten with its namespace. ``metadata`` carries ``from``, ``to``,
``thread`` and ``acked_at``; ``thread`` also makes consecutive messages neighbours in search.
"""

from __future__ import annotations

import time
from typing import Any

from iza.errors import InputError
from iza.memory._port import MemoryStore
from iza.memory._records import MemoryRecord, new_id

__all__ = ["Mailbox"]


class Mailbox:
    """``Mailbox(store, namespace="mail").send("planner", "worker-3", "Build the login page")``."""

    def __init__(self, store: MemoryStore, namespace: str = "mail") -> None:
        self.store = store
        self.namespace = namespace

    def send(
        self,
        sender: str,
        recipient: str,
        text: str,
        *,
        thread: str | None = None,
        provenance: dict[str, str] | None = None,
        importance: float = 0.5,
    ) -> MemoryRecord:
        if not sender or not recipient:
            raise InputError(
                "a message needs a sender and a recipient", fix="pass --from AGENT and --to AGENT"
            )
        if not text.strip():
            raise InputError("a message needs text", fix="pass the message text")
        rec = MemoryRecord(
            namespace=self.namespace,
            text=text,
            id="msg-" + new_id()[:16],
            kind="message",
            metadata={"from": sender, "to": recipient, "thread": thread or new_id()[:12], "acked_at": None},
            provenance={"agent": sender, **(provenance or {})},
            importance=importance,
        )
        self.store.add([rec])
        return rec

    def inbox(self, recipient: str, *, include_acked: bool = False, limit: int = 100) -> list[MemoryRecord]:
        """Messages to ``recipient``, oldest first (the order they should be handled)."""
        out: list[MemoryRecord] = []
        offset = 0
        while True:
            page = self.store.list(self.namespace, kind="message", limit=500, offset=offset)
            out += [
                r
                for r in page
                if r.metadata.get("to") == recipient and (include_acked or not r.metadata.get("acked_at"))
            ]
            if len(page) < 500:
                break
            offset += 500
        out.sort(key=lambda r: r.created_at)
        return out[:limit]

    def ack(self, message_id: str) -> MemoryRecord:
        """Mark a message handled; it leaves the inbox but stays in memory (and its history)."""
        rec = self.store.get(self.namespace, message_id)
        if rec.kind != "message":
            raise InputError(
                f"{message_id!r} is a {rec.kind}, not a message", fix="pass a message id from `inbox`"
            )
        meta: dict[str, Any] = {"acked_at": time.time()}
        return self.store.update(self.namespace, message_id, metadata=meta)
