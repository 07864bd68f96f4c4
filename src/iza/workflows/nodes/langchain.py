"""n8n's AI nodes (``@n8n/n8n-nodes-langchain.*``) on IZA's LLM orchestrator and memory.

Root nodes — AI Agent, Basic LLM Chain, OpenAI (message a model) — run per input item: they
build the prompt as n8n does (``promptType`` auto/define, ``text``, ``options.systemMessage``,
``messages``), read their sub-nodes (model, window memory, structured output parser, tools;
see :mod:`._ai_parts`), call ``iza.llm`` and emit n8n's output shape: ``{"output": …}`` for the
agent, ``{"text": …}`` (``{"response": {"text": …}}`` before v1.6) or ``{"output": …}`` with a
parser for the chain, ``{"message": {"role", "content"}}`` for the OpenAI node.

Sub-nodes are registered too, so validation counts them as supported, but running one on its
own fails: it only configures the root it is connected to.
"""

from __future__ import annotations

import json
from typing import Any

from iza.llm import Message
from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._services import services_for
from iza.workflows.nodes._ai_call import call_model, run_ref
from iza.workflows.nodes._ai_parts import (
    LC,
    MODEL_NODES,
    WindowMemory,
    model_spec,
    output_schema,
    window_memory,
)
from iza.workflows.nodes._ai_tools import agent_tools, run_with_tools
from iza.workflows.nodes._registry import Outputs, register

__all__: list[str] = []

Item = dict[str, Any]

_SUB_NODES = (
    *MODEL_NODES,
    LC + "memoryBufferWindow",
    LC + "outputParserStructured",
)

_ROLES = {
    "SystemMessagePromptTemplate": "system",
    "AIMessagePromptTemplate": "assistant",
    "HumanMessagePromptTemplate": "user",
}


@register(*_SUB_NODES)
def sub_node(ctx: NodeContext) -> Outputs:
    raise NodeError(
        ctx.node.name,
        "this is a sub-node: it only configures the AI node it is connected to",
        fix="Connect it to an AI Agent or Basic LLM Chain through its model, memory or output "
        "parser connection, not through a main connection.",
    )


# ---- prompts -----------------------------------------------------------------------------------
def _field(ctx: NodeContext, item: int, key: str) -> Any:
    data = ctx.items[item].get("json") if item < len(ctx.items) else None
    return data.get(key) if isinstance(data, dict) else None


def _legacy_key(version: float) -> str:
    """The input field old versions read by default: ``input`` (1.0), ``chat_input`` (1.1–1.2)."""
    if version < 1.1:
        return "input"
    return "chat_input" if version < 1.3 else "chatInput"


def user_prompt(ctx: NodeContext, item: int, *, legacy_param: str, legacy_until: float) -> str:
    """The user message: n8n's ``promptType`` (auto reads ``chatInput``; define reads ``text``)."""
    version = ctx.version
    if version <= legacy_until:
        value = ctx.param(legacy_param, item, default=None)
        if value is None:
            value = _field(ctx, item, _legacy_key(version))
    elif ctx.param("promptType", item, default="auto") == "define":
        value = ctx.param("text", item, default="")
    else:
        value = _field(ctx, item, "chatInput")
        if value is None:
            raise ctx.fail(
                "No prompt specified",
                description="Expected to find the prompt in an input field called 'chatInput' "
                "(this is what the chat trigger node outputs).",
                item=item,
                fix="Start from a Chat Trigger, or set 'Source for Prompt' to 'Define below' and "
                "write the prompt in 'text'.",
            )
    text = value if isinstance(value, str) else json.dumps(value)
    if not text.strip():
        raise ctx.fail("The prompt is empty", item=item,
                       fix="Give the node a prompt (parameter 'text') or feed it a chatInput field.")
    return text


def _history(ctx: NodeContext, mem: WindowMemory | None) -> list[Message]:
    if mem is None:
        return []
    turns = mem.load(services_for(ctx).get_chat_memory())
    return [Message.assistant(t) if role == "assistant" else Message.user(t) for role, t in turns]


def _remember(ctx: NodeContext, mem: WindowMemory | None, user: str, answer: Any) -> None:
    if mem is None:
        return
    text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
    provenance = {"workflow_run": run_ref(ctx), "node": ctx.node.name, "memory_node": mem.node}
    mem.save(services_for(ctx).get_chat_memory(), user, text, provenance)


# ---- root nodes --------------------------------------------------------------------------------
@register(LC + "agent")
def agent(ctx: NodeContext) -> Outputs:
    """AI Agent: system message + window memory + user prompt → model (with tools) → output."""
    out: list[Item] = []
    for i in range(len(ctx.items)):
        spec = model_spec(ctx, i)
        schema = output_schema(ctx, i) if ctx.param("hasOutputParser", i, default=True) is not False else None
        mem = window_memory(ctx, i)
        text = user_prompt(ctx, i, legacy_param="text", legacy_until=1.2)
        options = ctx.param("options", i, default={}) or {}
        system = str(options.get("systemMessage") or "You are a helpful assistant")
        messages = [Message.system(system), *_history(ctx, mem), Message.user(text)]
        tools = agent_tools(ctx)
        max_steps = int(options.get("maxIterations") or 10)
        result = run_with_tools(ctx, messages, tools, spec, schema, max_steps, item=i)
        answer = result.parsed["output"] if schema is not None else result.content
        _remember(ctx, mem, text, answer)
        out.append({"json": {"output": answer}, "pairedItem": {"item": i}})
    return [out]


def _chain_messages(ctx: NodeContext, item: int) -> list[Message]:
    values = ctx.param("messages.messageValues", item, default=[]) or []
    messages: list[Message] = []
    for entry in values:
        if not isinstance(entry, dict):
            continue
        if entry.get("messageType", "text") != "text":
            raise ctx.fail(
                f"image prompts ({entry.get('messageType')}) are not supported yet", item=item,
                fix="Describe the image in text, or remove the image message from 'Chat Messages'.")
        role = _ROLES.get(str(entry.get("type") or "SystemMessagePromptTemplate"), "system")
        messages.append(Message(role, str(entry.get("message") or "")))  # type: ignore[arg-type]
    return messages


@register(LC + "chainLlm")
def chain_llm(ctx: NodeContext) -> Outputs:
    """Basic LLM Chain: chat messages + prompt → model → text (or parsed output)."""
    out: list[Item] = []
    for i in range(len(ctx.items)):
        spec = model_spec(ctx, i)
        schema = output_schema(ctx, i) if ctx.param("hasOutputParser", i, default=True) is not False else None
        prompt = user_prompt(ctx, i, legacy_param="prompt", legacy_until=1.3)
        messages = [*_chain_messages(ctx, i), Message.user(prompt)]
        result = call_model(ctx, messages, model=spec.ref, schema=schema,
                            temperature=spec.temperature, max_tokens=spec.max_tokens)
        if schema is not None:
            data: Item = {"output": result.parsed["output"]}
        elif ctx.version >= 1.6:
            data = {"text": result.content.strip()}
        else:
            data = {"response": {"text": result.content.strip()}}
        out.append({"json": data, "pairedItem": {"item": i}})
    return [out]


@register(LC + "openAi")
def openai_node(ctx: NodeContext) -> Outputs:
    """OpenAI → Message a Model (resource ``text``); other resources are not supported."""
    out: list[Item] = []
    for i in range(len(ctx.items)):
        resource = ctx.param("resource", i, default="text")
        operation = ctx.param("operation", i, default="message")
        if resource != "text" or operation not in ("message", "response"):
            raise ctx.fail(
                f"OpenAI resource {resource!r} / operation {operation!r} is not supported",
                item=i, fix="IZA runs the OpenAI node's 'Message a Model' (text) operation only.")
        model_value = ctx.param("modelId", i, default="gpt-4o-mini")
        model = str(model_value.get("value") if isinstance(model_value, dict) else model_value)
        messages = []
        for entry in ctx.param("messages.values", i, default=[]) or []:
            if isinstance(entry, dict):
                role = str(entry.get("role") or "user")
                messages.append(Message(role if role in ("system", "assistant") else "user",  # type: ignore[arg-type]
                                        str(entry.get("content") or "")))
        if not messages:
            raise ctx.fail("no messages to send", item=i, fix="Add at least one message under 'Messages'.")
        options = ctx.param("options", i, default={}) or {}
        json_output = bool(ctx.param("jsonOutput", i, default=False))
        schema = {"type": "object"} if json_output else None
        temperature = options.get("temperature")
        max_tokens = options.get("maxTokens")
        result = call_model(
            ctx, messages, model=f"openai:{model}", schema=schema,
            temperature=float(temperature) if isinstance(temperature, int | float) else None,
            max_tokens=int(max_tokens) if isinstance(max_tokens, int) and max_tokens > 0 else None,
        )
        content: Any = result.parsed if json_output else result.content
        message = {"role": "assistant", "content": content}
        if ctx.param("simplify", i, default=True):
            data: Item = {"index": 0, "message": message, "finish_reason": result.finish_reason or "stop"}
        else:
            data = {"choices": [{"index": 0, "message": message, "finish_reason": result.finish_reason}],
                    "model": result.model,
                    "usage": {"prompt_tokens": result.usage.input_tokens,
                              "completion_tokens": result.usage.output_tokens}}
        out.append({"json": data, "pairedItem": {"item": i}})
    return [out]
