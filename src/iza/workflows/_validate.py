"""Static validation of workflow files: structure errors and unsupported node types, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iza.errors import IzaError
from iza.workflows._model import parse_workflow
from iza.workflows.nodes._registry import is_supported

__all__ = ["looks_like_workflow", "validate_data", "validate_file"]

#: Types that never run (canvas notes) and need no implementation.
_INERT = {"n8n-nodes-base.stickyNote"}


def validate_data(data: Any, source: str) -> dict[str, Any]:
    result: dict[str, Any] = {"file": source, "ok": False, "nodes": 0, "unsupported": [], "errors": []}
    try:
        wf = parse_workflow(data, source=source)
    except IzaError as exc:
        result["errors"].append(exc.message)
        return result
    except Exception as exc:  # validation must never crash on odd input
        result["errors"].append(f"{source}: cannot parse workflow: {type(exc).__name__}: {exc}")
        return result
    result["nodes"] = len(wf.nodes)
    unsupported = sorted(
        {n.type for n in wf.nodes.values() if n.type not in _INERT and not is_supported(n.type)}
    )
    result["unsupported"] = unsupported
    result["ok"] = not unsupported
    return result


def validate_file(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {
            "file": str(p),
            "ok": False,
            "nodes": 0,
            "unsupported": [],
            "errors": [f"cannot read {p}: {exc}"],
        }
    return validate_data(text, str(p))


def looks_like_workflow(path: str | Path) -> bool:
    """False only for readable JSON that is clearly not a workflow (no ``nodes`` key), such as an
    ``index.json`` next to the workflows; unreadable or malformed files count as workflows so
    that validation reports them instead of hiding them."""
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return True
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    return isinstance(data, dict) and "nodes" in data
