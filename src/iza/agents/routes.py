"""The workforce on the dashboard: the Agents page, a page per mission (task tree,
assignments, timeline, approve/reject), and the JSON API under ``/api/v1/agents``.

Missions started or approved from the web run in a background task of the web process with the
same :func:`run_mission` the CLI uses; the page re-reads the store, so it shows progress.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, PackageLoader
from pydantic import BaseModel, Field

from iza.agents._missions import (
    create_mission,
    decide_approval,
    list_missions,
    mission_view,
)
from iza.agents._runner import run_mission
from iza.agents._trace import otel_export, timeline
from iza.agents._workforce import Workforce, load_definitions
from iza.kernel.tokens import TokenInfo
from iza.web.auth import api_user, page_user
from iza.web.templating import templates as _base

__all__ = ["router"]

_templates = Jinja2Templates(env=_base.env.overlay(
    loader=ChoiceLoader([PackageLoader("iza.agents", "templates"), _base.env.loader])))  # type: ignore[list-item]

router = APIRouter()
api = APIRouter(prefix="/api/v1/agents", tags=["agents"], dependencies=[Depends(api_user)])


def _workforce(request: Request) -> Workforce:
    return Workforce.from_settings(request.app.state.settings, request.app.state.store)


def _run_quietly(request: Request, mission_id: str) -> None:
    run_mission(_workforce(request), mission_id)


# ---- pages -----------------------------------------------------------------------------
@router.get("/agents", response_class=HTMLResponse, include_in_schema=False)
def agents_page(request: Request, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    roster, catalog = load_definitions(request.app.state.settings.home)
    missions = list_missions(request.app.state.store, limit=50)
    return _templates.TemplateResponse(request, "agents/agents.html", {
        "user": user, "active": "/agents", "roster": roster, "catalog": catalog,
        "missions": missions,
        "waiting": [m for m in missions if m["state"] == "awaiting_approval"],
    })


@router.get("/agents/missions/{mission_id}", response_class=HTMLResponse, include_in_schema=False)
def mission_page(request: Request, mission_id: str,
                 user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    store = request.app.state.store
    view = mission_view(store, mission_id)
    return _templates.TemplateResponse(request, "agents/mission.html", {
        "user": user, "active": "/agents", "m": view, "spans": timeline(store, mission_id),
    })


@router.post("/agents/missions/{mission_id}/decision", include_in_schema=False)
def decide_page(request: Request, mission_id: str, background: BackgroundTasks,
                user: Annotated[TokenInfo, Depends(page_user)],
                decision: Annotated[str, Form()], note: Annotated[str, Form()] = "") -> Response:
    approve = decision == "approve"
    decide_approval(request.app.state.store, mission_id, approve,
                    f"{note} (by {user.name})".strip())
    if approve:
        background.add_task(_run_quietly, request, mission_id)
    return RedirectResponse(f"/agents/missions/{mission_id}", status_code=303)


# ---- JSON API --------------------------------------------------------------------------
class MissionIn(BaseModel):
    request: str = Field(min_length=1, description="What the customer wants, in words.")
    service: str | None = Field(default=None, description="Catalog service id; default: matched.")


class DecisionIn(BaseModel):
    note: str = ""


@api.get("/roster", summary="Every agent, with tier")
def roster_api(request: Request, tier: str | None = None) -> dict[str, Any]:
    roster, _ = load_definitions(request.app.state.settings.home)
    return {"agents": [a.as_dict() for a in roster.agents if tier is None or a.tier == tier]}


@api.get("/services", summary="The service directory")
def services_api(request: Request) -> dict[str, Any]:
    _, catalog = load_definitions(request.app.state.settings.home)
    return {"services": [s.as_dict() for s in catalog.services]}


@api.get("/missions", summary="Missions, newest first")
def missions_api(request: Request, state: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    return {"missions": list_missions(request.app.state.store, state=state, limit=limit)}


@api.post("/missions", status_code=202, summary="Create a mission and run it in the background")
def create_api(request: Request, body: MissionIn, background: BackgroundTasks) -> dict[str, Any]:
    wf = _workforce(request)
    mission_id = create_mission(wf, body.request, body.service)
    background.add_task(run_mission, wf, mission_id)
    return mission_view(wf.store, mission_id)


@api.get("/missions/{mission_id}", summary="A mission with its task tree and assignments")
def mission_api(request: Request, mission_id: str) -> dict[str, Any]:
    return mission_view(request.app.state.store, mission_id)


@api.get("/missions/{mission_id}/trace", summary="Timeline, or OTLP/JSON with format=otel")
def trace_api(request: Request, mission_id: str, format: str = "timeline") -> dict[str, Any]:
    store = request.app.state.store
    if format == "otel":
        return otel_export(store, mission_id)
    return {"mission": mission_id, "spans": timeline(store, mission_id)}


@api.post("/missions/{mission_id}/approve", summary="Approve the waiting step and continue")
def approve_api(request: Request, mission_id: str, body: DecisionIn,
                background: BackgroundTasks) -> dict[str, Any]:
    decide_approval(request.app.state.store, mission_id, True, body.note)
    background.add_task(_run_quietly, request, mission_id)
    return mission_view(request.app.state.store, mission_id)


@api.post("/missions/{mission_id}/reject", summary="Reject the waiting step; the mission ends")
def reject_api(request: Request, mission_id: str, body: DecisionIn) -> dict[str, Any]:
    decide_approval(request.app.state.store, mission_id, False, body.note)
    return mission_view(request.app.state.store, mission_id)


router.include_router(api)
