"""Structural rules of STYLE.md: public surfaces, module size, docs, lean imports."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from iza.kernel.config import SECRETS, SETTINGS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "iza"
#: modules allowed above 600 lines, with the reason.
SIZE_ALLOWLIST: dict[str, str] = {}


def test_modules_stay_small() -> None:
    big = []
    for path in SRC.rglob("*.py"):
        rel = str(path.relative_to(SRC))
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > 600 and rel not in SIZE_ALLOWLIST:
            big.append(f"{rel}: {lines} lines")
    assert not big, "split these modules on a second concept: " + ", ".join(big)


def _public_packages() -> list[str]:
    return sorted(
        "iza." + p.parent.relative_to(SRC).as_posix().replace("/", ".")
        for p in SRC.glob("*/__init__.py")
    )


@pytest.mark.parametrize("package", _public_packages())
def test_all_is_sorted_and_matches_public_names(package: str) -> None:
    path = SRC / package.removeprefix("iza.").replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    declared = None
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id == "__all__":
                declared = ast.literal_eval(node.value)  # type: ignore[arg-type]
    assert declared is not None, f"{package} has no __all__"
    assert declared == sorted(declared), f"{package}.__all__ is not sorted"
    module = importlib.import_module(package)
    unresolved = [n for n in declared if not hasattr(module, n)]
    assert not unresolved, f"{package}.__all__ names that do not resolve: {unresolved}"
    import __future__

    def is_own(name: str, value: object) -> bool:
        if name.startswith("_") or name == "TYPE_CHECKING":
            return False
        if isinstance(value, type(sys) | __future__._Feature):
            return False
        return getattr(value, "__module__", "") not in ("typing", "collections.abc", "typing_extensions")

    public = sorted(n for n, v in vars(module).items() if is_own(n, v))
    missing = [n for n in public if n not in declared]
    assert not missing, f"{package}: public names missing from __all__: {missing}"


def test_every_setting_and_secret_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in doc]
    missing += [s.env for s in SECRETS if f"`{s.env}`" not in doc]
    assert not missing, f"run `python scripts/gen_docs.py`; undocumented: {missing}"


def test_generated_docs_are_current() -> None:
    """docs/configuration.md and docs/cli.md are generated; they must match the code."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        gen = importlib.import_module("gen_docs")
    finally:
        sys.path.pop(0)
    for name, text in gen.render().items():
        current = (ROOT / "docs" / name).read_text(encoding="utf-8")
        if current != text:
            import difflib

            diff = "".join(list(difflib.unified_diff(
                current.splitlines(True), text.splitlines(True), "on disk", "generated"))[:40])
            pytest.fail(f"docs/{name} is stale: run `python scripts/gen_docs.py`\n{diff}")


def test_every_cli_command_is_documented() -> None:
    from iza.cli import COMMANDS

    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if not re.search(rf"`iza {name}\b", doc)]
    assert not missing, f"document these commands in docs/cli.md: {missing}"


def test_import_iza_is_cheap() -> None:
    code = "import iza, sys; print(sorted(m for m in sys.modules if m.startswith('iza')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['iza']"


def test_status_does_not_import_the_web_stack_or_llm_sdks() -> None:
    code = (
        "import sys\nfrom iza.cli import main\n"
        "try:\n    main(['status', '--json'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({'.'.join(m.split('.')[:2]) if m.startswith('google.') else m.split('.')[0]"
        " for m in sys.modules} & {'fastapi', 'uvicorn', 'starlette', 'openai', 'anthropic',"
        " 'google.genai', 'stripe', 'chromadb', 'torch'})\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stderr


def test_test_module_basenames_are_unique() -> None:
    """tests/ has no __init__.py files, so two test modules with one basename break collection."""
    seen: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        seen.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    dupes = {k: v for k, v in seen.items() if len(v) > 1}
    assert not dupes, f"rename these test modules to unique names: {dupes}"
