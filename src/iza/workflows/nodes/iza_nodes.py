"""IZA's own nodes: the unified memory, an LLM chat, and an agent mission.

Node types (parameters may be expressions, like any node's):

* ``iza.memorySearch`` — ``namespace``, ``query``, ``limit`` (5), ``kinds`` (comma list),
  ``outputMode`` ``perHit`` (one item per hit) or ``aggregate`` (one item ``{hits: […]}``).
* ``iza.memoryAdd`` — ``namespace``, ``text``, ``kind`` (note), ``subject``, ``importance``
  (0.5), ``metadata`` (object or JSON text), ``recordId`` (to update one record in place).
* ``iza.llmChat`` — ``prompt``, ``system``, ``model`` (alias or ``provider:model``; empty: the
  default), ``temperature``, ``maxTokens``, ``jsonSchema`` (then ``parsed`` holds the object).
* ``iza.agentMission`` — ``objective``, ``service`` (catalog id; empty: matched from the
  objective), ``orderId``. Runs the mission to its end; offline it runs the service's playbook and
  the output says ``mode: "offline-playbook"``.

The business nodes (``iza.stripeCheckout``, ``iza.revenueEvent``) live in ``iza.business``,
which sits above this layer and registers them itself.
"""

from __future__ import annotations

import json
from typing import Any

from iza.errors import IzaError
from iza.llm import Message
from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._services import MissionRequest, mission_runner, services_for
from iza.workflows.nodes._ai_call import call_model, run_ref
from iza.workflows.nodes._registry import Outputs, register

__all__: list[str] = []

Item = dict[str, Any]


def _required_text(ctx: NodeContext, name: str, item: int, what: str) -> str:
    value = ctx.param(name, item, default="")
    text = value if isinstance(value, str) else ("" if value is None else json.dumps(value))
    if not text.strip():
        raise NodeError(ctx.node.name, f"the {what} is empty", parameter=name,
                        fix=f"Set parameter {name!r} (an expression such as {{{{ $json.{name} }}}} works).")
    return text


def _json_param(ctx: NodeContext, name: str, item: int) -> Any:
    value = ctx.param(name, item, default=None)
    if isinstance(value, str) and value.strip():
        try:
            return json.loads(value)
        except ValueError as exc:
            raise NodeError(ctx.node.name, f"parameter {name!r} is not valid JSON: {exc}", parameter=name,
                            fix="Give a JSON object (or an expression returning one).") from None
    return value if value not in ("", None) else None


def _wrap(ctx: NodeContext, exc: IzaError) -> NodeError:
    return NodeError(ctx.node.name, exc.message, fix=exc.fix, description=exc.fix,
                     name=type(exc).__name__)


def _provenance(ctx: NodeContext) -> dict[str, str]:
    return {"workflow_run": run_ref(ctx), "node": ctx.node.name, "source": "workflow"}


@register("iza.memorySearch")
def memory_search(ctx: NodeContext) -> Outputs:
    from iza.memory import SearchQuery

    memory = services_for(ctx).get_memory()
    out: list[Item] = []
    for i in range(len(ctx.items)):
        namespace = str(ctx.param("namespace", i, default="default") or "default")
        query = _required_text(ctx, "query", i, "search query")
        try:
            limit = max(1, int(ctx.param("limit", i, default=5) or 5))
        except (TypeError, ValueError):
            raise NodeError(ctx.node.name, "parameter 'limit' must be a whole number", parameter="limit",
                            fix="Give how many hits to return, e.g. 5.") from None
        kinds_raw = ctx.param("kinds", i, default="") or ""
        kinds = tuple(k.strip() for k in str(kinds_raw).split(",") if k.strip())
        try:
            hits = memory.search(SearchQuery(namespace=namespace, text=query, k=limit, kinds=kinds))
        except IzaError as exc:
            raise _wrap(ctx, exc) from exc
        rows = [h.as_dict() for h in hits]
        if ctx.param("outputMode", i, default="perHit") == "aggregate":
            out.append({"json": {"query": query, "namespace": namespace, "hits": rows},
                        "pairedItem": {"item": i}})
        else:
            out.extend({"json": row, "pairedItem": {"item": i}} for row in rows)
    return [out]


@register("iza.memoryAdd")
def memory_add(ctx: NodeContext) -> Outputs:
    from iza.memory import MemoryRecord

    records = []
    for i in range(len(ctx.items)):
        metadata = _json_param(ctx, "metadata", i) or {}
        if not isinstance(metadata, dict):
            raise NodeError(ctx.node.name, "parameter 'metadata' must be an object", parameter="metadata",
                            fix="Give a JSON object such as {\"source\": \"crm\"}.")
        try:
            importance = float(ctx.param("importance", i, default=0.5))
        except (TypeError, ValueError):
            raise NodeError(ctx.node.name, "parameter 'importance' must be a number", parameter="importance",
                            fix="Use a number between 0 and 1.") from None
        subject = ctx.param("subject", i, default=None)
        record_id = ctx.param("recordId", i, default="")
        record = MemoryRecord(
            namespace=str(ctx.param("namespace", i, default="default") or "default"),
            text=_required_text(ctx, "text", i, "memory text"),
            kind=str(ctx.param("kind", i, default="note") or "note"),
            metadata=metadata,
            provenance=_provenance(ctx),
            subject=str(subject) if subject not in (None, "") else None,
            importance=importance,
        )
        records.append(record.with_changes(id=str(record_id)) if record_id not in ("", None) else record)
    if records:
        try:
            services_for(ctx).get_memory().add(records)  # one transaction for all items
        except IzaError as exc:
            raise _wrap(ctx, exc) from exc
    return [[{"json": {"id": r.id, "namespace": r.namespace, "kind": r.kind, "text": r.text},
              "pairedItem": {"item": i}} for i, r in enumerate(records)]]


@register("iza.llmChat")
def llm_chat(ctx: NodeContext) -> Outputs:
    out: list[Item] = []
    for i in range(len(ctx.items)):
        prompt = _required_text(ctx, "prompt", i, "prompt")
        system = ctx.param("system", i, default="") or ""
        model = str(ctx.param("model", i, default="") or "") or None
        schema = _json_param(ctx, "jsonSchema", i)
        temperature = ctx.param("temperature", i, default=None)
        max_tokens = ctx.param("maxTokens", i, default=None)
        messages = ([Message.system(str(system))] if system else []) + [Message.user(prompt)]
        result = call_model(
            ctx, messages, model=model, schema=schema if isinstance(schema, dict) else None,
            temperature=float(temperature) if isinstance(temperature, int | float) else None,
            max_tokens=int(max_tokens) if isinstance(max_tokens, int | float) and max_tokens > 0 else None,
        )
        data: Item = {
            "text": result.content, "provider": result.provider, "model": result.model,
            "usage": {"input_tokens": result.usage.input_tokens, "output_tokens": result.usage.output_tokens},
            "cost_usd": result.cost_usd, "source": result.source,
        }
        if schema is not None:
            data["parsed"] = result.parsed
        out.append({"json": data, "pairedItem": {"item": i}})
    return [out]


@register("iza.agentMission")
def agent_mission(ctx: NodeContext) -> Outputs:
    run = mission_runner(ctx.node.name)
    svc = services_for(ctx)
    out: list[Item] = []
    for i in range(len(ctx.items)):
        service = str(ctx.param("service", i, default="") or "") or None
        order = str(ctx.param("orderId", i, default="") or "") or None
        request = MissionRequest(_required_text(ctx, "objective", i, "mission objective"), service, order,
                                 _provenance(ctx))
        try:
            view = run(svc.settings, svc.get_store(), request)
        except IzaError as exc:
            raise _wrap(ctx, exc) from exc
        view = json.loads(json.dumps(view, default=str))
        data = {
            "missionId": view.get("id"), "state": view.get("state"), "mode": view.get("mode"),
            "service": view.get("service"), "result": view.get("result"), "error": view.get("error"),
            "costMicros": view.get("cost_micros"), "tasks": len(view.get("tasks") or []),
        }
        if view.get("state") == "failed":
            raise NodeError(ctx.node.name, f"mission {data['missionId']} failed: {view.get('error')}",
                            fix=f"See `iza missions show {data['missionId']}` for its trace.")
        out.append({"json": data, "pairedItem": {"item": i}})
    return [out]
