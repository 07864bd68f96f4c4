"""The package's public surface and its place in the layers."""

from __future__ import annotations

import ast
from pathlib import Path

import iza.agents

PKG = Path(iza.agents.__file__).parent
ALLOWED = ("iza.agents", "iza.kernel", "iza.errors", "iza.memory", "iza.llm")
#: The subsystem's own CLI and web routes plug into the interfaces, as docs/developing.md says.
INTERFACE_MODULES = {"cli.py": ("iza.cli",), "routes.py": ("iza.web",)}


def test_all_is_sorted_and_complete() -> None:
    public = {n for n in dir(iza.agents) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if n.startswith(("cli", "routes", "health", "celery_app"))}
    assert iza.agents.__all__ == sorted(iza.agents.__all__)
    assert set(iza.agents.__all__) == public - modules


def test_imports_respect_the_layers() -> None:
    for path in PKG.rglob("*.py"):
        allowed = ALLOWED + INTERFACE_MODULES.get(path.name, ())
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("iza"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"


def test_modules_stay_small() -> None:
    for path in PKG.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name
