"""The node registry: node type → implementation. Open, so higher layers can add their nodes.

An implementation is a function ``(ctx: NodeContext) -> list[list[item]]`` returning one list of
items per output. ``register`` accepts short names (``set``) for ``n8n-nodes-base.*`` types and
full names for anything else (``@n8n/n8n-nodes-langchain.agent``, ``iza.missionRun``). Agents,
memory and LLM nodes register themselves from their own packages when those land.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from iza.workflows._context import NodeContext

__all__ = ["NodeFn", "Outputs", "is_supported", "lookup", "register", "supported_types"]

Item = dict[str, Any]
Outputs = list[list[Item]]
#: A node returns one item list per output, or None for "no output, end this branch" (n8n's null).
NodeFn = Callable[["NodeContext"], Outputs | None]

_NODES: dict[str, NodeFn] = {}
_LOADED = False


def _full(name: str) -> str:
    return name if "." in name else f"n8n-nodes-base.{name}"


F = TypeVar("F", bound=NodeFn)


def register(*names: str) -> Callable[[F], F]:
    """Decorator: ``@register("set")`` makes the function run ``n8n-nodes-base.set`` nodes."""

    def deco(fn: F) -> F:
        for name in names:
            _NODES[_full(name)] = fn
        return fn

    return deco


def _load_builtin() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from iza.workflows.nodes import (  # noqa: F401  (importing registers the nodes)
        code,
        compare,
        core,
        dates,
        email,
        files,
        flow,
        http,
        markup,
        setnode,
        transform,
        webhook,  # noqa: F401  (Respond to Webhook, IZA Event Trigger)
        xml,
    )
    for extra in ("iza_nodes", "langchain", "langchain_chains", "langchain_vectors", "openai_legacy"):
        importlib.import_module(f"iza.workflows.nodes.{extra}")


def lookup(node_type: str) -> NodeFn | None:
    _load_builtin()
    return _NODES.get(node_type)


def is_supported(node_type: str) -> bool:
    return lookup(node_type) is not None


def supported_types() -> list[str]:
    _load_builtin()
    return sorted(_NODES)
