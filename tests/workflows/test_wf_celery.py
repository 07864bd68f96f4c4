"""Workflow executions on a real Celery worker process over Redis (127.0.0.1:6379, its own DB
number and a queue per test), sharing the store with the CLI that queued them — SQLite file and
PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from wf_helpers import chain, node

from iza.kernel.store import Store
from iza.workflows.service import WorkflowService

BROKER = "redis://127.0.0.1:6379/7"


def test_queued_execution_runs_on_a_celery_worker(home: Path, db_url: str, store: Store) -> None:
    svc = WorkflowService(store)
    svc.import_workflow(chain(
        node("Start", "manualTrigger"),
        node("Double", "code", {"jsCode": "return $input.all().map(i => ({json: {n: i.json.n * 2,"
                                          " pid: $execution.id}}))"}, version=2),
        name="double"))
    queue = "iza-wf-test-" + uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IZA_")}
    env.update(IZA_HOME=str(home), IZA_DATABASE_URL=db_url, IZA_CELERY_BROKER_URL=BROKER,
               IZA_WORKFLOWS_CELERY_QUEUE=queue)
    celery_bin = shutil.which("celery", path=str(Path(sys.executable).parent))
    assert celery_bin
    worker = subprocess.Popen(
        [celery_bin, "-A", "iza.workflows.celery_app", "worker", "-Q", queue, "--pool", "solo",
         "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "WARNING"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        run = subprocess.run([sys.executable, "-m", "iza", "workflows", "run", "double", "--queue",
                              "--input", '[{"n": 2}, {"n": 21}]', "--wait", "120", "--json"],
                             env=env, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr
        info = json.loads(run.stdout)
        # a second one through the setting instead of the flag
        env2 = {**env, "IZA_WORKFLOWS_EXECUTOR": "celery"}
        run2 = subprocess.run([sys.executable, "-m", "iza", "workflows", "run", "double",
                               "--input", '{"n": 5}', "--wait", "120", "--json"],
                              env=env2, capture_output=True, text=True, timeout=180)
        assert run2.returncode == 0, run2.stderr
        info2 = json.loads(run2.stdout)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert info["status"] == "success" and info["queue"] == queue
    assert info["workerPid"] == worker.pid  # ran in the worker, not in the CLI process
    detail = svc.execution_detail(info["executionId"])
    assert detail["status"] == "success" and detail["finished_at"]
    assert [n["node"] for n in detail["nodes"]] == ["Start", "Double"]
    assert detail["nodes"][-1]["outputs"][0] == [{"n": 4, "pid": str(info["executionId"])},
                                                 {"n": 42, "pid": str(info["executionId"])}]
    assert info2["status"] == "success" and info2["workerPid"] == worker.pid
    assert svc.execution_detail(info2["executionId"])["nodes"][-1]["outputs"][0][0]["n"] == 10
