"""Crash resume: a real ``iza missions run`` process is killed with SIGKILL mid-mission; a
resume finishes the mission without repeating any completed task.

The playbook fetches from a local HTTP server (allowlisted), which counts requests and holds
the third one open until the test has killed the process, so the kill lands deterministically
in the middle of a task.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from iza.agents import list_missions, mission_view
from iza.kernel.store import Store


class _Server:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.blocked = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits[self.path] += 1
                if self.path == "/block" and not outer.release.is_set():
                    outer.blocked.set()
                    outer.release.wait(120)
                body = f"ok {self.path}".encode()
                try:
                    self.send_response(200)
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client was killed

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.close()


def _catalog(home: Path, port: int) -> None:
    def get(step: str, path: str) -> dict[str, Any]:
        return {"id": step, "title": f"Fetch {path}", "skill": "monitoring", "tool": "http_get",
                "args": {"url": f"http://127.0.0.1:{port}{path}"}}

    service = {
        "id": "crash-test", "name": "Crash test", "description": "Fetches and writes.",
        "keywords": ["crash"], "strategist": "str-delivery", "managers": ["mgr-ops"],
        "price_minor": 0, "currency": "USD", "playbook": [
            {"objective": "First", "manager": "mgr-ops", "steps": [
                get("one", "/one"),
                {"id": "note", "title": "Write notes", "skill": "reporting", "tool": "write_file",
                 "args": {"path": "notes.md", "content": "{request}"}},
                get("two", "/two")]},
            {"objective": "Second", "manager": "mgr-ops", "steps": [
                get("block", "/block"), get("three", "/three")]},
        ]}
    (home / "agents").mkdir(parents=True, exist_ok=True)
    (home / "agents" / "service_catalog.json").write_text(json.dumps({"services": [service]}))


def _iza(home: Path, db_url: str, port: int, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IZA_")}
    env.update(IZA_HOME=str(home), IZA_DATABASE_URL=db_url,
               IZA_AGENTS_HTTP_ALLOWLIST=f"127.0.0.1:{port}")
    return subprocess.Popen([sys.executable, "-m", "iza", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_9_then_resume_repeats_no_completed_task(
    home: Path, db_url: str, store: Store, server: _Server
) -> None:
    _catalog(home, server.port)
    proc = _iza(home, db_url, server.port, "missions", "run", "crash me", "--service", "crash-test")
    try:
        assert server.blocked.wait(120), proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None and not server.blocked.is_set():
            proc.kill()
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    [mission] = list_missions(store)
    mid = mission["id"]
    before = mission_view(store, mid)
    assert before["state"] == "running"  # the process died without finishing anything else
    done_before = {t["id"]: t for t in before["tasks"] if t["state"] == "done"}
    work_done = [t["title"] for t in done_before.values() if t["kind"] == "work"]
    assert work_done == ["Fetch /one", "Write notes", "Fetch /two"]
    interrupted = next(t for t in before["tasks"] if t["title"] == "Fetch /block")
    assert interrupted["state"] == "running"

    server.release.set()
    resume = _iza(home, db_url, server.port, "missions", "resume", mid, "--json")
    out, err = resume.communicate(timeout=120)
    assert resume.returncode == 0, err
    after = json.loads(out)
    assert after["state"] == "completed" and after["mode"] == "offline-playbook"
    tasks = {t["id"]: t for t in after["tasks"]}
    for tid, task in done_before.items():  # completed tasks were not run again
        assert tasks[tid]["attempts"] == task["attempts"] == 1
        assert tasks[tid]["finished_at"] == str(task["finished_at"])
    assert server.hits["/one"] == 1 and server.hits["/two"] == 1
    assert server.hits["/block"] == 2 and server.hits["/three"] == 1
    assert tasks[interrupted["id"]]["attempts"] == 2
    assert (Path(after["workspace"]) / "notes.md").read_text() == "crash me"
