"""The two ports: adapters registered by the LLM and memory layers are used by default; the
status page reports the workforce; a mission running in a live process is not resumed twice."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from agents_script import scripted

from iza.agents import (
    ChatModel,
    MailMessage,
    MemoryRecord,
    MemorySink,
    MissionStateError,
    Workforce,
    create_mission,
    register_memory_factory,
    register_model_factory,
    run_mission,
)
from iza.agents._models import MissionRow
from iza.cli import main
from iza.kernel.config import Settings
from iza.kernel.store import Store


class ListMemory:
    """A second MemorySink implementation (what an iza.memory adapter would be)."""

    def __init__(self) -> None:
        self.records: list[MemoryRecord] = []
        self.mail: list[MailMessage] = []

    def add(self, record: MemoryRecord) -> str:
        self.records.append(record)
        return str(len(self.records))

    def search(self, namespace: str, query: str, limit: int = 5) -> Sequence[MemoryRecord]:
        return [r for r in self.records if r.namespace == namespace and query in r.text][:limit]

    def send(self, message: MailMessage) -> str:
        self.mail.append(message)
        return str(len(self.mail))

    def inbox(self, recipient: str, mission_id: str | None = None) -> Sequence[MailMessage]:
        return [m for m in self.mail if m.recipient == recipient
                and (mission_id is None or m.mission_id == mission_id)]


def test_registered_adapters_are_used(settings: Settings, store: Store) -> None:
    memory = ListMemory()
    model = scripted()
    assert isinstance(memory, MemorySink) and isinstance(model, ChatModel)
    register_memory_factory(lambda s, st: memory)
    register_model_factory(lambda s: model)
    try:
        wf = Workforce.from_settings(settings, store)
    finally:
        register_memory_factory(None)
        register_model_factory(None)
    assert wf.mode == "llm" and wf.memory is memory
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "completed" and model.calls
    results = [r for r in memory.records if r.kind == "result"]
    assert len(results) == 4 and all(r.mission_id == view["id"] and r.task_id for r in results)
    assert Workforce.from_settings(settings, store).mode == "offline-playbook"


def test_no_second_runner_for_a_live_mission(settings: Settings, store: Store) -> None:
    wf = Workforce.from_settings(settings, store)
    mid = create_mission(wf, "Build a todo app")
    with store.transaction() as session:  # as if another live process were running it
        session.execute(sa.update(MissionRow).where(MissionRow.id == mid)
                        .values(state="running", runner_pid=os.getppid()))
    with pytest.raises(MissionStateError, match=f"running in process {os.getppid()}"):
        run_mission(wf, mid)


def test_status_reports_the_workforce(capsys: pytest.CaptureFixture[str]) -> None:
    main(["missions", "run", "Build a todo app", "--json"])
    capsys.readouterr()
    main(["status", "--json"])
    components = {c["name"]: c for c in json.loads(capsys.readouterr().out)["components"]}
    agents = components["agents"]
    assert agents["status"] == "ok" and agents["metrics"]["missions"] == 1
    assert "4 strategists, 8 managers, 40 workers" in agents["detail"]
