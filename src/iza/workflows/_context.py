"""What a node implementation sees: its input items, resolved parameters and helpers.

Parameters are resolved lazily: the first ``param()`` call evaluates every ``=`` expression of
the node once per input item in one trip into V8. An expression that threw is stored as a
marker and only raised when the node actually reads that parameter, so a broken expression in
a parameter the node does not use never fails the run (as in n8n).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iza.workflows._errors import NodeError
from iza.workflows._sandbox import UNDEFINED, fast_copy

if TYPE_CHECKING:
    from iza.workflows._engine import Execution
    from iza.workflows._model import Node

__all__ = ["MISSING", "NodeContext"]

MISSING: Any = object()


def _has_expr(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("=")
    if isinstance(value, dict):
        return any(_has_expr(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_expr(v) for v in value)
    return False


def _find_error(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        if "__izaErr" in value:
            return value
        for v in value.values():
            err = _find_error(v)
            if err:
                return err
    elif isinstance(value, list):
        for v in value:
            err = _find_error(v)
            if err:
                return err
    return None


@dataclass
class NodeContext:
    node: Node
    execution: Execution
    inputs: list[list[dict[str, Any]]]
    run_index: int = 0
    source: list[dict[str, Any] | None] = field(default_factory=list)
    _resolved: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def items(self) -> list[dict[str, Any]]:
        return self.inputs[0] if self.inputs else []

    @property
    def version(self) -> float:
        return self.node.type_version

    @property
    def timezone(self) -> str:
        tz = self.execution.workflow.settings.get("timezone")
        return str(tz) if tz and tz != "DEFAULT" else self.execution.timezone

    def _resolve(self) -> list[dict[str, Any]]:
        if self._resolved is None:
            params = self.node.parameters
            if not _has_expr(params):
                self._resolved = [params]
            else:
                res = self.execution.box.eval_params(
                    {
                        "node": self.node.name,
                        "params": params,
                        "items": self.items,
                        "runIndex": self.run_index,
                        "source": self.source,
                    }
                )
                self._resolved = [r["params"] for r in res]
        return self._resolved

    def param(self, name: str, item: int = 0, default: Any = MISSING) -> Any:
        """The parameter ``name`` (dotted path allowed) resolved for item ``item``."""
        resolved = self._resolve()
        params = resolved[min(item, len(resolved) - 1)] if len(resolved) > 1 else resolved[0]
        value: Any = params
        for part in name.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                if default is MISSING:
                    return None
                return default
        err = _find_error(value)
        if err is not None:
            raise NodeError(
                self.node.name,
                f"expression failed: {err['__izaErr']}",
                parameter=err.get("path") or name,
                name="ExpressionError",
                fix="Fix the expression in this parameter; the JavaScript error is shown above.",
            )
        if value is UNDEFINED and default is not MISSING:
            return default
        return fast_copy(value) if isinstance(value, dict | list) else value

    def param_tree(self, item: int = 0) -> dict[str, Any]:
        """All parameters resolved for ``item``; fails on the first expression error in them."""
        resolved = self._resolve()
        params = resolved[min(item, len(resolved) - 1)]
        err = _find_error(params)
        if err is not None:
            raise NodeError(self.node.name, f"expression failed: {err['__izaErr']}",
                            parameter=err.get("path"), name="ExpressionError",
                            fix="Fix the expression in this parameter.")
        return dict(fast_copy(params))

    def raw_param(self, name: str, default: Any = None) -> Any:
        value: Any = self.node.parameters
        for part in name.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return default
        return value

    def eval_expression(self, expr: str, item: int = 0) -> Any:
        res = self.execution.box.eval_one(
            {
                "node": self.node.name,
                "expr": expr,
                "items": self.items,
                "itemIndex": item,
                "runIndex": self.run_index,
                "source": self.source,
            }
        )
        if "error" in res:
            raise NodeError(self.node.name, f"expression failed: {res['error']}", name="ExpressionError")
        return res.get("value")

    def fail(
        self, message: str, *, description: str | None = None, item: int | None = None, fix: str | None = None
    ) -> NodeError:
        err = NodeError(self.node.name, message, description=description, fix=fix)
        err.item_index = item  # type: ignore[attr-defined]
        return err
