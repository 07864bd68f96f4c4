"""One model call on behalf of a workflow node, through ``iza.llm``, with honest failures.

Every AI node ends here. With no provider configured the node fails with one clear error that
says so and how to configure one; nothing here ever writes an answer in a model's place.
Errors of the LLM layer (a provider down, a budget reached, an answer that does not match the
schema) become :class:`NodeError` with the layer's own message and fix, so the execution's
error names the node.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from iza.errors import IzaError
from iza.llm import CallContext, ChatResult, Message, ProviderNotConfigured, Tool
from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._services import services_for

__all__ = ["call_model", "no_provider_error", "run_ref"]

logger = logging.getLogger(__name__)


def run_ref(ctx: NodeContext) -> str:
    """``<workflow>#<execution>``: how the run journal and memory provenance name this run."""
    wf = ctx.execution.workflow
    return f"{wf.id or wf.name}#{ctx.execution.execution_id}"


def no_provider_error(node: str) -> NodeError:
    plain = ProviderNotConfigured()
    return NodeError(node, "no LLM provider is configured, so this AI node cannot run "
                     "(IZA never answers in a model's place)", fix=plain.fix,
                     description=f"To configure one: {plain.fix}.", name="ProviderNotConfigured")


def call_model(
    ctx: NodeContext,
    messages: Sequence[Message],
    *,
    model: str | None = None,
    schema: Mapping[str, Any] | None = None,
    tools: Sequence[Tool] = (),
    temperature: float | None = None,
    max_tokens: int | None = None,
) -> ChatResult:
    """Ask the model named ``model`` (``provider:model``, an alias, or None for the default)."""
    llm = services_for(ctx).get_llm()
    if not llm.available():
        raise no_provider_error(ctx.node.name)
    try:
        return llm.chat(
            list(messages),
            model=model,
            tools=tools,
            response_schema=schema,
            temperature=temperature,
            max_tokens=max_tokens,
            context=CallContext(workflow_run=run_ref(ctx)),
        )
    except IzaError as exc:
        logger.info("workflow node %s: model call failed: %s", ctx.node.name, exc.message)
        raise NodeError(ctx.node.name, exc.message, fix=exc.fix, description=exc.fix,
                     name=type(exc).__name__) from exc
