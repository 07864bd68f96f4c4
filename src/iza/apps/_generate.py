"""Render an :class:`AppSpec` into a runnable FastAPI + SQLite app from the packaged skeleton.

The skeleton lives in ``iza/apps/skeleton`` and is read with :mod:`importlib.resources`, so it
works from a wheel as well as a checkout. Files ending ``.j2`` are Jinja2 templates rendered
with the spec (the schema, the models, the tests, the README, the pinned requirements); files
ending ``.static`` are copied as they are (the generic runtime and the app's own page templates,
which are Jinja2 too and must reach the app unrendered).
"""

from __future__ import annotations

import json
import logging
import pprint
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from iza.apps._catalog import BLUEPRINTS
from iza.apps._records import AppSpec, Entity, Field
from iza.apps._words import camel
from iza.errors import InputError

__all__ = ["PINS", "GeneratedApp", "generate_app", "render_files", "samples"]

logger = logging.getLogger(__name__)

#: Exact versions the generated apps pin (all published on PyPI; the wheel cache holds them).
PINS: tuple[tuple[str, str], ...] = (
    ("fastapi", "0.165.0"),
    ("uvicorn", "0.54.0"),
    ("jinja2", "3.1.6"),
    ("python-multipart", "0.0.34"),
    ("httpx", "0.28.1"),
    ("pytest", "9.2.0"),
)


@dataclass(frozen=True)
class GeneratedApp:
    """Where an app was written and what it consists of."""

    spec: AppSpec
    app_dir: Path
    files: tuple[str, ...]


def _pyrepr(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    return pprint.pformat(value, width=100, sort_dicts=False)


def _pytype(f: Field) -> str:
    """The pydantic annotation and default of one field in the generated models."""
    text_len = {"str": 500, "text": 20000, "tags": 500}
    if f.type in text_len:
        n = text_len[f.type]
        return (
            f"str = Field(min_length=1, max_length={n})"
            if f.required
            else f"str | None = Field(default=None, max_length={n})"
        )
    if f.type in ("email", "url"):
        pat = f.type.upper()
        return (
            f"str = Field(pattern={pat})"
            if f.required
            else f"str | None = Field(default=None, pattern={pat})"
        )
    base = {
        "int": "int",
        "money": "float",
        "date": "dt.date",
        "datetime": "dt.datetime",
        "ref": "int",
    }.get(f.type)
    if f.type == "bool":
        return "bool = False"
    if f.type == "enum":
        base = "Literal[" + ", ".join(repr(c) for c in f.choices) + "]"
    if base is None:
        raise InputError(
            f"field {f.name!r} has type {f.type!r} that the generator cannot render",
            fix="use one of the spec's field types",
        )
    return base if f.required else f"{base} | None = None"


def _sample(e: Entity, f: Field, variant: int) -> Any:
    word = e.label.split()[0]
    values: dict[str, Any] = {
        "str": f"{word} {f.label.lower()} {variant}",
        "text": f"Some {f.label.lower()} for {word.lower()} {variant}",
        "tags": "alpha, beta" if variant == 1 else "beta, gamma",
        "int": 3 if variant == 1 else 5,
        "money": 12.5 if variant == 1 else 20.0,
        "bool": variant == 1,
        "date": "2026-01-15" if variant == 1 else "2026-02-01",
        "datetime": "2026-01-15T10:30:00" if variant == 1 else "2026-02-01T14:00:00",
        "email": f"ada{variant}@example.com",
        "url": f"https://example.com/{e.name}/{variant}",
    }
    if f.type == "enum":
        return f.choices[0] if variant == 1 else f.choices[-1]
    return values[f.type]


def samples(spec: AppSpec) -> dict[str, dict[str, Any]]:
    """Example records per entity, shared by the generated tests and the HTTP probe.

    ``create``/``update`` are JSON bodies without references (callers fill them in), ``form`` is
    what a person types into the create form, ``search`` a word that finds the record, and
    ``edited`` a valid new title.
    """
    out: dict[str, dict[str, Any]] = {}
    for e in spec.entities:
        fields = [f for f in e.fields if f.type != "ref"]
        create = {f.name: _sample(e, f, 1) for f in fields}
        update = {f.name: _sample(e, f, 2) for f in fields}
        form: dict[str, Any] = {}
        for f in fields:
            v = create[f.name]
            if f.type == "bool":
                if v:
                    form[f.name] = "on"
            else:
                form[f.name] = str(v)[:16] if f.type == "datetime" else str(v)
        title = e.field(e.title_field)
        edited = "edited@example.com" if title and title.type == "email" else "Edited in the form"
        out[e.name] = {
            "create": create,
            "update": update,
            "form": form,
            "search": str(create[e.title_field]),
            "edited": edited,
        }
    return out


def _stats(spec: AppSpec) -> list[dict[str, str]]:
    """The blueprint's home-page figures that fit the main entity's actual fields."""
    main = spec.entities[0]
    out = []
    for s in BLUEPRINTS[spec.blueprint].stats:
        f = main.field(s.field)
        if f is None:
            continue
        if s.kind == "sum" and f.type not in ("int", "money"):
            continue
        if s.kind in ("overdue", "upcoming") and f.type not in ("date", "datetime"):
            continue
        if s.kind == "low" and (main.field(s.arg) is None or f.type != "int"):
            continue
        if s.kind == "where" and not (f.type == "bool" or s.arg in f.choices):
            continue
        arg = s.arg if s.kind != "overdue" or (s.arg and main.field(s.arg)) else ""
        out.append({"entity": main.name, "label": s.label, "kind": s.kind, "field": s.field, "arg": arg})
    return out


def _extras(spec: AppSpec) -> list[str]:
    names = {e.name for e in spec.entities}
    extras = list(BLUEPRINTS[spec.blueprint].extras)
    if "chat" in extras and not {"conversation", "message"} <= names:
        extras.remove("chat")
    return extras


def _skeleton() -> Traversable:
    return resources.files("iza.apps") / "skeleton"


def _walk(node: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            if child.name != "__pycache__":
                found += _walk(child, rel + "/")
        else:
            found.append((rel, child))
    return found


def render_files(spec: AppSpec) -> dict[str, str]:
    """Relative path → file text of the whole app (pure: nothing is written)."""
    import jinja2

    spec.validate()
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )  # noqa: S701 - renders Python and Markdown, not HTML
    env.filters.update(pyrepr=_pyrepr, camel=camel, pytype=_pytype)
    extras = _extras(spec)
    context = {
        "spec": spec,
        "samples": samples(spec),
        "stats": _stats(spec),
        "pins": PINS,
        "extras": extras,
    }
    files: dict[str, str] = {}
    for rel, node in _walk(_skeleton()):
        if rel.endswith(".j2"):
            files[rel[:-3]] = env.from_string(node.read_text(encoding="utf-8")).render(**context)
        elif rel.endswith(".static"):
            files[rel[: -len(".static")]] = node.read_text(encoding="utf-8")
    if "chat" not in extras:
        files.pop("app/chat.py", None)
        files.pop("app/templates/chat.html", None)
    files["iza_app.json"] = json.dumps(spec.to_dict(), indent=2, ensure_ascii=False) + "\n"
    return files


def generate_app(spec: AppSpec, app_dir: Path) -> GeneratedApp:
    """Write the app into ``app_dir``, which must not exist or be empty (nothing is overwritten)."""
    if app_dir.exists() and any(app_dir.iterdir()):
        raise InputError(
            f"{app_dir} already exists and is not empty",
            fix="choose another --out folder or remove that one",
        )
    files = render_files(spec)
    for rel, text in files.items():
        path = app_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    logger.info("generated app %s in %s (%d files)", spec.slug, app_dir, len(files))
    return GeneratedApp(spec=spec, app_dir=app_dir, files=tuple(sorted(files)))
