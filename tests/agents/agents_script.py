"""The scripted model used by the workforce tests: a function of the request (the ChatModel port).

The script looks at what is asked (a schema or tools) and answers like a model would; tests
override single answers and fall back to the standard, well-behaved answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from iza.agents import ChatRequest, ChatResponse, ScriptedModel, ToolCall

Script = Callable[[ChatRequest], ChatResponse | None]


def kind_of(req: ChatRequest) -> str:
    if req.response_schema is None:
        return "work"
    props = req.response_schema.get("properties", {})
    for key, kind in (("objectives", "plan"), ("items", "breakdown"), ("approved", "review"),
                      ("summary", "synthesis")):
        if key in props:
            return kind
    raise AssertionError(req.response_schema)


def _json(data: Any, cost: int = 10) -> ChatResponse:
    return ChatResponse(content=json.dumps(data), model="scripted-1", tokens_in=50, tokens_out=20,
                        cost_micros=cost)


def standard_answer(req: ChatRequest, cost: int = 10) -> ChatResponse:
    """A well-behaved model: plans two objectives, two items each, one tool call per item."""
    kind = kind_of(req)
    if kind == "plan":
        return _json({"objectives": [
            {"title": "Build the app", "manager": "mgr-apps", "instructions": "screens and API"},
            {"title": "Check the app", "manager": "mgr-quality", "instructions": "test it"}]}, cost)
    if kind == "breakdown":
        first = req.messages[-1].content.splitlines()[0]
        if "Build" in first:
            items = [{"title": "Frontend", "skill": "frontend", "instructions": "list view"},
                     {"title": "Backend", "skill": "backend", "instructions": "items API"}]
        else:
            items = [{"title": "Test plan", "skill": "testing", "instructions": "acceptance"},
                     {"title": "Security pass", "skill": "security", "instructions": "review"}]
        return _json({"items": items}, cost)
    if kind == "review":
        return _json({"approved": True, "notes": "looks complete"}, cost)
    if kind == "synthesis":
        return _json({"summary": "app built and checked", "deliverables": ["notes"]}, cost)
    if not any(m.role == "tool" for m in req.messages):
        title = req.messages[1].content.splitlines()[0]
        return ChatResponse(tool_calls=(ToolCall("c1", "memory_add", {"text": f"did {title}"}),),
                            model="scripted-1", tokens_in=40, tokens_out=10, cost_micros=cost)
    return ChatResponse(content="finished: " + req.messages[1].content.splitlines()[0],
                        model="scripted-1", tokens_in=60, tokens_out=15, cost_micros=cost)


def scripted(override: Script | None = None) -> ScriptedModel:
    """A scripted model: ``override`` answers first; ``None`` from it means the standard answer."""

    def script(req: ChatRequest) -> ChatResponse:
        if override is not None:
            answer = override(req)
            if answer is not None:
                return answer
        return standard_answer(req)

    return ScriptedModel(script)
