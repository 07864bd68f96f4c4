"""A fake Stripe API on loopback that speaks Stripe's wire format, for tests and offline demos.

It serves the few endpoints IZA uses — products, prices (with ``lookup_keys[]``), Checkout
Sessions and balance transactions — over real HTTP: form-encoded requests with Stripe's
bracket notation (``recurring[interval]=month``, ``line_items[0][price]=…``), Bearer
authentication, JSON objects, cursor-paginated lists (``limit``, ``starting_after``,
``has_more``) and Stripe's error envelope. The real ``stripe`` library talks to it through
``stripe.api_base``; nothing in IZA knows it is fake. Balance transactions are seeded with
:meth:`FakeStripe.add_balance_transaction` (Stripe creates them when money moves).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeStripe", "decode_form"]
__test__ = False


def _assign(target: dict[str, Any], path: list[str], value: str) -> None:
    node: Any = target
    for i, key in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, dict):
            if key == "":
                key = str(len(node))
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def decode_form(body: str) -> dict[str, Any]:
    """``a[b][0][c]=1&k[]=x`` → ``{"a": {"b": [{"c": "1"}]}, "k": ["x"]}`` (Stripe's encoding)."""
    out: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = raw_key.partition("[")
        path = [head] + ([p.rstrip("]") for p in ("[" + rest).split("[")[1:]] if rest else [])
        _assign(out, path, value)
    return dict(_listify(out))


class _ApiError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.kind = status, message, param, kind


class FakeStripe:
    """``with FakeStripe() as fake: stripe_api_base = fake.url``."""

    def __init__(self, api_key: str = "sk_test_iza_fake") -> None:
        self.api_key = api_key
        self.objects: dict[str, dict[str, dict[str, Any]]] = {
            "product": {}, "price": {}, "checkout.session": {}, "balance_transaction": {}}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self, method: str) -> None:
                fake._handle(self, method)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- seeding --------------------------------------------------------------------------
    def add_balance_transaction(self, *, amount: int, currency: str, type: str = "charge",
                                fee: int = 0, source: str | None = None,
                                created: int | None = None, reporting_category: str | None = None
                                ) -> dict[str, Any]:
        txn: dict[str, Any] = {"id": "txn_" + secrets.token_hex(12), "object": "balance_transaction",
               "amount": amount, "currency": currency, "fee": fee, "net": amount - fee,
               "type": type, "source": source, "status": "available",
               "created": created if created is not None else int(time.time()),
               "reporting_category": reporting_category or type,
               "fee_details": [{"amount": fee, "currency": currency, "type": "stripe_fee",
                                "description": "Stripe processing fees"}] if fee else []}
        with self._lock:
            self.objects["balance_transaction"][txn["id"]] = txn
        return txn

    # ---- HTTP -----------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("content-length") or 0)
        body = h.rfile.read(length).decode() if length else ""
        params = decode_form(parts.query if method == "GET" else body)
        with self._lock:
            self.requests.append((method, parts.path))
        try:
            if h.headers.get("authorization") != f"Bearer {self.api_key}":
                raise _ApiError(401, "Invalid API Key provided", kind="invalid_request_error")
            status, payload = 200, self._route(method, parts.path, params)
        except _ApiError as exc:
            status = exc.status
            payload = {"error": {"type": exc.kind, "message": exc.message, "param": exc.param}}
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("request-id", "req_" + secrets.token_hex(7))
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _route(self, method: str, path: str, p: dict[str, Any]) -> dict[str, Any]:
        routes = {
            ("POST", "/v1/products"): self._create_product,
            ("GET", "/v1/products"): lambda p: self._list("product", p),
            ("POST", "/v1/prices"): self._create_price,
            ("GET", "/v1/prices"): self._list_prices,
            ("POST", "/v1/checkout/sessions"): self._create_session,
            ("GET", "/v1/balance_transactions"): self._list_balance,
        }
        handler = routes.get((method, path))
        if handler is not None:
            return handler(p)
        for kind, prefix in (("product", "/v1/products/"), ("price", "/v1/prices/"),
                             ("checkout.session", "/v1/checkout/sessions/")):
            if method == "GET" and path.startswith(prefix):
                obj = self.objects[kind].get(path[len(prefix):])
                if obj is None:
                    raise _ApiError(404, f"No such {kind}: '{path[len(prefix):]}'", "id")
                return obj
        raise _ApiError(404, f"Unrecognized request URL ({method}: {path})")

    @staticmethod
    def _need(p: dict[str, Any], key: str) -> Any:
        if p.get(key) in (None, ""):
            raise _ApiError(400, f"Missing required param: {key}.", key)
        return p[key]

    def _store(self, kind: str, prefix: str, obj: dict[str, Any]) -> dict[str, Any]:
        obj.setdefault("id", f"{prefix}_" + secrets.token_hex(12))
        obj.update(object=kind, created=int(time.time()), livemode=False)
        with self._lock:
            self.objects[kind][obj["id"]] = obj
        return obj

    def _create_product(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._store("product", "prod", {
            "name": self._need(p, "name"), "description": p.get("description"), "active": True,
            "metadata": p.get("metadata", {})})

    def _create_price(self, p: dict[str, Any]) -> dict[str, Any]:
        product = self._need(p, "product")
        if product not in self.objects["product"]:
            raise _ApiError(400, f"No such product: '{product}'", "product")
        recurring = p.get("recurring")
        if recurring is not None:
            recurring = {"interval": self._need(recurring, "interval"),
                         "interval_count": int(recurring.get("interval_count", 1)),
                         "usage_type": "licensed"}
        key = p.get("lookup_key")
        if key and any(x.get("lookup_key") == key for x in self.objects["price"].values()):
            raise _ApiError(400, f"A price with lookup_key {key!r} already exists.", "lookup_key")
        return self._store("price", "price", {
            "product": product, "unit_amount": int(self._need(p, "unit_amount")),
            "currency": str(self._need(p, "currency")).lower(), "recurring": recurring,
            "type": "recurring" if recurring else "one_time", "lookup_key": key,
            "active": True, "metadata": p.get("metadata", {})})

    def _list_prices(self, p: dict[str, Any]) -> dict[str, Any]:
        keys = p.get("lookup_keys")
        if isinstance(keys, str):
            keys = [keys]
        rows = [x for x in self.objects["price"].values() if not keys or x.get("lookup_key") in keys]
        return self._page(rows, p, "/v1/prices")

    def _create_session(self, p: dict[str, Any]) -> dict[str, Any]:
        mode = self._need(p, "mode")
        items = self._need(p, "line_items")
        total, currency = 0, None
        for i, item in enumerate(items):
            price = self.objects["price"].get(item.get("price", ""))
            if price is None:
                raise _ApiError(400, f"No such price: '{item.get('price')}'", f"line_items[{i}][price]")
            if (mode == "subscription") != bool(price["recurring"]):
                raise _ApiError(400, "Price type does not match the Checkout mode.", "mode")
            total += price["unit_amount"] * int(item.get("quantity", 1))
            currency = price["currency"]
        sid = "cs_test_" + secrets.token_hex(16)
        return self._store("checkout.session", "cs", {
            "id": sid, "mode": mode, "status": "open", "payment_status": "unpaid",
            "amount_total": total, "currency": currency, "url": f"{self.url}/c/pay/{sid}",
            "customer_email": p.get("customer_email"), "client_reference_id": p.get(
                "client_reference_id"), "metadata": p.get("metadata", {}),
            "success_url": p.get("success_url"), "cancel_url": p.get("cancel_url")})

    def _list_balance(self, p: dict[str, Any]) -> dict[str, Any]:
        rows = list(self.objects["balance_transaction"].values())
        created: dict[str, Any] = p["created"] if isinstance(p.get("created"), dict) else {}
        if "gte" in created:
            rows = [r for r in rows if r["created"] >= int(created["gte"])]
        if "lt" in created:
            rows = [r for r in rows if r["created"] < int(created["lt"])]
        rows.sort(key=lambda r: (-r["created"], r["id"]))
        return self._page(rows, p, "/v1/balance_transactions")

    def _list(self, kind: str, p: dict[str, Any]) -> dict[str, Any]:
        return self._page(list(self.objects[kind].values()), p, f"/v1/{kind}s")

    @staticmethod
    def _page(rows: list[dict[str, Any]], p: dict[str, Any], url: str) -> dict[str, Any]:
        limit = max(1, min(100, int(p.get("limit", 10))))
        after = p.get("starting_after")
        if after:
            ids = [r["id"] for r in rows]
            if after not in ids:
                raise _ApiError(400, f"No such object: '{after}'", "starting_after")
            rows = rows[ids.index(after) + 1:]
        return {"object": "list", "url": url, "has_more": len(rows) > limit, "data": rows[:limit]}
