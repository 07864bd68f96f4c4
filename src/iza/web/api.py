"""The JSON API under ``/api/v1``; every route needs an API token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from iza.kernel.events import recent
from iza.kernel.tokens import TokenInfo
from iza.web.auth import api_user
from iza.web.dashboard import command_center_data

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["system"], dependencies=[Depends(api_user)])


@router.get("/whoami", summary="The token this request was made with")
def whoami(user: Annotated[TokenInfo, Depends(api_user)]) -> dict[str, Any]:
    return {"token": user.name, "prefix": user.prefix}


@router.get("/status", summary="Component health in boot order")
def status(request: Request) -> dict[str, Any]:
    data = command_center_data(request.app.state.settings, request.app.state.store, events=0)
    return {"components": data["components"]}


@router.get("/events", summary="Recent domain events, newest first")
def events(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after_id: Annotated[int, Query(ge=0)] = 0,
    name: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    rows = recent(request.app.state.store, limit, after_id=after_id, names=name or ())
    return {"events": [r.as_dict() for r in rows]}


@router.get("/command-center", summary="Everything the Command Center page shows")
def command_center(request: Request) -> dict[str, Any]:
    return command_center_data(request.app.state.settings, request.app.state.store)
