"""Missions write to the unified memory: mail in ``iza memory inbox``, results searchable with
provenance in ``mission:<id>``, and ``iza memory forget`` removes a mission's memory."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from agents_script import kind_of, scripted

from iza.agents import (
    ChatRequest,
    ChatResponse,
    StoreMemory,
    ToolCall,
    Workforce,
    create_mission,
    mission_namespace,
    run_mission,
)
from iza.agents._unified_memory import UnifiedMemory
from iza.cli import main
from iza.kernel.config import Settings, load
from iza.kernel.store import Store
from iza.memory import Mailbox, SearchQuery, open_store

MakeWf = Callable[..., Workforce]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main([*args])
        raise SystemExit(0)
    return int(info.value.code or 0), capsys.readouterr().out


def test_offline_mission_memory_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "missions", "run", "Build a todo app for my bakery", "--json")
    view = json.loads(out)
    assert code == 0 and view["state"] == "completed" and view["mode"] == "offline-playbook"
    mid, ns = view["id"], mission_namespace(view["id"])
    notify = next(t for t in view["tasks"] if t["title"].startswith("Tell the account team"))

    code, out = _run(capsys, "memory", "inbox", "--namespace", ns, "mgr-sales", "--json")
    mail = json.loads(out)
    assert code == 0 and len(mail) == 1
    msg = mail[0]
    assert msg["kind"] == "message" and msg["namespace"] == ns
    assert msg["metadata"]["to"] == "mgr-sales" and msg["metadata"]["from"] == notify["agent"]
    assert msg["metadata"]["thread"] == mid
    assert msg["provenance"] == {"agent": notify["agent"], "mission": mid, "task": notify["id"]}
    # another agent's inbox in the same mission is empty; the global mailbox is untouched
    assert json.loads(_run(capsys, "memory", "inbox", "-n", ns, "mgr-apps", "--json")[1]) == []
    assert json.loads(_run(capsys, "memory", "inbox", "mgr-sales", "--json")[1]) == []

    code, out = _run(capsys, "memory", "search", "--namespace", ns, "--k", "3", "--json",
                     "write the app specification")
    hits = json.loads(out)
    assert code == 0 and hits
    spec_task = next(t for t in view["tasks"] if t["id"] == hits[0]["provenance"]["task"])
    assert "specification" in spec_task["title"].lower()
    assert hits[0]["kind"] == "result" and "specification" in hits[0]["text"].lower()
    assert hits[0]["provenance"]["mission"] == mid
    assert hits[0]["provenance"]["agent"] == spec_task["agent"]

    code, out = _run(capsys, "memory", "forget", "--namespace", ns, "--json")
    assert code == 0 and json.loads(out)["forgotten"] >= 8  # 7 work results + the message
    assert json.loads(_run(capsys, "memory", "search", "-n", ns, "--k", "3", "--json",
                           "write the app specification")[1]) == []
    assert json.loads(_run(capsys, "memory", "inbox", "-n", ns, "mgr-sales", "--all", "--json")[1]) == []
    # the mission itself (task tree, trace) lives in the relational store and is kept
    assert json.loads(_run(capsys, "missions", "show", mid, "--json")[1])["state"] == "completed"


def test_scripted_mission_mail_and_results(make_wf: MakeWf, settings: Settings, store: Store) -> None:
    def script(req: ChatRequest) -> ChatResponse | None:
        if kind_of(req) != "work":
            return None
        title = req.messages[1].content.splitlines()[0]
        if title == "Work item: Frontend" and not any(m.role == "tool" for m in req.messages):
            return ChatResponse(tool_calls=(
                ToolCall("m1", "send_message", {"to": "wkr-apps-4", "body": "list view needs GET /items"}),
                ToolCall("m2", "memory_add", {"text": "frontend uses a kanban board", "kind": "decision"}),
            ))
        return None

    wf = make_wf(scripted(script))
    assert isinstance(wf.memory, UnifiedMemory)
    mid = create_mission(wf, "Build a todo app", order_id="ord-42")
    view = run_mission(wf, mid)
    assert view["state"] == "completed" and view["mode"] == "llm"
    front = next(t for t in view["tasks"] if t["title"] == "Frontend")

    mem = open_store(settings, embedder=None)
    inbox = Mailbox(mem, mission_namespace(mid)).inbox("wkr-apps-4")
    assert [(m.metadata["from"], m.text) for m in inbox] == [(front["agent"], "list view needs GET /items")]
    assert inbox[0].provenance == {"agent": front["agent"], "mission": mid, "task": front["id"],
                                   "order": "ord-42"}
    hits = mem.search(SearchQuery(namespace=mission_namespace(mid), text="kanban board", k=3))
    assert hits[0].record.text == "frontend uses a kanban board" and hits[0].record.kind == "decision"
    assert hits[0].record.provenance == {"agent": front["agent"], "mission": mid, "task": front["id"],
                                         "order": "ord-42"}
    # the agents' own search tool reads the same memory
    found = wf.memory.search(mission_namespace(mid), "kanban")
    assert found[0].agent_id == front["agent"] and found[0].task_id == front["id"]


def test_missions_do_not_see_each_others_memory(make_wf: MakeWf, settings: Settings) -> None:
    wf = make_wf()
    first = create_mission(wf, "Build a todo app for my bakery")
    second = create_mission(wf, "Build a todo app for my florist")
    run_mission(wf, first)
    run_mission(wf, second)
    for mid, other in ((first, "florist"), (second, "bakery")):
        hits = wf.memory.search(mission_namespace(mid), f"todo app {other} specification", 50)
        assert hits and all(h.mission_id == mid for h in hits)
        assert all(other not in h.text for h in hits)
        assert [m.mission_id for m in wf.memory.inbox("mgr-sales", mid)] == [mid]


def test_acked_mail_stays_in_the_agents_view(make_wf: MakeWf, settings: Settings) -> None:
    """A person acking in the CLI must not change what a resumed agent's prompt is built from."""
    wf = make_wf()
    mid = run_mission(wf, create_mission(wf, "Build a todo app for my bakery"))["id"]
    mem = open_store(settings, embedder=None)
    box = Mailbox(mem, mission_namespace(mid))
    [msg] = box.inbox("mgr-sales")
    box.ack(msg.id)
    assert box.inbox("mgr-sales") == []
    assert [m.id for m in wf.memory.inbox("mgr-sales", mid)] == [msg.id]


def test_tables_setting_keeps_the_workforce_tables(settings: Settings, store: Store) -> None:
    home = settings.home
    (home / "iza.toml").write_text('[agents]\nmemory = "tables"\n')
    wf = Workforce.from_settings(load(home), store)
    assert isinstance(wf.memory, StoreMemory)
    mid = run_mission(wf, create_mission(wf, "Build a todo app for my bakery"))["id"]
    assert [m.mission_id for m in StoreMemory(store).inbox("mgr-sales", mid)] == [mid]
    assert Mailbox(open_store(load(home), embedder=None), mission_namespace(mid)).inbox("mgr-sales") == []


def test_empty_query_finds_nothing(make_wf: MakeWf) -> None:
    wf = make_wf()
    mid = run_mission(wf, create_mission(wf, "Build a todo app for my bakery"))["id"]
    assert wf.memory.search(mission_namespace(mid), "   ") == []
    assert wf.memory.search(mission_namespace(mid), "specification")


def test_mission_mail_on_the_memory_dashboard(make_wf: MakeWf, settings: Settings, store: Store) -> None:
    import asyncio

    import httpx

    from iza.kernel.tokens import create_token
    from iza.web.app import create_app

    wf = make_wf()
    mid = run_mission(wf, create_mission(wf, "Build a todo app for my bakery"))["id"]
    [msg] = wf.memory.inbox("mgr-sales", mid)
    app = create_app(settings)
    _, token = create_token(Store.from_settings(settings), "tester")

    async def page() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.post("/login", data={"token": token, "next": "/memory"})
            assert r.status_code == 303
            r = await client.get("/memory")
            assert r.status_code == 200
            return r.text

    text = asyncio.run(page())
    assert msg.id in text and f"<code>{mission_namespace(mid)}</code>" in text
    assert f"{msg.sender} → mgr-sales" in text
    Mailbox(open_store(settings, embedder=None), mission_namespace(mid)).ack(msg.id)
    after = asyncio.run(page())  # acknowledged mail leaves the mailboxes (it stays a recent write)
    assert f"{msg.sender} → mgr-sales" not in after and "No open messages." in after
