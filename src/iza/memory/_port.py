"""The memory port: what every backend (SQLite, Chroma, mem0) offers, and the embedder seam.

Agents, workflows, the CLI and the dashboard talk to :class:`MemoryStore` only, so a backend can
be swapped by a setting (``memory.backend``). Records are addressed by ``(namespace, id)``: ids
come from the caller's world (LoCoMo's ``D3:7``, a ticket number) and are unique only within
their namespace, which is also the isolation boundary: no method ever crosses namespaces
unless it takes ``namespace=None`` explicitly (``stats``).
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from iza.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from iza.memory._records import MemoryRecord, SearchHit, SearchQuery

__all__ = ["Embedder", "EmbeddingMismatch", "MemoryStore", "RecordNotFound"]


class Embedder(Protocol):
    """Turns texts into unit vectors. ``name`` and ``dim`` are recorded per namespace."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]: ...


class RecordNotFound(NotFoundError):
    """No record with this id in this namespace."""

    def __init__(self, namespace: str, record_id: str) -> None:
        super().__init__(
            f"no memory {record_id!r} in namespace {namespace!r}",
            fix=f"list ids with: iza memory list --namespace {namespace}",
        )
        self.namespace = namespace
        self.record_id = record_id


class EmbeddingMismatch(UsageError):
    """A namespace's vectors come from one model; another model's vectors would not compare."""

    def __init__(self, namespace: str, stored: str, given: str) -> None:
        super().__init__(
            f"namespace {namespace!r} holds {stored} embeddings; refusing to mix in {given}",
            fix=f"re-embed the namespace first: iza memory reembed --namespace {namespace}",
        )
        self.namespace = namespace
        self.stored = stored
        self.given = given


class MemoryStore(ABC):
    """A long-term memory backend. Every write is atomic: all of it is stored or none."""

    @abstractmethod
    def add(self, records: Sequence[MemoryRecord], progress: Callable[[int, int], None] | None = None) -> int:
        """Store records in one transaction (an existing ``(namespace, id)`` is updated, keeping
        history). ``progress(done, total)`` is called while embedding."""

    @abstractmethod
    def get(self, namespace: str, record_id: str) -> MemoryRecord:
        """One record; raises :class:`RecordNotFound`."""

    @abstractmethod
    def list(
        self, namespace: str, *, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[MemoryRecord]:
        """Records newest first."""

    @abstractmethod
    def update(
        self,
        namespace: str,
        record_id: str,
        *,
        text: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        importance: float | None = None,
        expires_at: float | None = None,
    ) -> MemoryRecord:
        """Change a record; its previous version goes to history."""

    @abstractmethod
    def delete(self, namespace: str, record_id: str) -> None:
        """Remove a record with its vector, full-text entry and history."""

    @abstractmethod
    def forget(self, namespace: str, subject: str | None = None) -> int:
        """Remove every record of ``subject`` (or the whole namespace) leaving no trace."""

    @abstractmethod
    def history(self, namespace: str, record_id: str) -> builtins.list[dict[str, Any]]:
        """Prior versions, oldest first, then the current one."""

    @abstractmethod
    def search(self, query: SearchQuery) -> builtins.list[SearchHit]:
        """Best first, within ``query.namespace`` only."""

    def search_many(self, queries: Sequence[SearchQuery]) -> builtins.list[builtins.list[SearchHit]]:
        """Several searches; adapters override this to batch query embeddings."""
        return [self.search(q) for q in queries]

    @abstractmethod
    def stats(self, namespace: str | None = None) -> dict[str, Any]:
        """Counts per namespace (all namespaces when ``None``)."""

    @abstractmethod
    def reembed(
        self,
        namespace: str,
        embedder: Embedder,
        batch: int = 256,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Recompute every vector of ``namespace`` with ``embedder`` and record it as the model."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
