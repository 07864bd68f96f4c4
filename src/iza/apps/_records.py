"""The app spec: plain dataclasses with a JSON round-trip and no IO.

A spec is what the request parser (offline) or, later, the strategist/manager agents (LLM mode)
decide; the generator renders it and the verifier probes what it describes. Keeping it plain data
means an LLM's structured output, a stored memory and ``iza demo-app --json`` all carry the same
shape, and ``AppSpec.from_dict(spec.to_dict()) == spec`` holds (a property test pins it).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from iza.errors import InputError

__all__ = ["FIELD_TYPES", "RESERVED_PLURALS", "AppSpec", "Entity", "Field", "Relation", "SpecError"]

#: Field types the blueprints know how to store, render, validate and probe.
FIELD_TYPES: tuple[str, ...] = (
    "str",
    "text",
    "int",
    "money",
    "bool",
    "date",
    "datetime",
    "email",
    "url",
    "enum",
    "tags",
    "ref",
)
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Names a generated model or table cannot use for a field (Python keywords, the primary key,
#: pydantic's own attributes; names starting with ``model_`` are pydantic's too).
RESERVED_FIELDS = frozenset(keyword.kwlist) | {
    "id",
    "json",
    "dict",
    "copy",
    "schema",
    "validate",
    "construct",
    "fields",
    "items",
    "keys",
    "values",
    "self",
    "cls",
    "type",
    "q",
    "created_at",
    "updated_at",
    "dt",
    # names of types the generated models annotate with (a field named ``str`` shadows the type)
    "str",
    "int",
    "float",
    "bool",
    "bytes",
    "list",
    "set",
    "tuple",
}
#: Plurals that would collide with the generated app's own routes.
RESERVED_PLURALS = frozenset({"api", "docs", "static", "login", "healthz", "chat", "redoc", "openapi"})


class SpecError(InputError):
    """A spec (given as JSON or built by a planner) breaks one of the spec's rules."""


@dataclass(frozen=True)
class Field:
    """One typed field of an entity. ``ref`` names the target entity of a ``ref`` field."""

    name: str
    type: str = "str"
    label: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "label": self.label or self.name,
            "required": self.required,
            "choices": list(self.choices),
            "ref": self.ref,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Field:
        return cls(
            name=str(data["name"]),
            type=str(data.get("type", "str")),
            label=str(data.get("label") or ""),
            required=bool(data.get("required", False)),
            choices=tuple(str(c) for c in data.get("choices") or ()),
            ref=data.get("ref"),
        )


@dataclass(frozen=True)
class Entity:
    """A kind of record in the app: one table, one set of pages, one JSON resource."""

    name: str
    label: str
    plural: str
    fields: tuple[Field, ...]
    title_field: str

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "plural": self.plural,
            "title_field": self.title_field,
            "fields": [f.to_dict() for f in self.fields],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        return cls(
            name=str(data["name"]),
            label=str(data["label"]),
            plural=str(data["plural"]),
            fields=tuple(Field.from_dict(f) for f in data["fields"]),
            title_field=str(data["title_field"]),
        )


@dataclass(frozen=True)
class Relation:
    """``source`` has a ``ref`` field ``field`` pointing at one ``target`` (many-to-one)."""

    source: str
    target: str
    field: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "field": self.field, "kind": "many_to_one"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Relation:
        return cls(source=str(data["source"]), target=str(data["target"]), field=str(data["field"]))


@dataclass(frozen=True)
class AppSpec:
    """Everything the generator needs, and the reasons (``decisions``) a reader or memory keeps."""

    name: str
    slug: str
    request: str
    blueprint: str
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...] = ()
    features: tuple[str, ...] = ()
    context: str | None = None
    mode: str = "offline"
    decisions: tuple[str, ...] = field(default=(), compare=True)
    version: int = 1

    def entity(self, name: str) -> Entity:
        for e in self.entities:
            if e.name == name:
                return e
        raise SpecError(
            f"the spec has no entity {name!r}",
            fix="name one of: " + ", ".join(e.name for e in self.entities),
        )

    def has(self, feature: str) -> bool:
        return feature in self.features

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "slug": self.slug,
            "request": self.request,
            "mode": self.mode,
            "blueprint": self.blueprint,
            "context": self.context,
            "features": list(self.features),
            "entities": [e.to_dict() for e in self.entities],
            "relations": [r.to_dict() for r in self.relations],
            "decisions": list(self.decisions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AppSpec:
        """Build and validate a spec; a malformed one raises :class:`SpecError` naming the key."""
        try:
            spec = cls(
                name=str(data["name"]),
                slug=str(data["slug"]),
                request=str(data.get("request", "")),
                blueprint=str(data["blueprint"]),
                entities=tuple(Entity.from_dict(e) for e in data["entities"]),
                relations=tuple(Relation.from_dict(r) for r in data.get("relations") or ()),
                features=tuple(str(f) for f in data.get("features") or ()),
                context=data.get("context"),
                mode=str(data.get("mode", "offline")),
                decisions=tuple(str(d) for d in data.get("decisions") or ()),
                version=int(data.get("version", 1)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SpecError(
                f"malformed app spec: missing or wrong key {exc}",
                fix="give a spec as printed by `iza demo-app --json` (key 'spec')",
            ) from exc
        spec.validate()
        return spec

    def validate(self) -> None:
        """Check the invariants the generator relies on; raise :class:`SpecError` otherwise."""
        if not self.entities:
            raise SpecError(
                "the app spec has no entities", fix="name at least one thing to keep track of"
            )
        if not re.match(r"^[a-z0-9][a-z0-9-]{0,63}$", self.slug):
            raise SpecError(f"bad app slug {self.slug!r}", fix="use lowercase letters, digits and '-'")
        names = [e.name for e in self.entities]
        if len(set(names)) != len(names):
            raise SpecError(f"entity names repeat: {names}", fix="give each entity its own name")
        plurals = [e.plural for e in self.entities]
        if len(set(plurals)) != len(plurals):
            raise SpecError(f"entity plurals repeat: {plurals}", fix="give each entity its own plural")
        for e in self.entities:
            _check_entity(e, set(names))
        for r in self.relations:
            src = self.entity(r.source)
            f = src.field(r.field)
            if f is None or f.type != "ref" or f.ref != r.target:
                raise SpecError(
                    f"relation {r.source}.{r.field} → {r.target} has no matching ref field",
                    fix="add the ref field to the source entity",
                )


def _check_entity(e: Entity, entity_names: set[str]) -> None:
    for ident in (e.name, e.plural):
        if not _IDENT.match(ident) or keyword.iskeyword(ident):
            raise SpecError(f"bad entity name {ident!r}", fix="use lowercase letters, digits and '_'")
    if e.plural in RESERVED_PLURALS:
        raise SpecError(f"entity plural {e.plural!r} collides with a route of the app",
                        fix="choose another plural, e.g. " + f"{e.name}_items")
    seen: set[str] = set()
    for f in e.fields:
        where = f"{e.name}.{f.name}"
        if not _IDENT.match(f.name) or f.name in RESERVED_FIELDS or f.name.startswith("model_"):
            raise SpecError(
                f"bad field name {where!r}", fix="use a lowercase identifier that is not reserved"
            )
        if f.name in seen:
            raise SpecError(f"field {where!r} appears twice", fix="keep one field per name")
        seen.add(f.name)
        if f.type not in FIELD_TYPES:
            raise SpecError(
                f"field {where!r} has unknown type {f.type!r}",
                fix="use one of: " + ", ".join(FIELD_TYPES),
            )
        if f.type == "enum" and not f.choices:
            raise SpecError(f"enum field {where!r} has no choices", fix="list its choices")
        if f.type == "ref" and f.ref not in entity_names:
            raise SpecError(
                f"field {where!r} refers to unknown entity {f.ref!r}",
                fix="add that entity or drop the field",
            )
    title = e.field(e.title_field)
    if title is None or title.type not in ("str", "text", "email"):
        raise SpecError(
            f"entity {e.name!r} has no text title field {e.title_field!r}",
            fix="name a str field as title_field",
        )
