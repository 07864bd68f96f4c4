"""n8n's original OpenAI node (``n8n-nodes-base.openAi``) on ``iza.llm``'s OpenAI provider.

Resources ``chat`` (complete) and ``text`` (complete, edit) become one chat call each, sent as
``openai:<model>``; the output is n8n's: with *Simplify* on (the default) one item per choice —
``{index, message: {role, content}, finish_reason}`` for chat, ``{index, text, finish_reason}``
for text — and otherwise ``{choices: […], model, usage}``. Images and moderation are not
supported and fail naming the resource.
"""

from __future__ import annotations

from typing import Any

from iza.llm import Message
from iza.workflows._context import NodeContext
from iza.workflows.nodes._ai_call import call_model
from iza.workflows.nodes._registry import Outputs, register

__all__: list[str] = []


def _options(ctx: NodeContext, item: int) -> tuple[float | None, int | None]:
    options = ctx.param("options", item, default={}) or {}
    temperature = options.get("temperature")
    max_tokens = options.get("maxTokens")
    if isinstance(max_tokens, str) and max_tokens.strip().isdigit():
        max_tokens = int(max_tokens)
    return (float(temperature) if isinstance(temperature, int | float) else None,
            int(max_tokens) if isinstance(max_tokens, int) and max_tokens > 0 else None)


def _messages(ctx: NodeContext, item: int, resource: str, operation: str) -> tuple[str, list[Message]]:
    if resource == "chat":
        model = ctx.param("chatModel" if ctx.version >= 1.1 else "model", item, default="gpt-3.5-turbo")
        messages = []
        for entry in ctx.param("prompt.messages", item, default=[]) or []:
            role = str(entry.get("role") or "user")
            messages.append(Message(role if role in ("system", "assistant") else "user",  # type: ignore[arg-type]
                                    str(entry.get("content") or "")))
        return str(model), messages
    if operation == "edit":
        model = ctx.param("model", item, default="text-davinci-edit-001")
        instruction = str(ctx.param("instruction", item, default="") or "")
        text = str(ctx.param("input", item, default="") or "")
        return str(model), [Message.system(instruction), Message.user(text)]
    model = ctx.param("model", item, default="text-davinci-003")
    return str(model), [Message.user(str(ctx.param("prompt", item, default="") or ""))]


@register("openAi")
def openai_legacy(ctx: NodeContext) -> Outputs:
    out: list[dict[str, Any]] = []
    for i in range(len(ctx.items)):
        resource = ctx.param("resource", i, default="text")
        operation = ctx.param("operation", i, default="complete")
        if resource not in ("chat", "text") or operation not in ("complete", "edit"):
            raise ctx.fail(f"OpenAI resource {resource!r} / operation {operation!r} is not supported", item=i,
                           fix="IZA runs this node's chat and text completions only.")
        model, messages = _messages(ctx, i, resource, operation)
        if not messages or not any(m.content.strip() for m in messages):
            raise ctx.fail("the prompt is empty", item=i, fix="Give the node a prompt or messages.")
        temperature, max_tokens = _options(ctx, i)
        result = call_model(ctx, messages, model=f"openai:{model}", temperature=temperature,
                            max_tokens=max_tokens)
        finish = result.finish_reason or "stop"
        choice: dict[str, Any] = (
            {"index": 0, "message": {"role": "assistant", "content": result.content}, "finish_reason": finish}
            if resource == "chat" else {"index": 0, "text": result.content, "finish_reason": finish})
        if ctx.param("simplifyOutput", i, default=True):
            out.append({"json": choice, "pairedItem": {"item": i}})
        else:
            out.append({"json": {"choices": [choice], "model": result.model,
                                 "usage": {"prompt_tokens": result.usage.input_tokens,
                                           "completion_tokens": result.usage.output_tokens}},
                        "pairedItem": {"item": i}})
    return [out]
