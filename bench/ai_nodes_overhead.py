"""What running a model call as an n8n AI node costs over calling ``iza.llm`` directly.

Against the fake OpenAI server on loopback (so the model's own latency is ~0 and only IZA's
work shows), times N repetitions of: a direct ``LLM.chat``; a persisted workflow run
``manual trigger → Basic LLM Chain + OpenAI Chat Model``; and the same with an AI Agent and a
Window Buffer Memory (history read and two turns written to ``iza.memory`` per run). Prints the
median and p90 milliseconds of each. Nothing is asserted.

Run: ``.venv/bin/python bench/ai_nodes_overhead.py [--runs 50]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iza.kernel.config import load
from iza.kernel.home import ensure_home
from iza.kernel.store import Store
from iza.llm import LLM
from iza.llm.fakeservers import FakeOpenAI
from iza.workflows.service import WorkflowService

LC = "@n8n/n8n-nodes-langchain."


def _node(name: str, type_: str, params: dict[str, Any], version: float = 1) -> dict[str, Any]:
    return {"name": name, "type": type_, "typeVersion": version, "parameters": params, "position": [0, 0]}


def _wf(root: dict[str, Any], memory: bool) -> dict[str, Any]:
    nodes = [_node("Start", "n8n-nodes-base.manualTrigger", {}), root,
             _node("Model", LC + "lmChatOpenAi", {"model": "gpt-4.1-mini"}, 1.2)]
    conns: dict[str, Any] = {
        "Start": {"main": [[{"node": root["name"], "type": "main", "index": 0}]]},
        "Model": {"ai_languageModel": [[{"node": root["name"], "type": "ai_languageModel", "index": 0}]]},
    }
    if memory:
        nodes.append(_node("Memory", LC + "memoryBufferWindow", {"contextWindowLength": 5}, 1.3))
        conns["Memory"] = {"ai_memory": [[{"node": root["name"], "type": "ai_memory", "index": 0}]]}
    return {"name": f"bench-{root['name']}", "id": f"bench-{root['name']}", "nodes": nodes,
            "connections": conns, "settings": {}}


def _time(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm up: SDK client, V8 sandbox, schema
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as server:
        home = Path(tmp) / "home"
        settings = load(home, environ={"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": server.sdk_base_url,
                                       "IZA_MEMORY_EMBEDDER": "none"})
        ensure_home(settings)
        store = Store.from_settings(settings)
        store.migrate()
        llm = LLM(settings, store=store)
        svc = WorkflowService(store, settings)
        chain = svc.parse(_wf(_node("Chain", LC + "chainLlm", {"promptType": "define", "text": "hi"}, 1.7),
                              memory=False))
        agent = svc.parse(_wf(_node("Agent", LC + "agent", {}, 1.7), memory=True))
        chat_items = [{"json": {"sessionId": "bench", "chatInput": "hello"}}]
        rows = [
            ("direct LLM.chat", _time(lambda: llm.chat("hi", model="openai:gpt-4.1-mini"), args.runs)),
            ("workflow: chainLlm", _time(lambda: svc.run(chain), args.runs)),
            ("workflow: agent + window memory", _time(lambda: svc.run(agent, items=chat_items), args.runs)),
        ]
        store.dispose()
    print(f"{'case':<34} {'median ms':>10} {'p90 ms':>8}   ({args.runs} runs, fake OpenAI on loopback)")
    for name, (med, p90) in rows:
        print(f"{name:<34} {med:>10.1f} {p90:>8.1f}")


if __name__ == "__main__":
    main()
