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

from iza.llm import ChatResult, Message, Tool
from iza.workflows._context import NodeContext
from iza.workflows._errors import UnsupportedNode
from iza.workflows.nodes._ai_call import call_model
from iza.workflows.nodes._ai_parts import LC, ModelSpec, sub_nodes
from iza.workflows.nodes._registry import Outputs, register

__all__ = ["AgentTool", "TOOL_NODES", "agent_tools", "calculate", "run_with_tools"]


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


TOOL_NODES: dict[str, Callable[[NodeContext, Any], AgentTool]] = {LC + "toolCalculator": _calculator}


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
