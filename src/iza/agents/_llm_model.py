"""The :class:`ChatModel` port implemented on ``iza.llm``: the workforce's real model.

Each turn becomes one ``LLM.chat`` with a :class:`~iza.llm.CallContext` naming the agent, the
mission and (when the mission delivers one) the order, so the LLM run journal records who asked
and the LLM layer's nested budgets (global → order → mission → agent) are checked before
anything is sent. The mission's budget from its limits is installed as an ``iza.llm`` mission
budget the first time the mission calls, so a mission that would overspend is refused by the
router, not discovered afterwards.

Structured output: ``iza.llm`` validates against the schema and makes one repair attempt; if
that fails too, the (still malformed) text goes back to the workforce, whose own loop shows the
model the problem again (it also checks things a JSON schema cannot, such as unknown managers).

Mission cost comes from the LLM journal (:meth:`LLMChatModel.mission_cost_micros`): one row per
call, including repair attempts the workforce never sees, and never a replayed or cached answer
counted twice.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from iza.agents._errors import LimitExceeded
from iza.agents._ports import ChatMessage, ChatModel, ChatRequest, ChatResponse, ToolCall
from iza.kernel.config import Settings
from iza.kernel.store import Store

if TYPE_CHECKING:
    from iza.llm import LLM

__all__ = ["LLMChatModel", "llm_model_factory"]

logger = logging.getLogger(__name__)

#: iza.llm budget scope → the agents limit named in a mission's error
_LIMIT = {"mission": "mission_budget_micros", "agent": "agent_budget", "order": "order_budget",
          "customer": "customer_budget", "global": "global_budget"}


def _message(m: ChatMessage) -> dict[str, Any]:
    return {"role": m.role, "content": m.content, "tool_call_id": m.tool_call_id, "name": m.name,
            "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in m.tool_calls]}


class LLMChatModel(ChatModel):
    """Answers workforce turns with ``iza.llm`` (router, budgets, journal)."""

    def __init__(self, settings: Settings, store: Store, llm: LLM | None = None) -> None:
        self.settings = settings
        self.store = store
        self.llm = llm if llm is not None else _shared_llm(settings, store)
        self._budgeted: set[str] = set()
        self._lock = threading.Lock()

    def _ensure_mission_budget(self, mission: str, micros: str | None) -> None:
        """Install the mission's budget in ``iza.llm`` once per mission and process."""
        if not mission or not micros:
            return
        with self._lock:
            if mission in self._budgeted:
                return
            self._budgeted.add(mission)
        from iza.llm import set_budget

        set_budget(self.store, "mission", mission, int(micros) / 1e6)

    def chat(self, request: ChatRequest) -> ChatResponse:
        from iza.llm import BudgetExceeded, CallContext, StructuredOutputError

        meta = request.metadata
        mission = meta.get("mission") or None
        self._ensure_mission_budget(mission or "", meta.get("mission_budget_micros"))
        ctx = CallContext(agent=meta.get("agent") or None, mission=mission,
                          order=meta.get("order") or None)
        try:
            result = self.llm.chat([_message(m) for m in request.messages], model=request.model or None,
                                   tools=list(request.tools), response_schema=request.response_schema,
                                   context=ctx)
        except BudgetExceeded as exc:
            raise LimitExceeded(_LIMIT.get(exc.scope, exc.scope), exc.message,
                                fix=exc.fix) from exc
        except StructuredOutputError as exc:
            logger.info("structured output still malformed after iza.llm's repair: %s", exc.message)
            return ChatResponse(content=exc.content, model=exc.model)
        calls = tuple(ToolCall(c.id, c.name, dict(c.arguments)) for c in result.tool_calls)
        return ChatResponse(content=result.content, tool_calls=calls,
                            model=f"{result.provider}:{result.model}",
                            tokens_in=result.usage.input_tokens, tokens_out=result.usage.output_tokens,
                            cost_micros=round(result.cost_usd * 1e6))

    def mission_cost_micros(self, mission_id: str, since: datetime | None = None) -> int:
        """What the LLM journal says this mission has spent, USD millionths (rounded). ``since``
        (the mission's creation) keeps the read to the journal's recent rows."""
        from iza.llm import usage

        for row in usage(self.store, by="mission", since=since):
            if row["mission"] == mission_id:
                return round(int(row["cost_nanos"]) / 1000)
        return 0


_SHARED: dict[str, tuple[Settings, LLM]] = {}
_SHARED_LOCK = threading.Lock()


def _shared_llm(settings: Settings, store: Store) -> LLM:
    """One :class:`~iza.llm.LLM` per database and settings in a process: its budget guard holds
    the in-flight reservations, so missions running side by side must share it (or they could
    each squeeze under the same remaining dollar)."""
    from iza.llm import LLM

    with _SHARED_LOCK:
        hit = _SHARED.get(store.url)
        if hit is None or hit[0] is not settings:
            hit = _SHARED[store.url] = (settings, LLM(settings, store=store))
        return hit[1]


def llm_model_factory(settings: Settings, store: Store) -> ChatModel | None:
    """An :class:`LLMChatModel` when ``iza.llm`` has a provider configured, else ``None``
    (missions then run their offline playbooks and say so)."""
    from iza.llm import llm_status

    if not llm_status(settings)["configured"]:
        return None
    return LLMChatModel(settings, store)
