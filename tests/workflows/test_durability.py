"""Durability: every node run is persisted; a killed execution resumes without re-running nodes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from wf_helpers import chain, node

from iza.kernel.config import load
from iza.kernel.store import Store
from iza.workflows._tables import ExecutionRow, NodeRunRow
from iza.workflows.service import WorkflowService


def _workflow(wait_seconds: float) -> dict:
    return chain(
        node("Start", "manualTrigger"),
        node("First", "code", {"jsCode": "return [{n: 1, at: Date.now()}]"}),
        node("Pause", "wait", {"amount": wait_seconds, "unit": "seconds"}),
        node(
            "After",
            "code",
            {
                "jsCode": "return $input.all().map(i => ({json: {n: i.json.n + 1, "
                "first: $('First').first().json.at}}))"
            },
        ),
        name="durable",
    )


def test_kill_9_resumes_from_last_completed_node(home: Path, tmp_path: Path) -> None:
    wf_file = tmp_path / "durable.json"
    wf_file.write_text(json.dumps(_workflow(60)))  # < 65 s: sleeps in-process
    env = {**os.environ, "IZA_HOME": str(home), "TZ": "UTC"}
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "iza", "workflows", "run", str(wf_file), "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    settings = load(home)
    store = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (home / "data" / "iza.db").exists():
                store = store or Store.from_settings(settings)
                try:
                    with store.read() as s:
                        done = s.scalars(sa.select(NodeRunRow.node)).all()
                except Exception:
                    done = []
                if "First" in done:
                    break
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        else:
            raise AssertionError("the subprocess never completed node 'First'")
        time.sleep(0.3)  # now inside the Wait node's sleep
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert store is not None
    with store.read() as s:
        row = s.scalars(sa.select(ExecutionRow)).one()
        assert row.status == "running"  # the dead process never finished it
        first_at = (
            s.scalars(sa.select(NodeRunRow).where(NodeRunRow.node == "First"))
            .one()
            .run["data"]["main"][0][0]["json"]["at"]
        )
        exec_id = row.id

    svc = WorkflowService(store, settings, sleep=lambda _s: None)
    assert svc.recover() == [exec_id]
    out = svc.execution_output(exec_id)
    assert out["status"] == "success"
    run_data = out["data"]["resultData"]["runData"]
    assert len(run_data["First"]) == 1  # not re-run
    after = run_data["After"][0]["data"]["main"][0][0]["json"]
    assert after == {"n": 2, "first": first_at}
    with store.read() as s:
        assert (
            s.scalar(sa.select(sa.func.count()).select_from(NodeRunRow).where(NodeRunRow.node == "First"))
            == 1
        )
    store.dispose()


def test_long_wait_parks_execution_and_resumes_when_due(store: Store) -> None:
    svc = WorkflowService(store)
    exec_id, result = svc.run(WorkflowService.parse(_workflow(3600)))
    assert result.status == "waiting"
    rows = svc.executions()
    assert rows[0]["status"] == "waiting" and rows[0]["wait_till"]
    assert svc.resume_due() == []  # not due yet
    from datetime import UTC, datetime, timedelta

    assert svc.resume_due(datetime.now(UTC) + timedelta(hours=2)) == [exec_id]
    out = svc.execution_output(exec_id)
    assert out["status"] == "success"
    assert out["data"]["resultData"]["runData"]["After"][0]["data"]["main"][0][0]["json"]["n"] == 2
    assert len(out["data"]["resultData"]["runData"]["First"]) == 1


def test_every_node_run_is_persisted(store: Store) -> None:
    svc = WorkflowService(store, sleep=lambda _s: None)
    exec_id, result = svc.run(WorkflowService.parse(_workflow(1)))
    assert result.status == "success"
    with store.read() as s:
        nodes = s.scalars(
            sa.select(NodeRunRow.node).where(NodeRunRow.execution_id == exec_id).order_by(NodeRunRow.seq)
        ).all()
    assert nodes == ["Start", "First", "Pause", "After"]
