"""The public surface and the layer rule of iza.memory."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import iza.memory

SRC = Path(iza.memory.__file__).parent


def test_all_is_sorted_and_complete():
    public = {n for n in dir(iza.memory) if not n.startswith("_") and n not in {"annotations"}}
    modules = {n for n in public if type(getattr(iza.memory, n)).__name__ == "module"}
    assert iza.memory.__all__ == sorted(iza.memory.__all__)
    assert set(iza.memory.__all__) == public - modules


def test_memory_imports_only_kernel_and_errors():
    # cli.py / routes.py are the sanctioned seams (docs/developing.md): they import the CLI
    # context and the web templating/auth, which themselves never import iza.memory's internals.
    allowed = ("iza.memory", "iza.kernel", "iza.errors", "iza.cli._context")
    for path in SRC.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("iza"):
                    ok = (
                        name.startswith(allowed[:3])
                        or (path.name in {"cli.py", "cli_more.py"} and name.startswith(allowed[3]))
                        # `memorize` hands iza.llm to the pure extractor; the core never imports it
                        or (path.name == "cli_more.py" and name == "iza.llm")
                        or (path.name == "routes.py" and name in {"iza.web.auth", "iza.web.templating"})
                    )
                    assert ok, f"{path.name} imports {name}"


def test_importing_memory_loads_no_heavy_dependency():
    code = (
        "import sys, iza.memory, iza.memory.cli; "
        "print(sorted(m for m in ('numpy', 'tokenizers', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
