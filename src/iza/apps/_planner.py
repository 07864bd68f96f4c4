"""LLM mode: the apps manager agent writes the spec as structured output, checked before use.

With a provider configured (and ``apps.planner = auto``), the request goes to the workforce's
model port (:func:`iza.agents._llm_model.llm_model_factory`, so the call is journaled, budgeted
and attributed to the ``mgr-apps`` agent) with :data:`SPEC_SCHEMA` as the response schema. The
answer must pass three checks: it is JSON, it matches the schema, and the spec it describes keeps
the spec's rules (:meth:`AppSpec.validate`: known field types, refs to existing entities, names
the generated code can use…).

Exactly one repair round: ``iza.llm`` already gives the model one repair attempt for answers that
are not JSON or break the schema, so such an answer still broken when it reaches us falls back at
once; an answer that fits the schema but breaks a spec rule gets one repair turn here, with the
problems listed. Whatever is still invalid then — and any provider failure — falls back to the
offline parser, labelled ``mode: offline-fallback`` with the reason in the spec's decisions.
Nothing pretends the model answered.

After a failed verification of an LLM spec, :meth:`LLMSpecPlanner.repair_after_verification` asks
once for a corrected spec given the failing step (the flow decides whether to build it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from iza.apps._catalog import BLUEPRINTS
from iza.apps._parser import parse_request
from iza.apps._records import (
    FIELD_TYPES,
    RESERVED_FIELDS,
    RESERVED_PLURALS,
    AppSpec,
    Entity,
    Field,
    Relation,
    SpecError,
)
from iza.apps._words import plural, slugify, titleize

if TYPE_CHECKING:
    from iza.agents import ChatModel
    from iza.kernel.config import Settings
    from iza.kernel.store import Store

__all__ = ["FEATURES", "LLMSpecPlanner", "SPEC_SCHEMA", "build_spec", "llm_planner", "offline_fallback"]

logger = logging.getLogger(__name__)

FEATURES: tuple[str, ...] = ("search", "ai", "auth", "tags", "due", "status")
AGENT = "mgr-apps"

_FIELD = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 40},
        "type": {"type": "string", "enum": list(FIELD_TYPES)},
        "label": {"type": "string"},
        "required": {"type": "boolean"},
        "choices": {"type": "array", "items": {"type": "string"}},
        "ref": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["name", "type"],
}
#: The JSON schema of a spec as the model writes it (slug, mode and decisions are ours to set).
SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 60},
        "blueprint": {"type": "string", "enum": list(BLUEPRINTS)},
        "entities": {
            "type": "array",
            "minItems": 1,
            "maxItems": 6,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 40},
                    "label": {"type": "string"},
                    "plural": {"type": "string"},
                    "title_field": {"type": "string"},
                    "fields": {"type": "array", "minItems": 1, "maxItems": 16, "items": _FIELD},
                },
                "required": ["name", "fields"],
            },
        },
        "relations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"source": {"type": "string"}, "field": {"type": "string"},
                               "target": {"type": "string"}},
                "required": ["source", "field", "target"],
            },
        },
        "features": {"type": "array", "items": {"type": "string", "enum": list(FEATURES)}},
        "context": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["name", "entities"],
}


@cache
def _prompts() -> dict[str, str]:
    text = (resources.files("iza.apps") / "spec_planner_prompts.toml").read_text(encoding="utf-8")
    return {k: str(v).strip() for k, v in tomllib.loads(text).items()}


def _system_prompt() -> str:
    return _prompts()["system"].format(
        reserved_fields=", ".join(sorted(RESERVED_FIELDS)),
        reserved_plurals=", ".join(sorted(RESERVED_PLURALS)),
        field_types=", ".join(FIELD_TYPES), features=", ".join(FEATURES), blueprints=", ".join(BLUEPRINTS))


def build_spec(data: dict[str, Any], request: str, blueprint: str | None, decisions: list[str]) -> AppSpec:
    """The model's answer (already schema-checked) as a validated :class:`AppSpec` (``mode: llm``).

    Only presentation is filled in (labels, plurals, a title field when the model named none, the
    offline parser's blueprint when it named none); anything else wrong is a :class:`SpecError`."""
    entities = []
    for e in data["entities"]:
        name = str(e["name"])
        fields = tuple(
            Field(name=str(f["name"]), type=str(f["type"]),
                  label=str(f.get("label") or titleize(str(f["name"]))),
                  required=bool(f.get("required", False)),
                  choices=tuple(str(c) for c in f.get("choices") or ()), ref=f.get("ref") or None)
            for f in e["fields"])
        title = e.get("title_field") or next(
            (f.name for f in fields if f.type in ("str", "text", "email")), "")
        entities.append(Entity(name=name, label=str(e.get("label") or titleize(name)),
                               plural=str(e.get("plural") or plural(name)), fields=fields,
                               title_field=str(title)))
    chosen = blueprint or data.get("blueprint") or _offline_blueprint(request)
    features = [str(f) for f in data.get("features") or ()]
    name = str(data["name"]).strip()
    spec = AppSpec(
        name=name, slug=slugify(name) or "app", request=request.strip(), blueprint=str(chosen),
        entities=tuple(entities),
        relations=tuple(Relation.from_dict(r) for r in data.get("relations") or ()),
        features=tuple(["search", *[f for f in features if f != "search"]]),
        context=data.get("context") or None, mode="llm", decisions=tuple(decisions))
    spec.validate()
    return spec


def _offline_blueprint(request: str) -> str:
    from iza.errors import InputError

    try:
        return parse_request(request).blueprint
    except InputError:
        return "tracker"


def offline_fallback(request: str, blueprint: str | None, reason: str) -> AppSpec:
    """The offline parser's spec, labelled as a fallback from the LLM planner with ``reason``."""
    from iza.errors import InputError

    try:
        spec = parse_request(request, blueprint=blueprint)
    except InputError as exc:
        raise InputError(f"the LLM planner gave no usable spec ({reason}) and {exc.message}",
                         fix=exc.fix) from exc
    why = f"LLM planner fell back to the offline parser: {reason}"
    logger.info("apps planner: %s", why)
    return dataclasses.replace(spec, mode="offline-fallback", decisions=(why, *spec.decisions))


@dataclass
class _Answer:
    content: str
    data: dict[str, Any] | None
    schema_problems: list[str]


class LLMSpecPlanner:
    """Asks the model for a spec; see the module docstring for the checks and the repair round."""

    def __init__(self, model: ChatModel, model_name: str = "") -> None:
        self.model = model
        self.model_name = model_name

    def _ask(self, messages: list[tuple[str, str]]) -> _Answer:
        from iza.agents import ChatMessage, ChatRequest
        from iza.llm._schema import extract_json, validate

        request = ChatRequest(model=self.model_name,
                              messages=tuple(ChatMessage(role, text) for role, text in messages),
                              response_schema=SPEC_SCHEMA, metadata={"agent": AGENT})
        content = self.model.chat(request).content
        try:
            data = extract_json(content)
        except ValueError as exc:
            return _Answer(content, None, [f"not JSON: {exc}"])
        problems = validate(data, SPEC_SCHEMA)
        return _Answer(content, data if isinstance(data, dict) and not problems else None, problems)

    def _spec(self, answer: _Answer, request: str, blueprint: str | None,
              decisions: list[str]) -> tuple[AppSpec | None, list[str]]:
        if answer.data is None:
            return None, answer.schema_problems
        try:
            return build_spec(answer.data, request, blueprint, decisions), []
        except SpecError as exc:
            return None, [f"{exc.message} ({exc.fix})" if exc.fix else exc.message]
        except (KeyError, TypeError, ValueError) as exc:
            return None, [f"malformed spec: {exc}"]

    def plan(self, request: str, blueprint: str | None = None) -> AppSpec:
        """A validated LLM spec, or the labelled offline fallback; never raises for model output
        (only :class:`InputError` when the offline parser cannot read the request either)."""
        from iza.errors import IzaError

        try:
            spec, reason = self._plan(request, blueprint)
        except IzaError as exc:  # provider down, budget exhausted…: say so and build offline
            spec, reason = None, f"{type(exc).__name__}: {exc.message}"
        return spec if spec is not None else offline_fallback(request, blueprint, reason)

    def _plan(self, request: str, blueprint: str | None) -> tuple[AppSpec | None, str]:
        hint = f"Use the {blueprint} blueprint." if blueprint else ""
        messages = [("system", _system_prompt()),
                    ("user", _prompts()["user"].format(request=request.strip(), blueprint_hint=hint))]
        decisions = [f"spec written by the {AGENT} agent (LLM structured output)"]
        answer = self._ask(messages)
        spec, problems = self._spec(answer, request, blueprint, decisions)
        if spec is not None:
            return spec, ""
        if answer.data is None:  # iza.llm's repair round was already spent on the schema
            return None, ("the answer did not match the spec schema after one repair: "
                          + "; ".join(problems[:3]))
        listed = "\n".join(f"- {p}" for p in problems)
        messages += [("assistant", answer.content), ("user", _prompts()["repair"].format(problems=listed))]
        decisions.append("repaired once: " + "; ".join(problems[:3]))
        answer = self._ask(messages)
        spec, second = self._spec(answer, request, blueprint, decisions)
        if spec is not None:
            return spec, ""
        return None, ("the spec was still invalid after one repair round: "
                      + "; ".join((second or problems)[:3]))

    def repair_after_verification(self, spec: AppSpec, step: str, detail: str) -> AppSpec | None:
        """One corrected spec given the failing verification step, or ``None`` if none came."""
        from iza.errors import IzaError

        ours = ("slug", "mode", "decisions", "version")
        current = {k: v for k, v in spec.to_dict().items() if k not in ours}
        messages = [("system", _system_prompt()),
                    ("user", _prompts()["user"].format(request=spec.request, blueprint_hint="")),
                    ("assistant", json.dumps(current)),
                    ("user", _prompts()["verify_repair"].format(step=step, detail=detail[-1500:]))]
        decisions = [*spec.decisions, f"verification failed at {step}; the {AGENT} agent corrected the spec"]
        try:
            fixed, problems = self._spec(self._ask(messages), spec.request, spec.blueprint, decisions)
        except IzaError as exc:
            logger.info("apps planner: no verification repair (%s)", exc.message)
            return None
        if fixed is None:
            logger.info("apps planner: the corrected spec is invalid: %s", "; ".join(problems[:3]))
        return fixed


def llm_planner(settings: Settings, store: Store) -> LLMSpecPlanner | None:
    """The LLM planner when ``apps.planner`` is ``auto`` and a provider is configured, else ``None``."""
    if settings.get_str("apps.planner") != "auto":
        return None
    from iza.agents._llm_model import llm_model_factory

    model = llm_model_factory(settings, store)
    return LLMSpecPlanner(model) if model is not None else None
