"""The FastAPI application: ``create_app(settings)`` builds it; ``iza serve`` runs it."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from iza import __version__
from iza.errors import IzaError
from iza.kernel.config import Settings
from iza.kernel.home import ensure_home, secret_key
from iza.kernel.store import Store
from iza.web import _mounts
from iza.web.auth import LoginRequired
from iza.web.templating import templates

__all__ = ["create_app", "error_body"]

_HERE = Path(__file__).parent


def error_body(status: int, kind: str, message: str, fix: str | None = None) -> dict[str, Any]:
    """The one JSON error shape of the API: ``{"error": {"status","type","message","fix"}}``."""
    return {"error": {"status": status, "type": kind, "message": message, "fix": fix}}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/webhooks/")) or "application/json" in (
        request.headers.get("accept", ""))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    @app.exception_handler(IzaError)
    async def _iza(request: Request, exc: IzaError) -> Response:
        kind = type(exc).__name__
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if _wants_json(request):
            return JSONResponse(error_body(exc.status_code, kind, exc.message, exc.fix),
                                status_code=exc.status_code, headers=headers)
        return templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "message": exc.message,
                                    "fix": exc.fix}, status_code=exc.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse(error_body(exc.status_code, "HTTPError", str(exc.detail)),
                                status_code=exc.status_code)
        return templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "message": str(exc.detail),
                                    "fix": None}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(
            error_body(422, "ValidationError", f"{where}: {first.get('msg', 'invalid input')}",
                       "check the request against /api/v1/openapi.json"),
            status_code=422)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Enter every subsystem lifespan of ``_mounts.LIFESPANS`` (background work of the server)."""
    async with AsyncExitStack() as stack:
        for ref in _mounts.LIFESPANS:
            module_name, _, attr = ref.partition(":")
            await stack.enter_async_context(getattr(importlib.import_module(module_name), attr)(app))
        yield


def create_app(settings: Settings) -> FastAPI:
    """Build the app for ``settings``; the store's schema is brought up to date first."""
    ensure_home(settings)
    store = Store.from_settings(settings)
    store.ensure_schema()
    app = FastAPI(
        title="IZA OS",
        version=__version__,
        description="The IZA OS JSON API. Authenticate with `Authorization: Bearer <token>` "
        "(create a token with `iza tokens create NAME`).",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.secret_key = secret_key(settings)
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    from iza.web import api, pages

    app.include_router(pages.router)
    app.include_router(api.router)
    for ref in _mounts.ROUTERS:
        module_name, _, attr = ref.partition(":")
        app.include_router(getattr(importlib.import_module(module_name), attr))
    from iza._system import wire_events  # order.paid → delivering mission (opt-in setting)

    app.state.unwire_events = wire_events(settings, store)
    from iza._system import wire_workflow_nodes  # business nodes and agent missions in workflows

    wire_workflow_nodes()
    return app
