"""n8n's In-Memory Vector Store on iza.memory, embedded through iza.llm (fake OpenAI server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wf_helpers import node
from wfai_helpers import fake_provider, lc, output, service, settings_for, workflow

from iza.llm.fakeservers import Reply
from iza.workflows.nodes.langchain_vectors import split_text

DOCS = ("return [{title: 'Bakery opening', body: 'The bakery opens at seven every morning.'},"
        " {title: 'Parking', body: 'Parking is free behind the shop after six.'}]")


def _insert_wf(extra_loader: dict[str, Any] | None = None) -> dict[str, Any]:
    return workflow(
        [node("Start", "manualTrigger"), node("Docs", "code", {"jsCode": DOCS}, version=2),
         lc("Insert", "vectorStoreInMemory", {"mode": "insert", "memoryKey": "shop", "clearStore": True})],
        [(lc("Embeddings", "embeddingsOpenAi", {"options": {}}, version=1.2), "ai_embedding", "Insert"),
         (lc("Loader", "documentDefaultDataLoader", {"options": {"metadata": {"metadataValues": [
             {"name": "title", "value": "={{ $json.title }}"}]}}, **(extra_loader or {})}),
          "ai_document", "Insert"),
         (lc("Splitter", "textSplitterRecursiveCharacterTextSplitter", {"chunkSize": 500}),
          "ai_textSplitter", "Loader")],
        name="insert")


def test_insert_then_load_uses_the_embeddings_model(tmp_path: Path) -> None:
    load = workflow(
        [node("Start", "manualTrigger"),
         lc("Load", "vectorStoreInMemory", {"mode": "load", "memoryKey": "shop", "topK": 1,
                                            "prompt": "when does the bakery open"})],
        [(lc("Embeddings", "embeddingsOpenAi", {"model": "text-embedding-3-small"}), "ai_embedding", "Load")],
        name="load")
    with fake_provider("openai") as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        inserted = svc.run(svc.parse(_insert_wf()))[1]
        loaded = svc.run(svc.parse(load))[1]
        again = svc.run(svc.parse(_insert_wf()))[1]  # clearStore: the key holds two documents again
        load["nodes"][1]["parameters"]["topK"] = 10
        count = svc.run(svc.parse(load))[1]
        store.dispose()
    assert inserted.status == "success", inserted.error
    docs = output(inserted, "Insert")
    assert [d["metadata"]["title"] for d in docs] == ["Bakery opening", "Parking"]
    assert docs[0]["pageContent"] == "Bakery opening\nThe bakery opens at seven every morning."
    hits = output(loaded, "Load")
    assert len(hits) == 1 and hits[0]["document"]["metadata"] == {"title": "Bakery opening"}
    embeds = [r for r in server.requests if r.path.endswith("/embeddings")]
    assert embeds and all(r.body["model"] == "text-embedding-3-small" for r in embeds)
    assert again.status == "success" and len(output(count, "Load")) == 2


def test_agent_retrieves_from_the_vector_store_as_a_tool(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        if "messages" not in body:  # an embeddings request: the server computes the vectors
            return Reply()
        tools = [m for m in body["messages"] if m.get("role") == "tool"]
        if not tools:
            assert body["tools"][0]["function"]["name"] == "shop_facts"
            return Reply(tool_calls=[("shop_facts", {"input": "parking"})])
        docs = json.loads(tools[-1]["content"])
        return Reply(text=f"{len(docs)} doc(s): {docs[0]['pageContent']}")

    agent = workflow(
        [node("Start", "manualTrigger"),
         lc("Agent", "agent", {"promptType": "define", "text": "Where can I park?"}, version=1.7)],
        [(lc("Model", "lmChatOpenAi", {}), "ai_languageModel", "Agent"),
         (lc("Shop", "vectorStoreInMemory", {"mode": "retrieve-as-tool", "memoryKey": "shop", "topK": 1,
                                             "toolName": "shop_facts", "toolDescription": "Shop facts"}),
          "ai_tool", "Agent"),
         (lc("Embeddings", "embeddingsOpenAi", {}), "ai_embedding", "Shop")],
        name="agent")
    with fake_provider("openai", script) as (_server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        assert svc.run(svc.parse(_insert_wf()))[1].status == "success"
        result = svc.run(svc.parse(agent))[1]
        store.dispose()
    assert result.status == "success", result.error
    assert output(result, "Agent")[0]["output"].startswith("1 doc(s): ")


def test_vector_store_without_provider_fails_clearly(tmp_path: Path) -> None:
    svc, store = service(settings_for(tmp_path / "home", {}))
    result = svc.run(svc.parse(_insert_wf()))[1]
    store.dispose()
    assert result.status == "error" and result.error is not None
    assert "no LLM provider is configured" in result.error["message"]


def test_splitters() -> None:
    from iza.workflows import Execution, parse_workflow
    from iza.workflows._context import NodeContext

    wf = parse_workflow(workflow([node("Start", "manualTrigger")], [
        (lc("Char", "textSplitterCharacterTextSplitter", {"separator": "|", "chunkSize": 7}),
         "ai_x", "Start"),
        (lc("Tok", "textSplitterTokenSplitter", {"chunkSize": 3, "chunkOverlap": 0}), "ai_x", "Start")]))
    ctx = NodeContext(wf.nodes["Start"], Execution(wf), [[{"json": {}}]])
    assert split_text(ctx, wf.nodes["Char"], "aa|bb|cc|dd", 0) == ["aa|bb", "cc|dd"]
    parts = split_text(ctx, wf.nodes["Tok"], "one two three four five six", 0)
    assert all(len(p) <= 12 for p in parts)
    assert " ".join(parts).split() == "one two three four five six".split()
