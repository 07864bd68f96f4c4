"""n8n's AI sub-nodes read as configuration: the model, the window memory and the output parser.

In n8n a root node (AI Agent, Basic LLM Chain) does not receive its model through ``main``:
sub-nodes point *at* it through typed connections (``ai_languageModel``, ``ai_memory``,
``ai_outputParser``, ``ai_tool``), written on the sub-node's side of ``connections``::

    "OpenAI Chat Model": {"ai_languageModel": [[{"node": "AI Agent", "type": "ai_languageModel",
                                                  "index": 0}]]}

Sub-nodes never run on their own. The root collects them here, evaluates their parameters
against *its own* input item (so ``{{ $json.sessionId }}`` in a memory node reads the chat
trigger's item, as in n8n) and turns them into plain values the root hands to ``iza.llm`` and
``iza.memory``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError, UnsupportedNode
from iza.workflows._model import Node

if TYPE_CHECKING:
    from iza.memory import MemoryStore

__all__ = [
    "LC",
    "MODEL_NODES",
    "ModelSpec",
    "VENDOR_URLS",
    "WindowMemory",
    "model_spec",
    "output_schema",
    "schema_from_example",
    "sub_context",
    "sub_nodes",
    "window_memory",
]

LC = "@n8n/n8n-nodes-langchain."

#: Chat-model node type → (IZA provider, model parameter, n8n's default model, max-tokens option).
#: Ollama speaks the OpenAI wire format, so it maps onto IZA's OpenAI-compatible provider.
MODEL_NODES: dict[str, tuple[str, str, str, str]] = {
    LC + "lmChatOpenAi": ("openai", "model", "gpt-4o-mini", "maxTokens"),
    LC + "lmOpenAi": ("openai", "model", "gpt-3.5-turbo-instruct", "maxTokens"),
    LC + "lmChatAnthropic": ("anthropic", "model", "claude-3-5-sonnet-20240620", "maxTokensToSample"),
    LC + "lmChatGoogleGemini": ("google", "modelName", "models/gemini-1.5-flash", "maxOutputTokens"),
    LC + "lmChatOllama": ("compat", "model", "llama3.2", "numPredict"),
    LC + "lmChatGroq": ("compat", "model", "llama3-8b-8192", "maxTokensToSample"),
    LC + "lmChatDeepSeek": ("compat", "model", "deepseek-chat", "maxTokens"),
    LC + "lmChatOpenRouter": ("compat", "model", "openai/gpt-4.1-mini", "maxTokens"),
    LC + "lmChatMistralCloud": ("compat", "model", "mistral-small", "maxTokens"),
    LC + "lmChatXAiGrok": ("compat", "model", "grok-2-1212", "maxTokens"),
}

#: Hosted OpenAI-compatible vendors: usable through the ``compat`` provider when
#: ``IZA_OPENAI_COMPAT_BASE_URL`` points at the vendor (checked, never assumed).
VENDOR_URLS: dict[str, str] = {
    LC + "lmChatGroq": "https://api.groq.com/openai/v1",
    LC + "lmChatDeepSeek": "https://api.deepseek.com/v1",
    LC + "lmChatOpenRouter": "https://openrouter.ai/api/v1",
    LC + "lmChatMistralCloud": "https://api.mistral.ai/v1",
    LC + "lmChatXAiGrok": "https://api.x.ai/v1",
}


def sub_nodes(ctx: NodeContext, conn_type: str, of: Node | None = None) -> list[Node]:
    """Enabled nodes connected to this node (or to ``of``, a sub-node of it) through
    ``conn_type`` (``ai_languageModel`` …)."""
    wf = ctx.execution.workflow
    target = (of or ctx.node).name
    found: list[Node] = []
    for src, by_type in wf.connections.items():
        if not isinstance(by_type, dict):
            continue
        for outs in by_type.get(conn_type) or []:
            for dest in outs or []:
                if isinstance(dest, dict) and dest.get("node") == target and src in wf.nodes:
                    node = wf.nodes[src]
                    if not node.disabled and node not in found:
                        found.append(node)
    return found


def sub_context(ctx: NodeContext, node: Node) -> NodeContext:
    """A context for reading ``node``'s parameters with the root's items, run and lineage."""
    return NodeContext(node, ctx.execution, ctx.inputs, ctx.run_index, ctx.source)


# ---- the model ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSpec:
    """Which model a root node calls, as ``iza.llm`` names it (``provider:model``)."""

    node: str
    provider: str
    model: str
    temperature: float | None = None
    max_tokens: int | None = None

    @property
    def ref(self) -> str:
        return f"{self.provider}:{self.model}"


def _model_name(value: Any) -> str:
    """A model parameter is a string or a resource locator ``{"__rl": true, "value": …}``."""
    if isinstance(value, dict):
        value = value.get("value")
    text = str(value or "").strip()
    return text.removeprefix("models/")


def model_spec(ctx: NodeContext, item: int = 0) -> ModelSpec:
    """The one language model connected to the root node (n8n allows exactly one)."""
    models = sub_nodes(ctx, "ai_languageModel")
    if not models:
        raise NodeError(
            ctx.node.name,
            "no chat model is connected",
            fix="Connect a chat model sub-node (e.g. OpenAI Chat Model) to this node's Model input.",
        )
    node = models[0]
    if node.type not in MODEL_NODES:
        raise UnsupportedNode(node.name, node.type)
    provider, param, default, max_key = MODEL_NODES[node.type]
    sub = sub_context(ctx, node)
    name = _model_name(sub.param(param, item, default=default)) or _model_name(default)
    options = sub.param("options", item, default={}) or {}
    if isinstance(options, dict) and options.get("baseURL") and provider == "openai":
        provider = _compat_for(ctx, node, str(options["baseURL"]))
    elif node.type in VENDOR_URLS:
        provider = _compat_for(ctx, node, VENDOR_URLS[node.type])
    temperature = options.get("temperature") if isinstance(options, dict) else None
    max_tokens = options.get(max_key) if isinstance(options, dict) else None
    return ModelSpec(
        node.name,
        provider,
        name,
        float(temperature) if isinstance(temperature, int | float) else None,
        int(max_tokens) if isinstance(max_tokens, int | float) and max_tokens > 0 else None,
    )


def _compat_for(ctx: NodeContext, node: Node, url: str) -> str:
    """An OpenAI model node with a custom base URL talks to another OpenAI-compatible server;
    IZA reaches such servers through its ``compat`` provider, and only the one configured."""
    from iza.workflows._services import services_for

    def norm(u: str) -> str:
        return u.strip().rstrip("/").removesuffix("/v1")

    configured = services_for(ctx).settings.get_str("llm.openai_compat_base_url")
    if configured and norm(configured) == norm(url):
        return "compat"
    fix = (f"Set IZA_OPENAI_COMPAT_BASE_URL={url} (and IZA_OPENAI_COMPAT_API_KEY if it needs a key), "
           "or remove the base URL to use OpenAI itself.")
    raise NodeError(
        node.name,
        f"this model node sends to a custom base URL ({url}), which is not IZA's configured "
        "OpenAI-compatible server",
        parameter="options.baseURL", fix=fix, description=fix,
    )


# ---- the output parser ---------------------------------------------------------------------------
def schema_from_example(value: Any) -> dict[str, Any]:
    """A JSON schema that an example value satisfies; every property required (as in n8n)."""
    if isinstance(value, dict):
        return {
            "type": "object",
            "properties": {str(k): schema_from_example(v) for k, v in value.items()},
            "required": [str(k) for k in value],
        }
    if isinstance(value, list):
        return {"type": "array", "items": schema_from_example(value[0]) if value else {}}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int | float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    return {}


def _parse_json_param(node: Node, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise NodeError(
            node.name,
            f"the {name} is not valid JSON: {exc}",
            parameter=name,
            fix=f"Fix the JSON in the {name} of this output parser.",
        ) from None


def output_schema(ctx: NodeContext, item: int = 0) -> dict[str, Any] | None:
    """The schema the answer must match, wrapped as ``{"output": …}`` like n8n's parser, or
    ``None`` when no Structured Output Parser is connected."""
    parsers = sub_nodes(ctx, "ai_outputParser")
    if not parsers:
        return None
    node = parsers[0]
    if node.type != LC + "outputParserStructured":
        raise UnsupportedNode(node.name, node.type)
    sub = sub_context(ctx, node)
    schema_type = sub.param("schemaType", item, default="fromJson")
    if schema_type == "manual":
        inner = _parse_json_param(node, "inputSchema", sub.param("inputSchema", item, default="{}"))
    else:
        example = node.parameters.get("jsonSchemaExample", '{\n\t"some_input": "some_value"\n}')
        inner = schema_from_example(_parse_json_param(node, "jsonSchemaExample", example))
    if not isinstance(inner, dict):
        raise NodeError(node.name, "the schema must be a JSON object", fix="Give a JSON schema object.")
    inner = {k: v for k, v in inner.items() if k != "$schema"}
    return {"type": "object", "properties": {"output": inner}, "required": ["output"]}


# ---- window memory -------------------------------------------------------------------------------
@dataclass
class WindowMemory:
    """The last ``window`` exchanges of one chat session, kept in the unified memory.

    Each turn is one record (kind ``turn``, ``metadata.role`` user/assistant) in the namespace
    ``wf-chat:<workflow>:<session>``, so a session survives restarts and is visible with
    ``iza memory list``; the namespace keeps sessions (and workflows) apart.
    """

    node: str
    namespace: str
    session: str
    window: int

    def load(self, memory: MemoryStore) -> list[tuple[str, str]]:
        records = memory.list(self.namespace, kind="turn", limit=2 * self.window)
        return [(str(r.metadata.get("role", "user")), r.text) for r in reversed(records)]

    def save(self, memory: MemoryStore, user: str, assistant: str, provenance: dict[str, str]) -> None:
        from iza.memory import MemoryRecord

        now = time.time()
        memory.add(
            [
                MemoryRecord(self.namespace, user, kind="turn", metadata={"role": "user"},
                             provenance=provenance, subject=self.session, created_at=now),
                MemoryRecord(self.namespace, assistant, kind="turn", metadata={"role": "assistant"},
                             provenance=provenance, subject=self.session, created_at=now + 1e-6),
            ]
        )


def window_memory(ctx: NodeContext, item: int = 0) -> WindowMemory | None:
    """The Window Buffer Memory connected to the root, with its session key resolved."""
    nodes = sub_nodes(ctx, "ai_memory")
    if not nodes:
        return None
    node = nodes[0]
    if node.type != LC + "memoryBufferWindow":
        raise UnsupportedNode(node.name, node.type)
    sub = sub_context(ctx, node)
    if node.type_version >= 1.2:
        id_type = sub.param("sessionIdType", item, default="fromInput")
    else:
        id_type = "customKey"
    if id_type == "fromInput":
        data = (ctx.items[item].get("json") or {}) if item < len(ctx.items) else {}
        session = data.get("sessionId") if isinstance(data, dict) else None
        if session in (None, ""):
            raise NodeError(
                node.name,
                "no session ID found in the input item",
                fix="Start the workflow from a Chat Trigger (it sends sessionId), or set this "
                "memory's Session ID to 'Define below' with a key expression.",
            )
    else:
        session = sub.param("sessionKey", item, default="chat_history")
        if session in (None, ""):
            raise NodeError(node.name, "the session key is empty", parameter="sessionKey",
                            fix="Give the memory a session key (an expression such as {{ $json.userId }}).")
    window = sub.param("contextWindowLength", item, default=5)
    try:
        size = max(1, int(window))
    except (TypeError, ValueError):
        raise NodeError(node.name, f"context window length {window!r} is not a number",
                        parameter="contextWindowLength", fix="Use a whole number of exchanges.") from None
    wf = ctx.execution.workflow
    scope = wf.id or wf.name
    return WindowMemory(node.name, f"wf-chat:{scope}:{session}", str(session), size)
