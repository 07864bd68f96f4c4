"""The memory page of the dashboard and its JSON API (``/api/v1/memory/…``).

The page shows namespace stats, a search box, recent writes and agent mailboxes. The store is
opened per request (SQLite opens in well under a millisecond); the embedder is loaded once per
process, on the first search, and shared, because loading it costs ~0.5 s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from iza.kernel.config import Settings
from iza.kernel.tokens import TokenInfo
from iza.memory._port import MemoryStore
from iza.memory._records import MemoryRecord, SearchQuery
from iza.web.auth import api_user, page_user
from iza.web.templating import templates

__all__ = ["router"]

router = APIRouter()
_EMBEDDERS: dict[str, Any] = {}


def _store(settings: Settings) -> MemoryStore:
    from iza.memory._factory import default_embedder, open_store

    key = settings.get_str("memory.embedder")
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = default_embedder(settings)
    return open_store(settings, embedder=_EMBEDDERS[key])


def _recent(store: MemoryStore, stats: dict[str, Any], limit: int = 15) -> list[MemoryRecord]:
    spaces = sorted(stats["namespaces"].items(), key=lambda kv: kv[1]["last_write"] or "", reverse=True)
    recs: list[MemoryRecord] = []
    for ns, _ in spaces[:limit]:
        recs += store.list(ns, limit=limit)
    return sorted(recs, key=lambda r: r.updated_at or r.created_at, reverse=True)[:limit]


def _mail(store: MemoryStore, stats: dict[str, Any], spaces: int = 10, limit: int = 50) -> list[MemoryRecord]:
    """Open messages of the ``mail`` mailbox and of the most recently written namespaces.

    Agents keep each mission's mail in the mission's namespace (``mission:<id>``), so looking at
    ``mail`` alone would hide them; the newest namespaces are where current missions talk.
    """
    recent = sorted(stats["namespaces"].items(), key=lambda kv: kv[1]["last_write"] or "", reverse=True)
    names = ["mail"] if "mail" in stats["namespaces"] else []
    names += [ns for ns, _ in recent[:spaces] if ns != "mail"]
    msgs: list[MemoryRecord] = []
    for ns in names:
        msgs += [m for m in store.list(ns, kind="message", limit=limit) if not m.metadata.get("acked_at")]
    return sorted(msgs, key=lambda m: m.created_at, reverse=True)[:limit]


@router.get("/memory", response_class=HTMLResponse, include_in_schema=False)
def memory_page(
    request: Request,
    user: Annotated[TokenInfo, Depends(page_user)],
    q: str = "",
    namespace: str = "",
    k: int = 10,
) -> Response:
    store = _store(request.app.state.settings)
    try:
        stats = store.stats()
        namespace = namespace or next(iter(stats["namespaces"]), "default")
        hits = store.search(SearchQuery(namespace=namespace, text=q, k=k)) if q.strip() else []
        context = {"user": user, "active": "/memory", "stats": stats, "q": q, "namespace": namespace,
                   "hits": hits, "recent": _recent(store, stats), "mail": _mail(store, stats)}
    finally:
        store.close()
    return templates.TemplateResponse(request, "memory.html", context)


@router.get("/api/v1/memory/stats", tags=["memory"])
def api_stats(request: Request, _user: Annotated[TokenInfo, Depends(api_user)],
              namespace: str | None = None) -> dict[str, Any]:
    """Counts per namespace, embedding model, file size."""
    store = _store(request.app.state.settings)
    try:
        return store.stats(namespace)
    finally:
        store.close()


@router.get("/api/v1/memory/search", tags=["memory"])
def api_search(request: Request, _user: Annotated[TokenInfo, Depends(api_user)],
               namespace: str, q: Annotated[str, Query(min_length=1)], k: int = 10) -> list[dict[str, Any]]:
    """Hybrid search within one namespace, best first."""
    store = _store(request.app.state.settings)
    try:
        return [h.as_dict() for h in store.search(SearchQuery(namespace=namespace, text=q, k=k))]
    finally:
        store.close()
