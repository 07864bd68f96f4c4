"""Tools: declarations validated at construction; failures become observations; bugs raise."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from iza.agents import (
    StoreMemory,
    Tool,
    ToolContext,
    ToolRegistry,
    ToolSpecError,
    builtin_tools,
    register_workflow_runner,
)
from iza.kernel.store import Store

ALL = [t.name for t in builtin_tools()]
SCHEMA = {"type": "object", "properties": {"x": {"type": "integer", "description": "a number"}},
          "required": ["x"]}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "Bad Name"}, "snake_case"),
    ({"description": " "}, "needs a description"),
    ({"inputs": {"type": "array"}}, "type 'object'"),
    ({"inputs": {"type": "object", "properties": {"x": {"type": "integer"}}}}, "needs a description"),
    ({"inputs": {"type": "object", "properties": {}, "required": ["y"]}}, "not declared"),
    ({"permissions": frozenset({"root"})}, "unknown permission"),
])
def test_bad_declarations_fail_at_construction(kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"name": "double", "description": "Double x.", "inputs": SCHEMA,
                            "permissions": frozenset(), "func": lambda ctx, a: a["x"] * 2}
    with pytest.raises(ToolSpecError, match=message):
        Tool(**{**base, **kwargs})


@pytest.fixture
def ctx(tmp_path: Path, sqlite_store: Store) -> ToolContext:
    return ToolContext("m-test", "m-test.1", "wkr-apps-1", tmp_path / "ws", StoreMemory(sqlite_store),
                       ("127.0.0.1",), 5.0)


def test_bad_arguments_are_observations(ctx: ToolContext) -> None:
    reg = ToolRegistry([Tool("double", "Double x.", SCHEMA, frozenset(), lambda c, a: a["x"] * 2)])
    assert reg.call("double", ctx, {"x": 4}, ["double"]).output == 8
    bad = reg.call("double", ctx, {"x": "four", "y": 1}, ["double"])
    assert not bad.ok and "must be integer" in (bad.error or "")
    assert "unexpected argument 'y'" in (bad.error or "")
    assert "not allowed" in (reg.call("double", ctx, {"x": 1}, []).error or "")
    assert bad.observation().startswith("ERROR:")


def test_our_bugs_raise(ctx: ToolContext) -> None:
    reg = ToolRegistry([Tool("broken", "Has a bug.", SCHEMA, frozenset(), lambda c, a: 1 / 0)])
    with pytest.raises(ZeroDivisionError):
        reg.call("broken", ctx, {"x": 1}, ["broken"])


def test_write_file_stays_in_workspace(ctx: ToolContext) -> None:
    reg = ToolRegistry(builtin_tools())
    ok = reg.call("write_file", ctx, {"path": "a/b.md", "content": "hi"}, ALL)
    assert ok.ok and (ctx.workspace / "a" / "b.md").read_text() == "hi"
    for path in ("../escape.md", "/etc/passwd", "a/../../x"):
        res = reg.call("write_file", ctx, {"path": path, "content": "x"}, ALL)
        assert not res.ok and "workspace" in (res.error or "")
    assert not (ctx.workspace.parent / "escape.md").exists()
    (ctx.workspace / "link").symlink_to(ctx.workspace.parent)
    res = reg.call("write_file", ctx, {"path": "link/out.md", "content": "x"}, ALL)
    assert not res.ok and "leaves the mission workspace" in (res.error or "")


def test_memory_and_messages_carry_provenance(ctx: ToolContext) -> None:
    reg = ToolRegistry(builtin_tools())
    reg.call("memory_add", ctx, {"text": "customer wants dark mode", "kind": "decision"}, ALL)
    hits = reg.call("memory_search", ctx, {"query": "dark mode"}, ALL).output
    assert hits[0]["text"] == "customer wants dark mode"
    assert (hits[0]["agent"], hits[0]["task"]) == ("wkr-apps-1", "m-test.1")
    reg.call("send_message", ctx, {"to": "mgr-apps", "body": "done"}, ALL)
    inbox = ctx.memory.inbox("mgr-apps", "m-test")
    assert [(m.sender, m.body) for m in inbox] == [("wkr-apps-1", "done")]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        code = 404 if self.path == "/missing" else 200
        body = b"hello from the allowlisted host"
        self.send_response(code)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_http_get_allowlist(ctx: ToolContext, server: str) -> None:
    reg = ToolRegistry(builtin_tools())
    ok = reg.call("http_get", ctx, {"url": server + "/page"}, ALL)
    assert ok.ok and ok.output["text"] == "hello from the allowlisted host"
    missing = reg.call("http_get", ctx, {"url": server + "/missing"}, ALL)
    assert not missing.ok and "HTTP 404" in (missing.error or "")
    other = reg.call("http_get", ctx, {"url": "http://example.com/"}, ALL)
    assert not other.ok and "not on the HTTP allowlist" in (other.error or "")
    scheme = reg.call("http_get", ctx, {"url": "file:///etc/passwd"}, ALL)
    assert not scheme.ok


def test_run_workflow_uses_the_registered_runner(ctx: ToolContext) -> None:
    reg = ToolRegistry(builtin_tools())
    missing = reg.call("run_workflow", ctx, {"workflow": "onboard"}, ALL)
    assert not missing.ok and "no workflow engine" in (missing.error or "")
    register_workflow_runner(lambda wid, inputs: {"workflow": wid, "echo": inputs})
    try:
        res = reg.call("run_workflow", ctx, {"workflow": "onboard", "inputs": {"a": 1}}, ALL)
    finally:
        register_workflow_runner(None)
    assert res.output == {"workflow": "onboard", "echo": {"a": 1}}
