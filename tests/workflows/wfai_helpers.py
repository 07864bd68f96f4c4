"""Builders for AI workflows in n8n's shape: sub-nodes point at their root through ``ai_*``
connections, never through ``main``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from iza.kernel.config import Settings, load
from iza.kernel.home import ensure_home
from iza.kernel.store import Store
from iza.llm._limits import reset_states
from iza.llm.fakeservers import FakeAnthropic, FakeGoogle, FakeOpenAI, FakeServer
from iza.workflows.service import WorkflowService

LC = "@n8n/n8n-nodes-langchain."


def lc(name: str, type_: str, params: dict[str, Any] | None = None, version: float = 1) -> dict[str, Any]:
    return {"name": name, "type": LC + type_, "typeVersion": version, "parameters": params or {},
            "position": [0, 0]}


def workflow(main: list[dict[str, Any]], subs: list[tuple[dict[str, Any], str, str]] | None = None,
             *, name: str = "ai", wf_id: str | None = None) -> dict[str, Any]:
    """``main`` nodes chained in order; ``subs`` are (sub-node, connection type, root name)."""
    conns: dict[str, Any] = {
        a["name"]: {"main": [[{"node": b["name"], "type": "main", "index": 0}]]}
        for a, b in zip(main, main[1:], strict=False)
    }
    nodes = list(main)
    for sub, ctype, root in subs or []:
        nodes.append(sub)
        conns.setdefault(sub["name"], {}).setdefault(ctype, [[]])[0].append(
            {"node": root, "type": ctype, "index": 0})
    data: dict[str, Any] = {"name": name, "nodes": nodes, "connections": conns, "settings": {}}
    if wf_id:
        data["id"] = wf_id
    return data


def settings_for(home: Path, env: dict[str, str]) -> Settings:
    s = load(home, environ={"IZA_MEMORY_EMBEDDER": "none", "IZA_LLM_TIMEOUT_S": "5", **env})
    ensure_home(s)
    return s


@contextmanager
def fake_provider(kind: str, script: Any = None) -> Iterator[tuple[FakeServer, dict[str, str]]]:
    """A fake upstream on loopback and the environment that points IZA's provider at it."""
    reset_states()
    if kind == "openai":
        server: FakeServer = FakeOpenAI(script)
        env = lambda url: {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": url}  # noqa: E731
    elif kind == "anthropic":
        server = FakeAnthropic(script)
        env = lambda url: {"ANTHROPIC_API_KEY": "ak-test", "ANTHROPIC_BASE_URL": url}  # noqa: E731
    elif kind == "google":
        server = FakeGoogle(script)
        env = lambda url: {"GEMINI_API_KEY": "g-test", "IZA_LLM_GOOGLE_BASE_URL": url}  # noqa: E731
    else:
        server = FakeOpenAI(script)
        env = lambda url: {"IZA_OPENAI_COMPAT_BASE_URL": url}  # noqa: E731
    server.start()
    try:
        yield server, env(server.sdk_base_url)  # type: ignore[attr-defined]
    finally:
        server.stop()
        reset_states()


def service(settings: Settings) -> tuple[WorkflowService, Store]:
    store = Store.from_settings(settings)
    store.migrate()
    return WorkflowService(store, settings), store


def output(result: Any, node: str, run: int = 0) -> list[dict[str, Any]]:
    return [i["json"] for i in result.run_data[node][run]["data"]["main"][0]]
