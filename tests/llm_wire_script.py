"""A scripted model at the wire: answers OpenAI chat-completion bodies like a well-behaved model.

Used with ``iza.llm.fakeservers.FakeOpenAI`` so that missions go through the real ``iza.llm``
path (router, OpenAI SDK over HTTP, budgets, journal). ``kind_of`` tells which mission step a
request belongs to from the response schema the workforce asked for.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from iza.llm.fakeservers import Reply

__all__ = ["WireScript", "kind_of"]


def kind_of(body: dict[str, Any]) -> str:
    fmt = body.get("response_format") or {}
    props = ((fmt.get("json_schema") or {}).get("schema") or {}).get("properties", {})
    for key, kind in (("objectives", "plan"), ("items", "breakdown"), ("approved", "review"),
                      ("summary", "synthesis")):
        if key in props:
            return kind
    return "work"


def _texts(body: dict[str, Any]) -> list[str]:
    return [str(m.get("content") or "") for m in body.get("messages", [])]


class WireScript:
    """Plans two objectives (apps and quality managers), two work items each, one tool call per
    item. ``malformed_plan`` makes the first plan answer invalid JSON and the repair name an
    unknown manager, so both iza.llm's repair and the workforce's own check are exercised."""

    def __init__(self, *, malformed_plan: bool = False, tokens: tuple[int, int] = (1000, 500)) -> None:
        self.malformed_plan = malformed_plan
        self.tokens = tokens
        self.kinds: Counter[str] = Counter()
        self.lock = threading.Lock()

    def _reply(self, data: Any = None, text: str = "",
               calls: list[tuple[str, dict[str, Any]]] | None = None) -> Reply:
        return Reply(text=json.dumps(data) if data is not None else text, tool_calls=calls or [],
                     input_tokens=self.tokens[0], output_tokens=self.tokens[1])

    def __call__(self, body: dict[str, Any]) -> Reply:
        kind = kind_of(body)
        with self.lock:
            self.kinds[kind] += 1
            n = self.kinds[kind]
        if kind == "plan":
            if self.malformed_plan and n == 1:
                return self._reply(text="Sure! Here is the plan: objectives = build, test")
            if self.malformed_plan and n == 2:
                return self._reply({"objectives": [{"title": "Build", "manager": "mgr-nobody",
                                                    "instructions": "x"}]})
            return self._reply({"objectives": [
                {"title": "Build the app", "manager": "mgr-apps", "instructions": "screens and API"},
                {"title": "Check the app", "manager": "mgr-quality", "instructions": "test it"}]})
        if kind == "breakdown":
            user = _texts(body)[-1]
            if "Build" in user.splitlines()[0]:
                items = [{"title": "Frontend", "skill": "frontend", "instructions": "list view"},
                         {"title": "Backend", "skill": "backend", "instructions": "items API"}]
            else:
                items = [{"title": "Test plan", "skill": "testing", "instructions": "acceptance"},
                         {"title": "Security pass", "skill": "security", "instructions": "review"}]
            return self._reply({"items": items})
        if kind == "review":
            return self._reply({"approved": True, "notes": "looks complete"})
        if kind == "synthesis":
            return self._reply({"summary": "app built and checked", "deliverables": ["notes"]})
        if not any(m.get("role") == "tool" for m in body.get("messages", [])):
            title = _texts(body)[1].splitlines()[0]
            return self._reply(calls=[("memory_add", {"text": f"did {title}"})])
        return self._reply(text="finished: " + _texts(body)[1].splitlines()[0])
