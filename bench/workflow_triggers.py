"""Workflow triggers under a real server: webhook round trips per second (``lastNode``: the run
finishes inside the request; ``onReceived``: answered at once, run in the background) and the cost
of one scheduler pass over many active scheduled workflows. Prints numbers; asserts nothing.

Usage: TZ=UTC .venv/bin/python bench/workflow_triggers.py [--requests 200] [--workflows 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from iza.kernel.config import load
from iza.kernel.home import ensure_home
from iza.kernel.store import utcnow
from iza.web.app import create_app
from iza.workflows._dispatch import Dispatcher
from iza.workflows._scheduler import Scheduler
from iza.workflows.service import WorkflowService


def _wf(name: str, trigger: dict[str, Any]) -> dict[str, Any]:
    code = {"name": "Code", "type": "n8n-nodes-base.code", "typeVersion": 2, "position": [1, 0],
            "parameters": {"jsCode": "return [{json: {ok: true, n: $json.body ? $json.body.n : 0}}]"}}
    return {"name": name, "nodes": [{**trigger, "name": "Trigger", "position": [0, 0]}, code],
            "connections": {"Trigger": {"main": [[{"node": "Code", "type": "main", "index": 0}]]}}}


def _hook(path: str, mode: str) -> dict[str, Any]:
    return {"type": "n8n-nodes-base.webhook", "typeVersion": 2,
            "parameters": {"httpMethod": "POST", "path": path, "responseMode": mode}}


def _timed(client: httpx.Client, url: str, n: int) -> tuple[float, list[float]]:
    lat = []
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        r = client.post(url, json={"n": i})
        r.raise_for_status()
        lat.append(time.perf_counter() - s)
    return time.perf_counter() - t0, lat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--workflows", type=int, default=200)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp()) / "home"
    settings = load(home, {"workflows.scheduler": False})
    ensure_home(settings)
    app = create_app(settings)
    svc = WorkflowService(app.state.store, settings)
    for path, mode in (("last", "lastNode"), ("now", "onReceived")):
        svc.set_active(svc.import_workflow(_wf(path, _hook(path, mode))), True)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    print(f"python {sys.version.split()[0]}, SQLite store, {args.requests} sequential requests each")
    with httpx.Client(timeout=60) as client:
        _timed(client, f"{base}/webhooks/workflows/last", 10)  # warm up V8 and the connection
        for path in ("last", "now"):
            total, lat = _timed(client, f"{base}/webhooks/workflows/{path}", args.requests)
            lat.sort()
            print(f"webhook {path:>4}: {args.requests / total:7.1f} req/s  p50 "
                  f"{statistics.median(lat) * 1000:6.1f} ms  p95 {lat[int(len(lat) * .95)] * 1000:6.1f} ms")
    app.state.workflow_triggers.dispatcher.wait_idle(120)
    server.should_exit = True
    thread.join()

    sched = {"type": "n8n-nodes-base.scheduleTrigger", "typeVersion": 1.2, "parameters": {
        "rule": {"interval": [{"field": "cronExpression", "expression": "0 */5 * * * *"}]}}}
    for i in range(args.workflows):
        svc.set_active(svc.import_workflow(_wf(f"s{i}", sched)), True)
    scheduler = Scheduler(Dispatcher(svc), clock=utcnow, resume_waiting=False)
    t0 = time.perf_counter()
    scheduler.tick()
    first = time.perf_counter() - t0
    passes = []
    for _ in range(20):
        t0 = time.perf_counter()
        scheduler.tick()
        passes.append(time.perf_counter() - t0)
    print(f"scheduler pass over {args.workflows} active scheduled workflows: first (parse + schedule) "
          f"{first * 1000:.1f} ms, then median {statistics.median(passes) * 1000:.2f} ms")
    app.state.store.dispose()


if __name__ == "__main__":
    main()
