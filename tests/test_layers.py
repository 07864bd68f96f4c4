"""The dependency direction of ARCHITECTURE.md, enforced by parsing every import with ``ast``.

    cli, web, _system → apps, business, repos, monitor → workflows, agents → memory, llm → kernel

A module may import its own package, any lower layer, ``iza.errors`` and ``iza`` itself. Packages
on the same layer stay independent (a lower or sibling package that must reach across registers
through a registry instead), except for the pairs in ``SAME_LAYER_ALLOWED``. Pure modules
(records, messages, money) import no IO library.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "iza"

LAYER = {
    "errors": 0, "kernel": 0, "data": 0,
    "memory": 1, "llm": 1,
    "workflows": 2, "agents": 2,
    "apps": 3, "business": 3, "repos": 3, "monitor": 3,
    "cli": 4, "web": 4, "_system": 4, "__main__": 4, "__init__": 0,
}
#: (importer, imported) pairs on one layer that are allowed, with the reason.
SAME_LAYER_ALLOWED = {
    ("apps", "business"),  # an instant app is sold as an order of the catalog's service
    ("apps", "repos"),  # generated apps are registered as repositories
    ("cli", "web"),  # `iza serve` starts the web app
    ("web", "_system"), ("cli", "_system"),  # the composition root
    ("__main__", "cli"),  # `python -m iza`
}
PURE_NAMES = ("_records.py", "_messages.py", "_money.py")
IO_MODULES = {"sqlite3", "httpx", "stripe", "requests", "socket", "sqlalchemy", "psycopg"}


#: A subsystem's own command group (``cli.py``) and web routes (``routes.py``, ``pages.py``) belong
#: to the interface layer: they may use ``iza.cli``/``iza.web`` helpers, and nothing below imports them.
INTERFACE_PREFIXES = ("cli", "routes", "pages")


def _interface(stem: str) -> bool:
    return any(stem == p or stem.startswith(p + "_") for p in INTERFACE_PREFIXES)


def _package(path: Path) -> str:
    rel = path.relative_to(SRC)
    if len(rel.parts) > 1 and rel.parts[0] not in ("cli", "web") and _interface(rel.stem):
        return "cli" if rel.stem.startswith("cli") else "web"
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "iza":
                found += [(node.lineno, f"iza.{alias.name}") for alias in node.names]
    return found


MODULES = sorted(SRC.rglob("*.py"))


def test_every_package_has_a_layer() -> None:
    unknown = {_package(p) for p in MODULES} - set(LAYER)
    assert not unknown, f"add these packages to LAYER in tests/test_layers.py: {unknown}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    own = _package(path)
    wrong = []
    for lineno, name in _imports(path):
        parts = name.split(".")
        if parts[0] != "iza" or len(parts) < 2:
            continue
        target = parts[1]
        if len(parts) > 2 and _interface(parts[2]) and target not in ("cli", "web"):
            target = "cli" if parts[2].startswith("cli") else "web"
        if target == own or target not in LAYER:
            continue
        if own in ("cli", "web") and target not in ("cli", "web") and LAYER[target] < LAYER[own]:
            continue
        if LAYER[target] > LAYER[own] or (
            LAYER[target] == LAYER[own] and LAYER[own] > 0 and (own, target) not in SAME_LAYER_ALLOWED
        ):
            wrong.append(f"{path.relative_to(SRC)}:{lineno} ({own}) imports {name}")
    assert not wrong, "wrong-way imports:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", [p for p in MODULES if p.name in PURE_NAMES] or [None],
                         ids=lambda p: str(p.relative_to(SRC)) if p else "none")
def test_pure_modules_do_no_io(path: Path | None) -> None:
    if path is None:
        return
    bad = [f"{path.relative_to(SRC)}:{ln} imports {n}" for ln, n in _imports(path)
           if n.split(".")[0] in IO_MODULES]
    assert not bad, "\n".join(bad)


def test_checker_catches_a_wrong_way_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself must be able to fail: a kernel module importing the web layer."""
    fake_src = tmp_path / "iza"
    (fake_src / "kernel").mkdir(parents=True)
    probe = fake_src / "kernel" / "probe.py"
    probe.write_text("from iza.web.app import create_app\nimport iza.memory\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake_src)
    with pytest.raises(AssertionError, match="kernel/probe.py:1 .kernel. imports iza.web.app"):
        test_imports_point_down(probe)
