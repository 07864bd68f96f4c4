"""Web pages of the business subsystem: the revenue dashboard (login), the public catalog and
the public order status page (``/orders/<id>``, reachable by its unguessable link).

Pages render through the web shell's Jinja environment and sign-in (the developing guide's
plug-in points); this module is imported only by the web app. The business templates live in
this package and are added to the shell's template search path here. Charts are drawn in the
browser by ``revenue.js`` from the JSON embedded in the page — no chart library, nothing
fetched from a CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import ChoiceLoader, FileSystemLoader

from iza.business._catalog import load_catalog
from iza.business._dashboard import dashboard_data
from iza.business._order_status import order_app_dir, order_status
from iza.errors import NotFoundError
from iza.kernel.tokens import TokenInfo
from iza.web.auth import api_user, page_user
from iza.web.templating import templates

__all__ = ["router"]

_HERE = Path(__file__).parent
_loader = FileSystemLoader(str(_HERE / "templates"))
_current = templates.env.loader
if isinstance(_current, ChoiceLoader):
    templates.env.loader = ChoiceLoader([*_current.loaders, _loader])
elif _current is not None:
    templates.env.loader = ChoiceLoader([_current, _loader])

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/business", tags=["business"], dependencies=[Depends(api_user)])


@router.get("/revenue", response_class=HTMLResponse)
def revenue_page(request: Request, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    data = dashboard_data(request.app.state.settings, request.app.state.store)
    return templates.TemplateResponse(request, "business/revenue.html",
                                      {"user": user, "active": "/revenue", "data": data})


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(request: Request) -> Response:
    """Public: the services and prices a visitor can buy."""
    catalog = load_catalog(request.app.state.settings.home)
    return templates.TemplateResponse(request, "business/catalog.html",
                                      {"services": catalog.services, "active": "/catalog"})


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, order_id: str) -> Response:
    """Public by link: a customer follows it from the checkout or the demo form. The order id
    is unguessable (``ord_`` + 16 random hex digits) and the page shows no full e-mail address."""
    order = order_status(request.app.state.settings, request.app.state.store, order_id)
    return templates.TemplateResponse(request, "business/order.html",
                                      {"order": order, "active": ""})


@router.get("/orders/{order_id}/app.zip")
def order_app(request: Request, order_id: str) -> Response:
    """The app an instant-app order delivered (only that one), as a zip."""
    from iza.web.apps_pages import zip_response

    settings = request.app.state.settings
    order = order_status(settings, request.app.state.store, order_id)
    app = order_app_dir(settings, (order["mission"] or {}).get("app_dir"))
    if app is None:
        raise NotFoundError(f"order {order_id} has no delivered app",
                            fix="only delivered instant-app orders have an app to download")
    return zip_response(app)


@router.get("/business/static/revenue.js")
def revenue_js() -> FileResponse:
    return FileResponse(_HERE / "static" / "revenue.js", media_type="text/javascript")


@api.get("/dashboard", summary="Revenue dashboard data: KPIs, MRR timeline, movements, margins")
def dashboard_api(request: Request) -> dict[str, object]:
    return dashboard_data(request.app.state.settings, request.app.state.store)


@api.get("/orders/{order_id}", summary="An order's status: timeline, mission, payments, app")
def order_api(request: Request, order_id: str) -> dict[str, object]:
    return order_status(request.app.state.settings, request.app.state.store, order_id)


@api.get("/catalog", summary="The service & pricing catalog")
def catalog_api(request: Request) -> dict[str, object]:
    catalog = load_catalog(request.app.state.settings.home)
    return {"services": [s.as_dict() for s in catalog.services]}
