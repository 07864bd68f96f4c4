"""The built-in tools: memory search/add, send message, run workflow, HTTP GET, write file.

Each confines itself to what :class:`~iza.agents.ToolContext` grants: memory and messages stay in
the mission's namespace, HTTP goes only to hosts on ``agents.http_allowlist`` (redirects are not
followed, since a redirect could leave the allowlist), files are written only inside the
mission's workspace folder. ``run_workflow`` calls whatever runner the workflows layer registered
with :func:`register_workflow_runner`; until one is, it tells the agent so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from iza.agents._errors import ToolError
from iza.agents._memory import mission_namespace
from iza.agents._ports import MailMessage, MemoryRecord
from iza.agents._tools import Tool, ToolContext, ToolRegistry

__all__ = ["builtin_tools", "default_registry", "register_workflow_runner"]

logger = logging.getLogger(__name__)

WorkflowRunner = Callable[[str, dict[str, Any]], dict[str, Any]]
_workflow_runner: list[WorkflowRunner] = []
_runner_lock = threading.Lock()
_MAX_FILE = 1_000_000


def register_workflow_runner(runner: WorkflowRunner | None) -> None:
    """The workflows layer installs its runner here (``None`` removes it)."""
    with _runner_lock:
        _workflow_runner[:] = [runner] if runner is not None else []


def _s(desc: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": desc, **extra}


def _memory_search(ctx: ToolContext, args: dict[str, Any]) -> Any:
    hits = ctx.memory.search(mission_namespace(ctx.mission_id), args["query"], int(args.get("limit", 5)))
    return [{"text": h.text, "kind": h.kind, "agent": h.agent_id, "task": h.task_id,
             "score": round(h.score, 3)} for h in hits]


def _memory_add(ctx: ToolContext, args: dict[str, Any]) -> Any:
    rid = ctx.memory.add(MemoryRecord(mission_namespace(ctx.mission_id), args["text"],
                                      args.get("kind", "note"), ctx.mission_id, ctx.agent_id,
                                      ctx.task_id))
    return {"id": rid}


def _send_message(ctx: ToolContext, args: dict[str, Any]) -> Any:
    mid = ctx.memory.send(MailMessage(ctx.agent_id, args["to"], args["body"], ctx.mission_id,
                                      ctx.task_id))
    return {"id": mid, "to": args["to"]}


def _run_workflow(ctx: ToolContext, args: dict[str, Any]) -> Any:
    with _runner_lock:
        runner = _workflow_runner[0] if _workflow_runner else None
    if runner is None:
        raise ToolError("no workflow engine is installed in this build, so workflows cannot run")
    return runner(args["workflow"], dict(args.get("inputs", {})))


def _allowed(url: str, allowlist: tuple[str, ...]) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return any(entry.lower() in (host, f"{host}:{port}") for entry in allowlist)


def _http_get(ctx: ToolContext, args: dict[str, Any]) -> Any:
    import httpx

    url = args["url"]
    if not _allowed(url, ctx.http_allowlist):
        raise ToolError(f"{url} is not on the HTTP allowlist (agents.http_allowlist: "
                        f"{', '.join(ctx.http_allowlist) or 'empty'})")
    try:
        resp = httpx.get(url, timeout=ctx.http_timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        logger.info("http_get %s failed: %s", url, exc)
        raise ToolError(f"GET {url} failed: {exc}") from exc
    logger.info("http_get %s -> %s", url, resp.status_code)
    if resp.status_code >= 400:
        raise ToolError(f"GET {url} answered HTTP {resp.status_code}")
    return {"status": resp.status_code, "content_type": resp.headers.get("content-type", ""),
            "text": resp.text[:4000]}


def _write_file(ctx: ToolContext, args: dict[str, Any]) -> Any:
    rel = Path(args["path"])
    if rel.is_absolute() or ".." in rel.parts:
        raise ToolError(f"path {args['path']!r} must be relative and stay inside the workspace")
    root = ctx.workspace.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root):
        raise ToolError(f"path {args['path']!r} leaves the mission workspace")
    content: str = args["content"]
    if len(content.encode()) > _MAX_FILE:
        raise ToolError(f"content is larger than {_MAX_FILE} bytes")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content, encoding="utf-8")
    return {"path": str(rel), "bytes": len(content.encode())}


def builtin_tools() -> list[Tool]:
    obj = "object"
    return [
        Tool("memory_search", "Search what this mission's agents have recorded.",
             {"type": obj, "properties": {"query": _s("words to look for"),
                                          "limit": {"type": "integer", "description": "max results"}},
              "required": ["query"]}, frozenset({"memory.read"}), _memory_search),
        Tool("memory_add", "Record a result or note in the mission's shared memory.",
             {"type": obj, "properties": {"text": _s("what to record"),
                                          "kind": _s("a label such as note, decision, result")},
              "required": ["text"]}, frozenset({"memory.write"}), _memory_add),
        Tool("send_message", "Send a message to another agent's mailbox.",
             {"type": obj, "properties": {"to": _s("recipient agent id"), "body": _s("message text")},
              "required": ["to", "body"]}, frozenset({"messages.send"}), _send_message),
        Tool("run_workflow", "Run a workflow by id with inputs and return its outputs.",
             {"type": obj, "properties": {"workflow": _s("workflow id"),
                                          "inputs": {"type": "object", "description": "inputs"}},
              "required": ["workflow"]}, frozenset({"workflows.run"}), _run_workflow),
        Tool("http_get", "Fetch a URL from an allowlisted host (GET only, no redirects).",
             {"type": obj, "properties": {"url": _s("http(s) URL on an allowlisted host")},
              "required": ["url"]}, frozenset({"network.http"}), _http_get),
        Tool("write_file", "Write a text file inside this mission's workspace folder.",
             {"type": obj, "properties": {"path": _s("relative path inside the workspace"),
                                          "content": _s("file content")},
              "required": ["path", "content"]}, frozenset({"files.write"}), _write_file),
    ]


_DEFAULT: list[ToolRegistry] = []


def default_registry() -> ToolRegistry:
    """The process-wide registry, holding the built-ins; other layers register into it."""
    with _runner_lock:
        if not _DEFAULT:
            _DEFAULT.append(ToolRegistry(builtin_tools()))
        return _DEFAULT[0]
