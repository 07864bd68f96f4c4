"""n8n's In-Memory Vector Store on ``iza.memory``, with its loader, splitter and embeddings.

``vectorStoreInMemory`` keeps documents under a ``memoryKey``; in IZA that key is the memory
namespace ``wf-vectors:<memoryKey>``, so what one workflow inserts another can load, and it
survives restarts (n8n's store lives only in the process). The vectors come from the connected
embeddings sub-node's model through ``iza.llm.embed`` — an :class:`Embedder` adapter handed to
the memory store — so retrieval ranks with the model the workflow names, and ``iza.memory``
refuses to mix two models in one namespace.

Modes: ``insert`` (documents from the ``ai_document`` loader, split by its ``ai_textSplitter``
or the simple 1000/200 splitter; ``clearStore`` empties the key first; emits one item per
chunk ``{pageContent, metadata}``), ``load`` (``prompt``, ``topK`` 4; emits ``{document,
score}``) and ``retrieve-as-tool`` (an agent tool answering with the top documents).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from iza.errors import IzaError
from iza.llm import CallContext
from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError, UnsupportedNode
from iza.workflows._model import Node
from iza.workflows._services import services_for
from iza.workflows.nodes._ai_call import no_provider_error, run_ref
from iza.workflows.nodes._ai_parts import LC, sub_context, sub_nodes
from iza.workflows.nodes._ai_tools import TOOL_NODES, AgentTool
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes.langchain_chains import chunks, document_text

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from iza.memory import MemoryStore

__all__ = ["EMBEDDING_NODES", "LLMEmbedder", "split_text"]

#: Embeddings node type → (IZA provider, model parameter, n8n's default model).
EMBEDDING_NODES: dict[str, tuple[str, str, str]] = {
    LC + "embeddingsOpenAi": ("openai", "model", "text-embedding-3-small"),
    LC + "embeddingsGoogleGemini": ("google", "modelName", "models/text-embedding-004"),
    LC + "embeddingsOllama": ("compat", "model", "nomic-embed-text"),
}
_SPLITTERS = (LC + "textSplitterRecursiveCharacterTextSplitter", LC + "textSplitterCharacterTextSplitter",
              LC + "textSplitterTokenSplitter")
_LOADERS = (LC + "documentDefaultDataLoader",)


class LLMEmbedder:
    """``iza.memory``'s embedder port over ``iza.llm.embed``: unit vectors from a named model."""

    def __init__(self, ctx: NodeContext, ref: str) -> None:
        self.ctx = ctx
        self.ref = ref
        self.name = f"llm:{ref}"
        self.dim = 0  # known after the first call; the store reads it only after encoding

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        llm = services_for(self.ctx).get_llm()
        if not llm.available():
            raise no_provider_error(self.ctx.node.name)
        result = llm.embed(texts, model=self.ref, context=CallContext(workflow_run=run_ref(self.ctx)))
        arr = np.asarray(result.vectors, dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        unit = (arr / np.where(norms == 0, 1, norms)).astype(np.float32)
        self.dim = int(unit.shape[1])
        return unit


@register(*EMBEDDING_NODES, *_SPLITTERS, *_LOADERS)
def vector_sub_node(ctx: NodeContext) -> Outputs:
    raise ctx.fail("this is a sub-node: it only configures the vector store it is connected to",
                   fix="Connect it to a vector store through its embedding, document or text "
                   "splitter connection.")


def _one(ctx: NodeContext, ctype: str, of: Node | None, allowed: Sequence[str], what: str) -> Node:
    found = sub_nodes(ctx, ctype, of)
    if not found:
        raise NodeError((of or ctx.node).name, f"no {what} is connected",
                        fix=f"Connect a {what} sub-node through its {ctype} connection.")
    if found[0].type not in allowed:
        raise UnsupportedNode(found[0].name, found[0].type)
    return found[0]


def _embedding_ref(ctx: NodeContext, of: Node | None = None) -> str:
    """``provider:model`` of the embeddings sub-node connected to the store (or to ``of``)."""
    node = _one(ctx, "ai_embedding", of, list(EMBEDDING_NODES), "embeddings model")
    provider, param, default = EMBEDDING_NODES[node.type]
    value = sub_context(ctx, node).param(param, default=default) or default
    model = str(value.get("value") if isinstance(value, dict) else value).removeprefix("models/")
    return f"{provider}:{model}"


def split_text(ctx: NodeContext, splitter: Node | None, text: str, item: int) -> list[str]:
    """n8n's splitters: recursive (1000/0), character (on ``separator``), token (≈4 chars each)."""
    if splitter is None:
        return chunks(text, 1000, 200)
    sub = sub_context(ctx, splitter)
    size = int(sub.param("chunkSize", item, default=1000) or 1000)
    overlap = int(sub.param("chunkOverlap", item, default=0) or 0)
    if splitter.type.endswith("TokenSplitter"):
        return chunks(text, size * 4, overlap * 4)  # no tokenizer here: ~4 characters per token
    if splitter.type == LC + "textSplitterCharacterTextSplitter":
        sep = str(sub.param("separator", item, default="\n\n") or "\n\n")
        pieces, out, current = text.split(sep), [], ""
        for piece in pieces:
            candidate = f"{current}{sep}{piece}" if current else piece
            if current and len(candidate) > size:
                out.append(current)
                current = piece
            else:
                current = candidate
        return [c for c in [*out, current] if c.strip()] or [text]
    return chunks(text, size, overlap)


def _documents(ctx: NodeContext) -> list[tuple[str, dict[str, Any], int]]:
    loader = _one(ctx, "ai_document", None, _LOADERS, "document loader")
    sub = sub_context(ctx, loader)
    splitters = sub_nodes(ctx, "ai_textSplitter", loader)
    if splitters and splitters[0].type not in _SPLITTERS:
        raise UnsupportedNode(splitters[0].name, splitters[0].type)
    docs: list[tuple[str, dict[str, Any], int]] = []
    for i, item in enumerate(ctx.items):
        if sub.param("dataType", i, default="json") != "json":
            raise NodeError(loader.name, "binary documents are not supported yet", parameter="dataType",
                            fix="Extract the text first and load it as JSON.")
        if sub.param("jsonMode", i, default="allInputData") == "expressionData":
            text = document_text(sub.param("jsonData", i, default=""))
        else:
            text = document_text(item.get("json"))
        meta = {str(m.get("name")): m.get("value")
                for m in sub.param("options.metadata.metadataValues", i, default=[]) or [] if m.get("name")}
        splitter = splitters[0] if splitters else None
        if splitter is None and sub.param("textSplittingMode", i, default="simple") == "custom":
            raise NodeError(loader.name, "no text splitter is connected", fix="Connect a text splitter.")
        docs += [(part, meta, i) for part in split_text(ctx, splitter, text, i) if part.strip()]
    return docs


def _store(ctx: NodeContext, embedder: LLMEmbedder) -> MemoryStore:
    from iza.memory import open_store

    return open_store(services_for(ctx).settings, embedder=embedder)


def _namespace(ctx: NodeContext, node: Node | None = None) -> str:
    key = sub_context(ctx, node).param("memoryKey", default="vector_store_key") if node else \
        ctx.param("memoryKey", default="vector_store_key")
    return f"wf-vectors:{key or 'vector_store_key'}"


def _search(ctx: NodeContext, store: MemoryStore, namespace: str, query: str, k: int) -> list[dict[str, Any]]:
    from iza.memory import SearchQuery

    hits = store.search(SearchQuery(namespace=namespace, text=query, k=k))
    return [{"document": {"pageContent": h.record.text, "metadata": dict(h.record.metadata)},
             "score": round(h.score, 6)} for h in hits]


@register(LC + "vectorStoreInMemory")
def vector_store_in_memory(ctx: NodeContext) -> Outputs:
    from iza.memory import MemoryRecord

    mode = ctx.param("mode", default="retrieve")
    if mode not in ("insert", "load"):
        raise ctx.fail(f"mode {mode!r} runs as a sub-node", fix="Connect it to an AI Agent as a tool "
                       "('retrieve-as-tool'), or use 'insert' or 'load' on the main path.")
    namespace = _namespace(ctx)
    store = _store(ctx, LLMEmbedder(ctx, _embedding_ref(ctx)))
    try:
        if mode == "insert":
            docs = _documents(ctx)
            if ctx.param("clearStore", default=False):
                store.forget(namespace)
            provenance = {"workflow_run": run_ref(ctx), "node": ctx.node.name, "source": "workflow"}
            store.add([MemoryRecord(namespace, text, kind="document", metadata=meta, provenance=provenance)
                       for text, meta, _ in docs])
            return [[{"json": {"pageContent": text, "metadata": meta}, "pairedItem": {"item": i}}
                     for text, meta, i in docs]]
        out: list[dict[str, Any]] = []
        for i in range(len(ctx.items)):
            query = str(ctx.param("prompt", i, default="") or "")
            if not query.strip():
                raise ctx.fail("the prompt is empty", item=i, fix="Set 'prompt' to what to look for.")
            k = int(ctx.param("topK", i, default=4) or 4)
            hits = _search(ctx, store, namespace, query, k)
            out += [{"json": hit, "pairedItem": {"item": i}} for hit in hits]
        return [out]
    except IzaError as exc:
        if isinstance(exc, NodeError):
            raise
        raise NodeError(ctx.node.name, exc.message, fix=exc.fix, description=exc.fix,
                        name=type(exc).__name__) from exc
    finally:
        store.close()


def _vector_tool(ctx: NodeContext, node: Node) -> AgentTool:
    from iza.llm import Tool

    sub = sub_context(ctx, node)
    if sub.param("mode", default="retrieve") != "retrieve-as-tool":
        raise NodeError(node.name, "only 'retrieve-as-tool' mode can be an agent tool", parameter="mode",
                        fix="Set the vector store's mode to 'Retrieve Documents (As Tool for AI Agent)'.")
    name = str(sub.param("toolName", default="") or "vector_store")
    description = str(sub.param("toolDescription", default="") or f"Search {name}")
    k = int(sub.param("topK", default=4) or 4)
    namespace = _namespace(ctx, node)
    ref = _embedding_ref(ctx, node)

    def run(args: dict[str, Any]) -> str:
        store = _store(ctx, LLMEmbedder(ctx, ref))
        try:
            hits = _search(ctx, store, namespace, str(args.get("input") or args.get("query") or ""), k)
        finally:
            store.close()
        return json.dumps([h["document"] for h in hits], default=str)

    schema = {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}
    return AgentTool(node.name, Tool(name, description, schema), run)


TOOL_NODES[LC + "vectorStoreInMemory"] = _vector_tool
