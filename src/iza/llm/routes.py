"""The LLM usage page (``/llm``) and its JSON API (``/api/v1/llm/…``) for the dashboard.

The page template ships inside this package and is compiled against the web app's Jinja
environment, so it extends ``base.html`` like every page without the web package having to know
about it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from iza.kernel.tokens import TokenInfo
from iza.web.auth import api_user, page_user

__all__ = ["router", "usage_data"]

router = APIRouter()


@lru_cache(maxsize=1)
def _template() -> Any:
    from iza.web.templating import templates

    text = resources.files("iza.llm").joinpath("templates/llm_usage.html").read_text(encoding="utf-8")
    return templates.env.from_string(text)


def usage_data(request: Request, days: int) -> dict[str, Any]:
    """Everything the page shows: status, totals, and usage by day, model and agent."""
    from iza.llm._journal import usage_report
    from iza.llm._status import llm_status

    store = request.app.state.store
    since = datetime.now(UTC) - timedelta(days=days)
    by_day = usage_report(store, "day", since=since)
    by_model = usage_report(store, "model", since=since)
    top = max((d["cost_usd"] for d in by_day), default=0.0)
    for d in by_day:
        d["bar"] = round(100 * d["cost_usd"] / top) if top else 0
    total = {k: sum(r[k] for r in by_model) for k in ("calls", "input_tokens", "output_tokens", "cost_usd")}
    return {"status": llm_status(request.app.state.settings), "days": days, "total": total,
            "by_day": by_day, "by_model": by_model, "by_agent": usage_report(store, "agent", since=since)}


@router.get("/llm", response_class=HTMLResponse, include_in_schema=False)
def llm_page(request: Request, user: Annotated[TokenInfo, Depends(page_user)],
             days: Annotated[int, Query(ge=1, le=3650)] = 30) -> HTMLResponse:
    html = _template().render(user=user, active="/llm", **usage_data(request, days))
    return HTMLResponse(html)


@router.get("/api/v1/llm/usage")
def usage_api(request: Request, user: Annotated[TokenInfo, Depends(api_user)],
              by: Annotated[str, Query(pattern="^(agent|model|day|mission|order)$")] = "model",
              days: Annotated[int, Query(ge=1, le=3650)] = 30) -> dict[str, Any]:
    """Calls, tokens and cost grouped by agent, model, day or mission over the last ``days``."""
    from iza.llm._journal import usage_report

    rows = usage_report(request.app.state.store, by, since=datetime.now(UTC) - timedelta(days=days))
    return {"by": by, "days": days, "rows": rows}


@router.get("/api/v1/llm/status")
def status_api(request: Request, user: Annotated[TokenInfo, Depends(api_user)]) -> dict[str, Any]:
    """Which providers are configured (no secrets), the default model and the aliases."""
    from iza.llm._status import llm_status

    return llm_status(request.app.state.settings)
