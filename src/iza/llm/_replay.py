"""Replay: answer a re-run of a mission or workflow run from its journal, with no provider.

Recorded answers are matched by request hash *in call order*: the n-th identical request of the
re-run gets the n-th recorded answer, so loops that ask the same thing twice replay faithfully.
"""

from __future__ import annotations

import threading
from collections import deque

from iza.kernel.store import Store
from iza.llm._errors import ReplayMiss
from iza.llm._journal import CallRow, recorded_run
from iza.llm._messages import ChatResult, ToolCall, Usage

__all__ = ["Replay", "result_from_row"]


def result_from_row(row: CallRow, source: str) -> ChatResult:
    resp = row.response or {}
    calls = tuple(ToolCall(c["id"], c["name"], c["arguments"]) for c in resp.get("tool_calls", ()))
    return ChatResult(
        content=resp.get("content", ""),
        tool_calls=calls,
        usage=Usage(row.input_tokens, row.output_tokens, row.usage_estimated),
        provider=row.provider,
        model=row.model,
        finish_reason=resp.get("finish_reason", ""),
        source=source,
        request_hash=row.request_hash,
    )


class Replay:
    """Answers from a recorded mission or workflow run, matched by request hash in call order."""

    def __init__(self, store: Store, *, mission: str | None = None, workflow_run: str | None = None) -> None:
        self.source = f"mission {mission!r}" if mission else f"workflow run {workflow_run!r}"
        self._answers: dict[str, deque[CallRow]] = {}
        for row in recorded_run(store, mission=mission, workflow_run=workflow_run):
            self._answers.setdefault(row.request_hash, deque()).append(row)
        self._lock = threading.Lock()

    def take_row(self, request_hash: str) -> CallRow:
        """The next recorded row for this request, or :class:`ReplayMiss`."""
        with self._lock:
            rows = self._answers.get(request_hash)
            if not rows:
                raise ReplayMiss(request_hash, self.source)
            return rows.popleft()

    def take(self, request_hash: str) -> ChatResult:
        return result_from_row(self.take_row(request_hash), "replayed")
