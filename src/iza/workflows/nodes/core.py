"""Triggers, pass-through and control nodes: the small nodes nearly every workflow has."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._engine import WaitRequested
from iza.workflows._errors import NodeError
from iza.workflows.nodes._registry import Outputs, register

__all__: list[str] = []

Item = dict[str, Any]


@register(
    "manualTrigger",
    "start",
    "executeWorkflowTrigger",
    "webhook",
    "scheduleTrigger",
    "cron",
    "interval",
    "errorTrigger",
    "formTrigger",
    "@n8n/n8n-nodes-langchain.chatTrigger",
)
def trigger(ctx: NodeContext) -> Outputs:
    """Triggers emit what started the execution (manual runs: one empty item)."""
    return [ctx.items or [{"json": {}}]]


@register("noOp", "stickyNote")
def no_op(ctx: NodeContext) -> Outputs:
    return [ctx.items]


@register("stopAndError")
def stop_and_error(ctx: NodeContext) -> Outputs:
    if ctx.param("errorType") == "errorObject":
        obj = ctx.param("errorObject")
        message = str(obj.get("message") if isinstance(obj, dict) else obj)
    else:
        message = str(ctx.param("errorMessage", default="Workflow stopped"))
    raise NodeError(ctx.node.name, message, name="NodeOperationError")


@register("executionData")
def execution_data(ctx: NodeContext) -> Outputs:
    for i in range(len(ctx.items)):
        for pair in ctx.param("dataToSave.values", i, default=[]) or []:
            ctx.execution.custom_data[str(pair.get("key"))] = pair.get("value")
    return [ctx.items]


_TRAINING_PEOPLE: list[Item] = [
    {
        "id": "23423532",
        "name": "Jay Gatsby",
        "email": "gatsby@west-egg.com",
        "notes": "Keeps asking about a green light??",
        "country": "US",
        "created": "1925-04-10",
    },
    {
        "id": "23423533",
        "name": "José Arcadio Buendía",
        "email": "jab@macondo.co",
        "notes": "Lots of people named after him. Very confusing",
        "country": "CO",
        "created": "1967-05-05",
    },
    {
        "id": "23423534",
        "name": "Max Sendak",
        "email": "info@in-and-out-of-weeks.org",
        "notes": "Keeps rolling his terrible eyes",
        "country": "US",
        "created": "1963-04-09",
    },
    {
        "id": "23423535",
        "name": "Zaphod Beeblebrox",
        "email": "captain@heartofgold.com",
        "notes": "Felt like I was talking to more than one person",
        "country": None,
        "created": "1979-10-12",
    },
    {
        "id": "23423536",
        "name": "Edmund Pevensie",
        "email": "edmund@narnia.gov",
        "notes": "Passionate sailor",
        "country": "UK",
        "created": "1950-10-16",
    },
]


@register("n8nTrainingCustomerDatastore")
def training_datastore(ctx: NodeContext) -> Outputs:
    """n8n's training node: static sample customers, no network."""
    out: list[Item] = []
    op = ctx.param("operation", default="getOnePerson")
    for i in range(len(ctx.items)):
        if op == "getAllPeople":
            people = (
                _TRAINING_PEOPLE
                if ctx.param("returnAll", i, False)
                else _TRAINING_PEOPLE[: int(ctx.param("limit", i, 5))]
            )
            out.extend({"json": dict(p), "pairedItem": {"item": i}} for p in people)
        else:
            out.append({"json": dict(_TRAINING_PEOPLE[0]), "pairedItem": {"item": i}})
    return [out]


@register("n8nTrainingCustomerMessenger")
def training_messenger(ctx: NodeContext) -> Outputs:
    out = []
    for i in range(len(ctx.items)):
        out.append(
            {
                "json": {
                    "output": f"Sent message to customer {ctx.param('customerId', i)}:  "
                    f"{ctx.param('message', i)}"
                },
                "pairedItem": {"item": i},
            }
        )
    return [out]


@register("debugHelper")
def debug_helper(ctx: NodeContext) -> Outputs:
    category = ctx.param("category", default="throwError")
    if category == "throwError":
        etype = ctx.param("throwErrorType", default="NodeApiError")
        message = ctx.param("throwErrorMessage", default="Node has thrown an error")
        raise NodeError(ctx.node.name, str(message), name=str(etype))
    if category == "randomData":
        seed = str(ctx.param("randomDataSeed", default="") or "")
        count = int(ctx.param("randomDataCount", default=10))
        return [[{"json": _random_person(seed, i)} for i in range(count)]]
    if category == "oom":
        raise NodeError(ctx.node.name, "Out-of-memory simulation is disabled in IZA")
    return [ctx.items]


def _random_person(seed: str, i: int) -> Item:
    """Deterministic sample data (not n8n's generator: values differ, shape is similar)."""
    h = hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()
    first = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"][int(h[0], 16) % 8]
    last = ["Lee", "Kim", "Diaz", "Berg", "Ono", "Ruiz"][int(h[1], 16) % 6]
    return {
        "uid": h[:24],
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "firstname": first,
        "lastname": last,
        "password": h[24:36],
    }


@register("wait")
def wait_node(ctx: NodeContext) -> Outputs:
    """Wait: the execution stops in ``waiting`` and resumes later with the same items."""
    resume = ctx.param("resume", default="timeInterval")
    items = ctx.items
    if resume in ("webhook", "form"):
        if ctx.execution.resumed_wait:  # resumed by its webhook: pass on what the request brought
            return [ctx.execution.resume_items or items]
        raise WaitRequested([items], _wait_limit(ctx), webhook=True)
    if resume == "specificTime":
        from datetime import datetime

        when = str(ctx.param("dateTime"))
        at = datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()
        raise WaitRequested([items], at)
    amount = float(ctx.param("amount", default=1) or 0)
    unit = ctx.param("unit", default="hours")
    seconds = amount * {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}.get(str(unit), 3600)
    if ctx.execution.resumed_wait:
        return [items]
    if seconds < 65:
        # Like n8n: short waits happen in-process instead of parking the execution.
        ctx.execution.wait(seconds)
        return [items]
    raise WaitRequested([items], time.time() + seconds)


def _wait_limit(ctx: NodeContext) -> float | None:
    """A webhook wait's time limit (``limitWaitTime``): then it resumes with its own items."""
    if not ctx.param("limitWaitTime", default=False):
        return None
    if ctx.param("limitType", default="afterTimeInterval") == "atSpecifiedTime":
        from datetime import datetime

        when = str(ctx.param("maxDateAndTime"))
        return datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()
    amount = float(ctx.param("resumeAmount", default=1) or 0)
    unit = str(ctx.param("resumeUnit", default="hours"))
    return time.time() + amount * {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}.get(unit, 3600)


@register("limit")
def limit(ctx: NodeContext) -> Outputs:
    n = int(ctx.param("maxItems", default=1))
    items = ctx.items
    if ctx.param("keep", default="firstItems") == "lastItems":
        return [items[-n:] if n else []]
    return [items[:n]]
