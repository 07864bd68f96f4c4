"""Several ``iza missions run`` processes at once on one store, each running work items in
threads: every mission completes, and assignments saw each other's load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iza.agents import list_missions
from iza.kernel.store import Store


@pytest.mark.slow
def test_three_processes_at_once(home: Path, db_url: str, store: Store) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IZA_")}
    env.update(IZA_HOME=str(home), IZA_DATABASE_URL=db_url, IZA_AGENTS_PARALLEL_ITEMS="3")
    requests = ["Build a todo app", "Build a recipe app", "Build a habit tracker app"]
    procs = [subprocess.Popen([sys.executable, "-m", "iza", "missions", "run", r, "--json"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for r in requests]
    views = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        views.append(json.loads(out))
    assert [v["state"] for v in views] == ["completed"] * 3
    assert {v["limits"]["parallel_items"] for v in views} == {3}
    assert len(list_missions(store)) == 3
    for v in views:
        assert all(t["state"] == "done" and t["attempts"] == 1 for t in v["tasks"])
        assert len(v["assignments"]) == 7
