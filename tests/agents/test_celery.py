"""A mission runs on a real Celery worker process over the Redis broker at 127.0.0.1:6379.

The worker is started as a subprocess with the same data home and database as the test; each
test run uses its own queue name, so other users of the shared Redis are not disturbed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from iza.agents import mission_view
from iza.kernel.store import Store


def test_mission_runs_on_a_celery_worker(home: Path, db_url: str, store: Store) -> None:
    queue = "iza-agents-test-" + uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IZA_")}
    env.update(IZA_HOME=str(home), IZA_DATABASE_URL=db_url, IZA_EXECUTOR="celery",
               IZA_CELERY_BROKER_URL="redis://127.0.0.1:6379/0", IZA_AGENTS_CELERY_QUEUE=queue)
    celery_bin = shutil.which("celery", path=str(Path(sys.executable).parent))
    assert celery_bin
    worker = subprocess.Popen(
        [celery_bin, "-A", "iza.agents.celery_app", "worker", "-Q", queue, "--pool", "solo",
         "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "WARNING"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        run = subprocess.run([sys.executable, "-m", "iza", "missions", "run",
                              "Set up a knowledge base for our policies", "--json"],
                             env=env, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr
        view = json.loads(run.stdout)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert view["state"] == "completed" and view["mode"] == "offline-playbook"
    assert view["service"] == "knowledge-base"
    stored = mission_view(store, view["id"])
    assert stored["state"] == "completed"
    assert all(t["state"] == "done" for t in stored["tasks"])
    # the mission ran in the worker process, not in the CLI process that queued it
    assert view["executor"] == {"kind": "celery", "worker_pid": worker.pid, "queue": queue}
    assert (Path(stored["workspace"]) / "knowledge" / "TAXONOMY.md").is_file()
