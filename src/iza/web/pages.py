"""Server-rendered pages: login, logout, the Command Center and its live partials."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iza.kernel.tokens import TokenInfo, verify_token
from iza.web.auth import COOKIE, page_user, session_user, sign_session
from iza.web.dashboard import command_center_data
from iza.web.templating import templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """Readiness: 200 when the kernel (settings, store, schema) is ok, else 503."""
    from fastapi.responses import JSONResponse

    from iza._system import build_registry

    reports = build_registry().status(request.app.state.settings)
    kernel = next(r for r in reports if r.name == "kernel")
    ok = kernel.health.status.value == "ok"
    return JSONResponse({"ready": ok, "kernel": kernel.as_dict()}, status_code=200 if ok else 503)


def _safe_next(path: str | None) -> str:
    return path if path and path.startswith("/") and not path.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    if session_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next),
                                                             "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    info = verify_token(request.app.state.store, token.strip())
    if info is None:
        return templates.TemplateResponse(
            request, "login.html",
            {"next": _safe_next(next), "error": "That token is not valid or was revoked."},
            status_code=401)
    hours = request.app.state.settings.get_int("server.session_hours")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, sign_session(request.app.state.secret_key, info.id, hours),
                        max_age=hours * 3600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def command_center(request: Request, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    data = command_center_data(request.app.state.settings, request.app.state.store)
    return templates.TemplateResponse(request, "command_center.html",
                                      {"user": user, "active": "/", **data})


@router.get("/partials/health", response_class=HTMLResponse)
def health_partial(request: Request, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    data = command_center_data(request.app.state.settings, request.app.state.store, events=0)
    return templates.TemplateResponse(request, "partials/health.html", data)


@router.get("/partials/events", response_class=HTMLResponse)
def events_partial(request: Request, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    data = command_center_data(request.app.state.settings, request.app.state.store)
    return templates.TemplateResponse(request, "partials/events.html", data)
