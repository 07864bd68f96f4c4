"""The service & pricing catalog: packaged defaults plus the user's overrides.

The packaged catalog (``iza/business/data/service_catalog.json``) is loaded with
``importlib.resources``. A user file at ``$IZA_HOME/business_data/service_catalog.json`` with the
same shape replaces services by ``slug`` (``"disabled": true`` removes one) and adds new ones.
Every file is validated field by field before anything is merged, and an invalid file is
rejected with its path, the field and the reason, so a typo never silently changes a price.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from iza.business._money import format_minor, normalise_currency
from iza.errors import InputError, NotFoundError

__all__ = ["Catalog", "Price", "Service", "load_catalog", "override_path"]

_INTERVALS = ("day", "week", "month", "year")
_PRICE_TYPES = ("one_off", "recurring")


@dataclass(frozen=True)
class Price:
    """One price of a service; ``key`` doubles as the Stripe price ``lookup_key``."""

    key: str
    tier: str
    type: str
    amount_minor: int
    currency: str
    interval: str | None = None
    interval_count: int = 1

    @property
    def recurring(self) -> bool:
        return self.type == "recurring"

    def label(self) -> str:
        money = format_minor(self.amount_minor, self.currency)
        if not self.recurring:
            return f"{money} one-off"
        every = self.interval if self.interval_count == 1 else f"{self.interval_count} {self.interval}s"
        return f"{money} / {every}"


@dataclass(frozen=True)
class Service:
    slug: str
    name: str
    category: str
    description: str
    team: str
    playbook: str
    delivery_days: int
    prices: tuple[Price, ...]
    features: tuple[str, ...] = ()
    origin: str = "packaged"

    def price(self, key: str | None = None) -> Price:
        """The price named ``key``, or the first one."""
        if key is None:
            return self.prices[0]
        for p in self.prices:
            if p.key == key:
                return p
        raise NotFoundError(f"service {self.slug!r} has no price {key!r}",
                            fix=f"use one of: {', '.join(p.key for p in self.prices)}")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["prices"] = [asdict(p) | {"label": p.label()} for p in self.prices]
        d["features"] = list(self.features)
        return d


@dataclass(frozen=True)
class Catalog:
    services: tuple[Service, ...]
    sources: tuple[str, ...] = field(default=())

    def get(self, slug: str) -> Service:
        for s in self.services:
            if s.slug == slug:
                return s
        raise NotFoundError(f"no service {slug!r} in the catalog",
                            fix="run `iza catalog list` to see the services")

    def find_price(self, key: str) -> tuple[Service, Price]:
        for s in self.services:
            for p in s.prices:
                if p.key == key:
                    return s, p
        raise NotFoundError(f"no price {key!r} in the catalog", fix="run `iza catalog list`")


def override_path(home: Path) -> Path:
    return home / "business_data" / "service_catalog.json"


class _Reader:
    """Validates one catalog document, naming the file and field of the first problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, reason: str) -> InputError:
        return InputError(f"invalid catalog {self.source}: {where}: {reason}",
                          fix="correct that field (see docs/business.md, 'Catalog')")

    def text(self, obj: dict[str, Any], key: str, where: str, required: bool = True) -> str:
        value = obj.get(key, None if required else "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"{where}.{key}", "must be a non-empty string")
        return value

    def integer(self, obj: dict[str, Any], key: str, where: str, default: int | None = None,
                minimum: int = 0) -> int:
        value = obj.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(f"{where}.{key}", f"must be an integer >= {minimum}")
        return value

    def price(self, obj: Any, where: str) -> Price:
        if not isinstance(obj, dict):
            raise self.fail(where, "must be an object")
        ptype = self.text(obj, "type", where)
        if ptype not in _PRICE_TYPES:
            raise self.fail(f"{where}.type", f"must be one of {', '.join(_PRICE_TYPES)}")
        try:
            currency = normalise_currency(self.text(obj, "currency", where))
        except InputError:
            raise self.fail(f"{where}.currency", "must be a three-letter currency code") from None
        interval = obj.get("interval")
        if ptype == "recurring" and interval not in _INTERVALS:
            raise self.fail(f"{where}.interval", f"recurring prices need one of {', '.join(_INTERVALS)}")
        if ptype == "one_off" and interval is not None:
            raise self.fail(f"{where}.interval", "one-off prices have no interval")
        return Price(
            key=self.text(obj, "key", where), tier=self.text(obj, "tier", where), type=ptype,
            amount_minor=self.integer(obj, "amount_minor", where),
            currency=currency, interval=interval,
            interval_count=self.integer(obj, "interval_count", where, default=1, minimum=1),
        )

    def service(self, obj: Any, where: str) -> Service | str:
        """A service, or its slug when the entry only disables it."""
        if not isinstance(obj, dict):
            raise self.fail(where, "must be an object")
        slug = self.text(obj, "slug", where)
        if obj.get("disabled") is True:
            return slug
        prices = obj.get("prices")
        if not isinstance(prices, list) or not prices:
            raise self.fail(f"{where}.prices", "must be a non-empty list")
        features = obj.get("features", [])
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise self.fail(f"{where}.features", "must be a list of strings")
        return Service(
            slug=slug, name=self.text(obj, "name", where),
            category=self.text(obj, "category", where),
            description=self.text(obj, "description", where, required=False),
            team=self.text(obj, "team", where), playbook=self.text(obj, "playbook", where),
            delivery_days=self.integer(obj, "delivery_days", where, default=0),
            prices=tuple(self.price(p, f"{where}.prices[{i}]") for i, p in enumerate(prices)),
            features=tuple(features), origin=self.source,
        )

    def document(self, text: str) -> list[Service | str]:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self.fail(f"line {exc.lineno}", f"not valid JSON ({exc.msg})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("services"), list):
            raise self.fail("services", "the file must be an object with a 'services' list")
        if doc.get("version", 1) != 1:
            raise self.fail("version", "only version 1 is understood")
        out = [self.service(s, f"services[{i}]") for i, s in enumerate(doc["services"])]
        slugs = [s if isinstance(s, str) else s.slug for s in out]
        dup = {s for s in slugs if slugs.count(s) > 1}
        if dup:
            raise self.fail("services", f"slug {sorted(dup)[0]!r} appears more than once")
        return out


def load_catalog(home: Path | None = None) -> Catalog:
    """The packaged catalog merged with ``$IZA_HOME/business_data/service_catalog.json``."""
    packaged = resources.files("iza.business").joinpath("data/service_catalog.json").read_text("utf-8")
    merged: dict[str, Service] = {}
    for s in _Reader("packaged service_catalog.json").document(packaged):
        if isinstance(s, Service):
            merged[s.slug] = s
    sources = ["packaged"]
    user = override_path(home) if home is not None else None
    if user is not None and user.is_file():
        for entry in _Reader(str(user)).document(user.read_text("utf-8")):
            if isinstance(entry, str):
                merged.pop(entry, None)
            else:
                merged[entry.slug] = entry
        sources.append(str(user))
    keys: dict[str, str] = {}
    for s in merged.values():
        for p in s.prices:
            if p.key in keys:
                raise InputError(f"price key {p.key!r} is used by {keys[p.key]!r} and {s.slug!r}",
                                 fix="give every price a unique key (it is the Stripe lookup key)")
            keys[p.key] = s.slug
    return Catalog(tuple(merged.values()), tuple(sources))
