"""Small workflow builders for tests."""

from __future__ import annotations

from typing import Any


def node(
    name: str, type_: str, params: dict[str, Any] | None = None, version: float = 1, **extra: Any
) -> dict[str, Any]:
    t = type_ if "." in type_ else f"n8n-nodes-base.{type_}"
    return {
        "name": name,
        "type": t,
        "typeVersion": version,
        "parameters": params or {},
        "position": [0, 0],
        **extra,
    }


def chain(*nodes: dict[str, Any], settings: dict[str, Any] | None = None, name: str = "t") -> dict[str, Any]:
    conns = {
        a["name"]: {"main": [[{"node": b["name"], "type": "main", "index": 0}]]}
        for a, b in zip(nodes, nodes[1:], strict=False)
    }
    return {"name": name, "nodes": list(nodes), "connections": conns, "settings": settings or {}}
