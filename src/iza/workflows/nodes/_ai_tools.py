"""Tools an AI Agent may call (its ``ai_tool`` sub-nodes), and the tool-calling loop.

The loop is the Tools Agent's: send the conversation with the tool schemas; while the model asks
for tools, run them and send their results back; stop at its plain answer or after
``options.maxIterations`` rounds. A tool sub-node whose type IZA does not implement fails the
agent before any model call (and ``iza workflows validate`` lists its type), rather than being
silently dropped from what the model may use.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iza.errors import IzaError
from iza.llm import ChatResult, Message, Tool
from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError, UnsupportedNode
from iza.workflows._model import Node, Workflow
from iza.workflows.nodes._ai_call import call_model
from iza.workflows.nodes._ai_parts import LC, ModelSpec, schema_from_example, sub_context, sub_nodes
from iza.workflows.nodes._registry import Outputs, register

__all__ = [
    "AgentTool",
    "TOOL_NODES",
    "agent_tools",
    "calculate",
    "from_ai_fields",
    "run_with_tools",
    "with_ai_values",
]


@dataclass(frozen=True)
class AgentTool:
    node: str
    spec: Tool
    run: Callable[[dict[str, Any]], str]


# ---- Calculator ----------------------------------------------------------------------------------
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt, "abs": abs, "round": round, "floor": math.floor, "ceil": math.ceil,
    "log": math.log, "exp": math.exp, "sin": math.sin, "cos": math.cos, "tan": math.tan,
    "min": min, "max": max,
}
_CONSTS = {"pi": math.pi, "e": math.e}


def calculate(expression: str) -> float | int:
    """Evaluate an arithmetic expression (numbers, + - * / // % ^ **, a few math functions).

    Parsed with ``ast`` and walked node by node: no names, attributes or calls beyond the table
    above, so the model cannot run code through it. Raises ``ValueError`` on anything else.
    """
    text = expression.strip().replace("^", "**").replace("×", "*").replace("÷", "/")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 → 1000

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
                and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 1000:
                raise ValueError("exponent too large")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Name) and node.id in _CONSTS:
            return _CONSTS[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS \
                and not node.keywords:
            return _FUNCS[node.func.id](*[ev(a) for a in node.args])
        raise ValueError(f"not an arithmetic expression: {expression!r}")

    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None
    try:
        value = ev(tree)
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value  # type: ignore[no-any-return]


def _calculator(ctx: NodeContext, node: Any) -> AgentTool:
    def run(args: dict[str, Any]) -> str:
        expr = str(args.get("input") or args.get("expression") or "")
        try:
            return str(calculate(expr))
        except (ValueError, TypeError, OverflowError) as exc:
            return f"Error: {exc}"

    spec = Tool(
        "calculator",
        "Useful for getting the result of a math expression. The input to this tool should be a "
        "valid mathematical expression that could be executed by a simple calculator.",
        {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]},
    )
    return AgentTool(node.name, spec, run)


# ---- Call n8n Workflow Tool -------------------------------------------------------------------------
def _tool_name(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]+", "_", text).strip("_")[:64] or "workflow_tool"


def _target_workflow(ctx: NodeContext, node: Node) -> Workflow:
    """The workflow a tool calls: inline JSON, this workflow, or a stored one (id or name)."""
    from iza.workflows._model import parse_workflow
    from iza.workflows._services import services_for

    sub = sub_context(ctx, node)
    if sub.param("source", default="database") == "parameter":
        return parse_workflow(str(sub.param("workflowJson", default="{}")), source=f"tool {node.name}")
    ref = sub.param("workflowId", default="")
    ref = str((ref.get("value") if isinstance(ref, dict) else ref) or "").strip()
    current = ctx.execution.workflow
    if not ref or ref in (current.id, current.name):
        return current
    from iza.workflows.service import WorkflowService

    try:
        row = WorkflowService(services_for(ctx).get_store()).get(ref)
    except IzaError as exc:
        raise NodeError(node.name, exc.message, parameter="workflowId", fix=exc.fix) from exc
    return parse_workflow(row.definition, source=f"workflow {ref}")


_FROM_AI = re.compile(
    r"""\$fromAI\(\s*(['"`])(?P<key>.*?)\1\s*(?:,\s*(['"`])(?P<desc>.*?)\3\s*)?"""
    r"""(?:,\s*(['"`])(?P<type>\w*)\5\s*)?(?:,[^)]*)?\)""")
_AI_TYPES = {"string": {"type": "string"}, "number": {"type": "number"}, "boolean": {"type": "boolean"},
             "json": {}}


def from_ai_fields(value: Any) -> dict[str, dict[str, Any]]:
    """The arguments ``$fromAI('key', 'description', 'type')`` calls in parameters ask the model
    for, as JSON-schema properties (n8n builds a tool's schema the same way)."""
    found: dict[str, dict[str, Any]] = {}
    for text in _strings(value):
        for m in _FROM_AI.finditer(text):
            prop = dict(_AI_TYPES.get(m.group("type") or "string", {}))
            if m.group("desc"):
                prop["description"] = m.group("desc")
            found.setdefault(m.group("key"), prop)
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def with_ai_values(value: Any, args: dict[str, Any]) -> Any:
    """``value`` with every ``$fromAI(…)`` call replaced by the model's argument as a JS literal."""
    if isinstance(value, str):
        return _FROM_AI.sub(lambda m: json.dumps(args.get(m.group("key"))), value)
    if isinstance(value, dict):
        return {k: with_ai_values(v, args) for k, v in value.items()}
    if isinstance(value, list):
        return [with_ai_values(v, args) for v in value]
    return value


#: Workflow tools calling workflow tools: a sub-run's id is ``<parent>/<tool>``; deeper is refused.
_MAX_TOOL_DEPTH = 4


def _workflow_tool(ctx: NodeContext, node: Node) -> AgentTool:
    from iza.workflows._engine import Execution
    from iza.workflows._sandbox import sandbox

    sub = sub_context(ctx, node)
    target = _target_workflow(ctx, node)
    name = _tool_name(str(sub.param("name", default="") or node.name))
    schema: dict[str, Any] = {"type": "object", "properties": {"query": {"type": "string"}},
                              "required": ["query"]}
    if node.type_version < 2 and sub.param("specifyInputSchema", default=False):
        if sub.param("schemaType", default="fromJson") == "manual":
            schema = json.loads(str(sub.param("inputSchema", default="{}")))
        else:
            schema = schema_from_example(json.loads(str(node.parameters.get("jsonSchemaExample") or "{}")))
    mapped = (node.parameters.get("workflowInputs") or {}).get("value") if node.type_version >= 2 else None
    ai_fields = from_ai_fields(mapped) if isinstance(mapped, dict) else {}
    if ai_fields:
        schema = {"type": "object", "properties": ai_fields, "required": list(ai_fields)}
    extra = {str(f.get("name")): next((f[k] for k in ("stringValue", "numberValue", "booleanValue",
                                                        "objectValue") if k in f), None)
             for f in (sub.param("fields.values", default=[]) or []) if isinstance(f, dict)}
    prop = str(sub.param("responsePropertyName", default="response") or "response")

    def run(args: dict[str, Any]) -> str:
        parent = ctx.execution
        starts = [n.name for n in target.nodes.values()
                  if n.kind == "executeWorkflowTrigger" and not n.disabled]
        if not starts:
            return (f"There was an error: workflow {target.name!r} has no 'When Executed by Another "
                    "Workflow' trigger to start from")
        if parent.execution_id.count("/") >= _MAX_TOOL_DEPTH:
            return f"There was an error: workflow tools nested more than {_MAX_TOOL_DEPTH} deep"
        # A fresh V8 context for the sub-run: the parent keeps its own (it holds the parent
        # run's state), while the sub-execution configures the new thread sandbox for itself.
        sandbox(timeout_s=parent.code_timeout_s, max_memory_mb=parent.code_memory_mb, fresh=True)
        ex = Execution(target, mode="integrated", timezone=parent.timezone,
                       execution_id=f"{parent.execution_id}/{name}", services=parent.services,
                       code_timeout_s=parent.code_timeout_s, code_memory_mb=parent.code_memory_mb)
        inputs = {**args, **extra}
        if isinstance(mapped, dict) and mapped:
            # n8n 2.x: the mapped inputs, with the model's arguments in place of $fromAI(…)
            filled = Node(node.name, node.type, node.type_version, {"value": with_ai_values(mapped, args)},
                          node.raw)
            inputs = sub_context(ctx, filled).param("value", default={}) or {}
        ex.start([{"json": inputs}], start=starts[0])
        result = ex.run()
        if result.status != "success":
            return f"There was an error: {(result.error or {}).get('message')}"
        runs = result.run_data.get(result.last_node or "", [])
        items = (runs[-1].get("data", {}).get("main") or [[]])[0] if runs else []
        first = (items[0].get("json") if items else None) or {}
        if prop in first:
            value = first[prop]
            return value if isinstance(value, str) else json.dumps(value, default=str)
        return json.dumps([i.get("json") for i in items], default=str)

    return AgentTool(node.name, Tool(name, str(sub.param("description", default="") or name), schema), run)


TOOL_NODES: dict[str, Callable[[NodeContext, Any], AgentTool]] = {
    LC + "toolCalculator": _calculator,
    LC + "toolWorkflow": _workflow_tool,
}


@register(*TOOL_NODES)
def tool_node(ctx: NodeContext) -> Outputs:
    raise ctx.fail("this is a tool sub-node: connect it to an AI Agent's Tool input",
                   fix="Connect it through an ai_tool connection, not a main one.")


def agent_tools(ctx: NodeContext) -> list[AgentTool]:
    tools = []
    for node in sub_nodes(ctx, "ai_tool"):
        make = TOOL_NODES.get(node.type)
        if make is None:
            raise UnsupportedNode(node.name, node.type)
        tools.append(make(ctx, node))
    return tools


def _final_structured(ctx: NodeContext, messages: list[Message], answer: ChatResult,
                      spec: ModelSpec, schema: Mapping[str, Any]) -> ChatResult:
    """After a tool conversation, ask once more for the answer in the parser's schema (a call
    with tools and a response schema at once is not something every provider supports)."""
    follow = [*messages, answer.message(),
              Message.user("Give your final answer as JSON matching the required schema.")]
    return call_model(ctx, follow, model=spec.ref, schema=schema, temperature=spec.temperature,
                      max_tokens=spec.max_tokens)


def run_with_tools(ctx: NodeContext, messages: list[Message], tools: list[AgentTool], spec: ModelSpec,
                   schema: Mapping[str, Any] | None, max_steps: int, *, item: int = 0) -> ChatResult:
    if not tools:
        return call_model(ctx, messages, model=spec.ref, schema=schema, temperature=spec.temperature,
                          max_tokens=spec.max_tokens)
    by_name = {t.spec.name: t for t in tools}
    convo = list(messages)
    for _ in range(max(1, max_steps)):
        result = call_model(ctx, convo, model=spec.ref, tools=[t.spec for t in tools],
                            temperature=spec.temperature, max_tokens=spec.max_tokens)
        if not result.tool_calls:
            return _final_structured(ctx, convo, result, spec, schema) if schema else result
        convo.append(result.message())
        for call in result.tool_calls:
            tool = by_name.get(call.name)
            output = tool.run(dict(call.arguments)) if tool else f"Error: there is no tool {call.name!r}"
            convo.append(Message.tool(call.id, output if isinstance(output, str) else json.dumps(output),
                                      name=call.name))
    raise ctx.fail(
        f"Agent stopped due to max iterations ({max_steps}) without a final answer", item=item,
        fix="Raise options.maxIterations, or make the task simpler for the model.")
