"""The JavaScript sandbox: one V8 isolate (mini-racer) per thread for expressions and Code nodes.

Why V8 and not a Python re-implementation: n8n expressions *are* JavaScript (optional chaining,
arrow functions, regexes, Luxon), so anything short of a real engine diverges on the first
non-trivial workflow. mini-racer embeds V8 with no Node.js APIs: there is no ``require``, no
filesystem, no network and no ``process`` — the sandbox is what is *absent*. Each call runs
under a time limit (V8 ``TerminateExecution``) and the isolate has a hard heap limit.

Data crosses the boundary only as JSON text, so no live JS object leaks into Python.
Luxon (MIT, vendored in ``js/``) provides ``DateTime``. Code that uses ``await`` runs as an
async function; its synchronous part is bounded by the time limit, but code spinning forever
*after* an ``await`` cannot be interrupted by mini-racer (documented limitation).
"""

from __future__ import annotations

import json
import logging
import threading
from importlib import resources
from typing import Any

from iza.workflows._errors import WorkflowError

__all__ = ["UNDEFINED", "JsSandbox", "fast_copy", "from_js", "sandbox"]

logger = logging.getLogger(__name__)


class _Undefined:
    """JavaScript ``undefined`` as it comes back from an expression."""

    _inst: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED = _Undefined()


def fast_copy(value: Any) -> Any:
    """Deep copy of JSON-shaped data (dicts, lists, scalars) — several times faster than deepcopy."""
    if isinstance(value, dict):
        return {k: fast_copy(v) if isinstance(v, dict | list) else v for k, v in value.items()}
    if isinstance(value, list):
        return [fast_copy(v) if isinstance(v, dict | list) else v for v in value]
    return value


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "__izaUndef" in obj:
            return UNDEFINED
        if "__izaNaN" in obj:
            return float("nan")
        if "__izaInf" in obj:
            return float("inf") * obj["__izaInf"]
    return obj


def from_js(text: str) -> Any:
    """Parse JSON produced by the runtime, restoring ``undefined``/NaN/Infinity markers."""
    return json.loads(text, object_hook=_hook)


def _to_js(value: Any) -> str:
    return json.dumps(value, default=_default, allow_nan=False, ensure_ascii=False)


def _default(obj: Any) -> Any:
    if obj is UNDEFINED:
        return None
    return str(obj)


def _clean(value: Any) -> Any:
    """Make Python data JSON-safe for the trip into V8 (NaN → null like JSON.stringify)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _source() -> str:
    pkg = resources.files("iza.workflows") / "js"
    return "\n;\n".join(
        (pkg / name).read_text(encoding="utf-8")
        for name in ("luxon.min.js", "extensions.js", "runtime.js", "datetime.js")
    )


#: Vendored libraries loaded on demand (see ``js/`` for their licences), in load order.
_LIBRARIES: dict[str, tuple[str, ...]] = {
    "markdown": ("node-html-markdown.bundle.js", "showdown.min.js", "markdown.js"),
    "html": ("html-extract.bundle.js", "html.js"),
    "sheet": ("xlsx.core.min.js", "sheet.js"),
}


class JsSandbox:
    """A V8 context with the IZA runtime loaded; not thread-safe (one per thread)."""

    def __init__(self, *, timeout_s: float = 10.0, max_memory_mb: int = 512) -> None:
        try:
            from py_mini_racer import MiniRacer
        except ImportError as exc:  # pragma: no cover - depends on install
            from iza.errors import MissingDependency

            raise MissingDependency("mini-racer", "workflows", purpose="Workflow expressions") from exc
        self.timeout_s = timeout_s
        self.max_memory = max_memory_mb * 1024 * 1024
        self._ctx = MiniRacer()
        self._ctx.set_hard_memory_limit(self.max_memory)
        self._ctx.eval(_source())
        #: Statements (run data, node context) queued for the next call: each trip into V8 costs
        #: a thread hand-off, so bookkeeping rides along with the next real evaluation.
        self._pending: list[str] = []
        self._ctx_nodes: set[str] = set()
        self._moment = False
        self._libraries: set[str] = set()

    def queue(self, statement: str) -> None:
        """Run ``statement`` (trusted runtime code) just before the next call."""
        self._pending.append(statement)

    def ensure_moment(self) -> None:
        """Load moment + moment-timezone (Date & Time v1) on first use: they are 200 KB of JS."""
        if not self._moment:
            pkg = resources.files("iza.workflows") / "js"
            for name in ("moment.min.js", "moment-timezone.min.js"):
                self._ctx.eval((pkg / name).read_text(encoding="utf-8"))
            self._moment = True

    def ensure_library(self, name: str) -> None:
        """Load a vendored library on first use (``markdown``: node-html-markdown + showdown;
        ``html``: cheerio + html-to-text; ``sheet``: SheetJS)."""
        if name in self._libraries:
            return
        pkg = resources.files("iza.workflows") / "js"
        for file in _LIBRARIES[name]:
            code = (pkg / file).read_text(encoding="utf-8")
            if file.endswith(".bundle.js"):
                # npm bundles read ``process.env`` for debug switches; V8 alone has no ``process``.
                code = f"(function (process) {{\n{code}\n}})({{ env: {{}} }});"
            self._ctx.eval(code)
        self._libraries.add(name)

    def call_raw(self, fn: str, payload: Any) -> dict[str, Any]:
        """Call a global runtime function taking and returning JSON text."""
        return dict(from_js(self._call(fn, payload, global_fn=True)))

    def _call(self, fn: str, payload: Any, timeout_s: float | None = None, *, global_fn: bool = False) -> str:
        from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException

        target = fn if global_fn else f"__iza.{fn}"
        code = f"{target}({json.dumps(_to_js(_clean(payload)))})"
        if self._pending:
            code = ";\n".join([*self._pending, code])
            self._pending.clear()
        try:
            result = self._ctx.eval(code, timeout_sec=timeout_s or self.timeout_s)
        except JSTimeoutException as exc:
            raise _Limit("time", timeout_s or self.timeout_s) from exc
        except JSOOMException as exc:
            raise _Limit("memory", self.max_memory // (1024 * 1024)) from exc
        except JSEvalException as exc:
            raise WorkflowError(f"JavaScript runtime error: {exc}") from exc
        return str(result)

    def configure(self, config: dict[str, Any]) -> None:
        self._pending.clear()
        self._pending.append(f"__iza.configure({json.dumps(_to_js(_clean(config)))})")

    def set_run(self, node: str, run: dict[str, Any]) -> None:
        self._pending.append(f"__iza.setRun({json.dumps(node)}, {json.dumps(_to_js(_clean(run)))})")

    def set_context(self, node: str, context: dict[str, Any]) -> None:
        if context or node in self._ctx_nodes:
            self._ctx_nodes.add(node)
            self._pending.append(
                f"__iza.setContext({json.dumps(node)}, {json.dumps(_to_js(_clean(context)))})")

    def eval_params(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        return list(from_js(self._call("evalParams", request)))

    def eval_one(self, request: dict[str, Any]) -> dict[str, Any]:
        return dict(from_js(self._call("evalOne", request)))

    def run_code(self, request: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
        text = self._call("runCode", request, timeout_s)
        if text == "__pending__":
            # Async code: its continuation ran as microtasks once the call returned.
            text = str(self._ctx.eval("__iza.takeCode()", timeout_sec=timeout_s or self.timeout_s))
        return dict(from_js(text))


class _Limit(WorkflowError):
    def __init__(self, kind: str, limit: float) -> None:
        unit = "s" if kind == "time" else " MiB"
        super().__init__(
            f"JavaScript stopped: it exceeded its {kind} limit ({limit:g}{unit})",
            fix="Look for an endless loop or runaway data in the code or expression; raise "
            "workflows.code_timeout_s / workflows.code_memory_mb only if the work is legitimate.",
        )
        self.kind = kind


_local = threading.local()


def sandbox(*, timeout_s: float = 10.0, max_memory_mb: int = 512, fresh: bool = False) -> JsSandbox:
    """This thread's sandbox, created on first use (loading Luxon costs a few milliseconds)."""
    box: JsSandbox | None = getattr(_local, "box", None)
    if box is None or fresh:
        box = JsSandbox(timeout_s=timeout_s, max_memory_mb=max_memory_mb)
        _local.box = box
    box.timeout_s = timeout_s
    return box
