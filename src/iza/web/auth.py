"""Authentication: API tokens (Bearer) for ``/api/v1``; a signed session cookie for pages.

The dashboard login takes an API token (created with ``iza tokens create NAME``) and sets a
session cookie ``iza_session`` = ``<token id>.<expiry>.<HMAC-SHA256>``, signed with the data
home's secret key. The cookie holds no secret; revoking the token ends its sessions, because
every request re-checks that the token still exists unrevoked.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from iza.errors import IzaError
from iza.kernel.tokens import TokenInfo, token_by_id, verify_token

__all__ = ["COOKIE", "LoginRequired", "Unauthorized", "api_user", "page_user", "sign_session"]

COOKIE = "iza_session"
_bearer = HTTPBearer(auto_error=False, description="An API token from `iza tokens create NAME`.")


class Unauthorized(IzaError):
    status_code = 401


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to ``/login``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _sig(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def sign_session(key: bytes, token_id: int, hours: int) -> str:
    payload = f"{token_id}.{int(time.time()) + hours * 3600}"
    return f"{payload}.{_sig(key, payload)}"


def read_session(key: bytes, value: str) -> int | None:
    try:
        token_id, expires, sig = value.split(".")
        payload = f"{token_id}.{expires}"
        if not hmac.compare_digest(sig, _sig(key, payload)) or int(expires) < time.time():
            return None
        return int(token_id)
    except ValueError:
        return None


def api_user(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenInfo:
    """The token owner of an API request, else 401."""
    store = request.app.state.store
    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthorized("this endpoint needs an API token",
                           fix="send 'Authorization: Bearer <token>'; create one with "
                               "`iza tokens create NAME`")
    info = verify_token(store, creds.credentials)
    if info is None:
        raise Unauthorized("the API token is not valid or was revoked",
                           fix="create a new one with `iza tokens create NAME`")
    return info


def session_user(request: Request) -> TokenInfo | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    token_id = read_session(request.app.state.secret_key, raw)
    if token_id is None:
        return None
    info: TokenInfo | None = token_by_id(request.app.state.store, token_id)
    return info


def page_user(request: Request) -> TokenInfo:
    """The signed-in user of a dashboard page, else a redirect to the login page."""
    info = session_user(request)
    if info is None:
        raise LoginRequired(request.url.path)
    return info
