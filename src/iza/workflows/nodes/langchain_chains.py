"""n8n's task-shaped AI chains on ``iza.llm``: summarise, extract, classify, judge sentiment.

Each runs per input item with the one chat model connected through ``ai_languageModel`` and
asks for structured output through the orchestrator's response schema (validated, one repair),
instead of LangChain's format-instruction prompts. Output shapes follow n8n:

* Summarization Chain (v2) — ``{"response": {"text": summary}}``; ``map_reduce`` (default),
  ``stuff`` and ``refine`` over chunks of the item's text (``chunkSize``/``chunkOverlap``).
* Information Extractor — ``{"output": {…}}`` from attributes, a JSON example or a schema.
* Text Classifier — the item itself on the output of each matching category (one output per
  category, then ``other`` when ``options.fallback`` is ``other``).
* Sentiment Analysis — the item plus ``sentimentAnalysis.category`` on that category's output.
"""

from __future__ import annotations

import json
from typing import Any

from iza.llm import Message
from iza.workflows._context import NodeContext
from iza.workflows.nodes._ai_call import call_model
from iza.workflows.nodes._ai_parts import LC, model_spec, schema_from_example
from iza.workflows.nodes._registry import Outputs, register

__all__ = ["chunks", "document_text"]

Item = dict[str, Any]

_SUMMARY_PROMPT = 'Write a concise summary of the following:\n\n\n"{text}"\n\n\nCONCISE SUMMARY:'
_REFINE_PROMPT = (
    "Your job is to produce a final summary\nWe have provided an existing summary up to a certain "
    'point: "{existing_answer}"\nWe have the opportunity to refine the existing summary\n(only if '
    'needed) with some more context below.\n------------\n"{text}"\n------------\n\nGiven the new '
    "context, refine the original summary\nIf the context isn't useful, return the original "
    "summary.\n\nREFINED SUMMARY:"
)
_EXTRACT_SYSTEM = (
    "You are an expert extraction algorithm.\nOnly extract relevant information from the text.\n"
    "If you do not know the value of an attribute asked to extract, you may omit the attribute's value."
)
_CLASSIFY_SYSTEM = (
    "Please classify the text provided by the user into one of the following categories: "
    "{categories}, and use the provided formatting instructions below. Don't explain, and only "
    "output the json."
)
_SENTIMENT_SYSTEM = (
    "You are highly intelligent and accurate sentiment analyzer. Analyze the sentiment of the "
    "provided text. Categorize it into one of the following: {categories}. Use the provided "
    "formatting instructions. Only output the JSON."
)


@register(LC + "manualChatTrigger")
def manual_chat_trigger(ctx: NodeContext) -> Outputs:
    """The old chat trigger: emits what started the run (``{"input": …}`` from the editor)."""
    return [ctx.items or [{"json": {}}]]


def _chat(ctx: NodeContext, item: int, messages: list[Message], schema: dict[str, Any] | None = None) -> Any:
    spec = model_spec(ctx, item)
    result = call_model(ctx, messages, model=spec.ref, schema=schema, temperature=spec.temperature,
                        max_tokens=spec.max_tokens)
    return result.parsed if schema is not None else result.content.strip()


# ---- summarization ----------------------------------------------------------------------------
def document_text(value: Any) -> str:
    """The text of an item as n8n's JSON loader sees it: every string value, one per line."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(t for t in (document_text(v) for v in value.values()) if t)
    if isinstance(value, list):
        return "\n".join(t for t in (document_text(v) for v in value) if t)
    return "" if value is None else json.dumps(value)


def chunks(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """Split on paragraph, line and word boundaries into pieces of at most ``size`` characters,
    each starting ``overlap`` characters before the previous one ended (never an empty list)."""
    size = max(1, size)
    overlap = max(0, min(overlap, size - 1))
    if len(text) <= size:
        return [text]
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind(sep, start + 1, end) for sep in ("\n\n", "\n", " "))
            if cut > start + overlap:
                end = cut
        out.append(text[start:end].strip())
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return [c for c in out if c] or [text]


def _fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


@register(LC + "chainSummarization")
def chain_summarization(ctx: NodeContext) -> Outputs:
    out: list[Item] = []
    for i in range(len(ctx.items)):
        mode = ctx.param("operationMode", i, default="nodeInputJson")
        if mode != "nodeInputJson":
            raise ctx.fail(f"summarising from {mode!r} is not supported", item=i,
                           fix="Use 'Use Node Input (JSON)' and put the text in the item's fields.")
        prompts = ctx.param("options.summarizationMethodAndPrompts.values", i, default={}) or {}
        method = str(prompts.get("summarizationMethod") or "map_reduce")
        combine = str(prompts.get("prompt") or _SUMMARY_PROMPT)
        if ctx.param("chunkingMode", i, default="simple") == "advanced":
            size, overlap = 1000, 200  # the splitter sub-node's defaults
        else:
            size = int(ctx.param("chunkSize", i, default=1000) or 1000)
            overlap = int(ctx.param("chunkOverlap", i, default=200) or 0)
        parts = chunks(document_text(ctx.items[i].get("json")), size, overlap)
        if method == "refine":
            summary = _chat(ctx, i, [Message.user(_fill(combine, text=parts[0]))])
            refine = str(prompts.get("refinePrompt") or _REFINE_PROMPT)
            for part in parts[1:]:
                summary = _chat(ctx, i, [Message.user(_fill(refine, text=part, existing_answer=summary))])
        elif method == "stuff" or len(parts) == 1:
            summary = _chat(ctx, i, [Message.user(_fill(combine, text="\n\n".join(parts)))])
        else:
            mapper = str(prompts.get("combineMapPrompt") or _SUMMARY_PROMPT)
            partial = [_chat(ctx, i, [Message.user(_fill(mapper, text=p))]) for p in parts]
            summary = _chat(ctx, i, [Message.user(_fill(combine, text="\n\n".join(partial)))])
        out.append({"json": {"response": {"text": summary}}, "pairedItem": {"item": i}})
    return [out]


# ---- information extraction ---------------------------------------------------------------------
_ATTR_TYPES = {"string": {"type": "string"}, "number": {"type": "number"}, "boolean": {"type": "boolean"},
               "date": {"type": "string"}, "time": {"type": "string"}, "datetime": {"type": "string"}}


def _extract_schema(ctx: NodeContext, item: int) -> dict[str, Any]:
    kind = ctx.param("schemaType", item, default="fromAttributes")
    if kind in ("fromJson", "manual"):
        name = "jsonSchemaExample" if kind == "fromJson" else "inputSchema"
        raw = ctx.node.parameters.get(name) if kind == "fromJson" else ctx.param(name, item, default="{}")
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError as exc:
            raise ctx.fail(f"the {name} is not valid JSON: {exc}", item=item,
                           fix=f"Fix the JSON in '{name}'.") from None
        schema = schema_from_example(value) if kind == "fromJson" else value
        if not isinstance(schema, dict):
            raise ctx.fail("the schema must be a JSON object", item=item, fix="Give a JSON schema object.")
        return {k: v for k, v in schema.items() if k != "$schema"}
    attributes = ctx.param("attributes.attributes", item, default=[]) or []
    if not attributes:
        raise ctx.fail("no attributes to extract", item=item, fix="Add at least one attribute.")
    props: dict[str, Any] = {}
    required: list[str] = []
    for attr in attributes:
        name = str(attr.get("name") or "")
        spec = dict(_ATTR_TYPES.get(str(attr.get("type") or "string"), {}))
        if attr.get("description"):
            spec["description"] = str(attr["description"])
        props[name] = spec
        if attr.get("required"):
            required.append(name)
    return {"type": "object", "properties": props, "required": required}


@register(LC + "informationExtractor")
def information_extractor(ctx: NodeContext) -> Outputs:
    out: list[Item] = []
    for i in range(len(ctx.items)):
        text = ctx.param("text", i, default="")
        if not isinstance(text, str) or not text.strip():
            raise ctx.fail(f"Text for item {i} is not defined", item=i,
                           fix="Set 'text' (e.g. {{ $json.body }}) to the text to extract from.")
        schema = _extract_schema(ctx, i)
        options = ctx.param("options", i, default={}) or {}
        system = str(options.get("systemPromptTemplate") or _EXTRACT_SYSTEM)
        parsed = _chat(ctx, i, [Message.system(system), Message.user(text)], schema)
        out.append({"json": {"output": parsed}, "pairedItem": {"item": i}})
    return [out]


# ---- classification -------------------------------------------------------------------------------
def _input_text(ctx: NodeContext, item: int) -> str:
    text = ctx.param("inputText", item, default="")
    if not isinstance(text, str) or not text.strip():
        raise ctx.fail(f"Text for item {item} is not defined", item=item,
                       fix="Set 'inputText' to the text to classify.")
    return text


@register(LC + "textClassifier")
def text_classifier(ctx: NodeContext) -> Outputs:
    cats = [c for c in (ctx.param("categories.categories", 0, default=[]) or []) if c.get("category")]
    if not cats:
        raise ctx.fail("no categories defined", fix="Add at least one category to classify into.")
    names = [str(c["category"]) for c in cats]
    outputs: list[list[Item]] = [[] for _ in names]
    options = ctx.param("options", 0, default={}) or {}
    other = options.get("fallback") == "other"
    if other:
        outputs.append([])
    for i, item in enumerate(ctx.items):
        opts = ctx.param("options", i, default={}) or {}
        multi = bool(opts.get("multiClass"))
        listing = ", ".join(names)
        system = str(opts.get("systemPromptTemplate") or _CLASSIFY_SYSTEM).replace("{categories}", listing)
        described = "\n".join(f"{c['category']}: {c.get('description') or ''}".rstrip(": ") for c in cats)
        schema = {"type": "object", "properties": {n: {"type": "boolean"} for n in names}, "required": names}
        rule = "Set true for every category that applies." if multi else "Set exactly one category to true."
        parsed = _chat(ctx, i, [Message.system(f"{system}\nCategories:\n{described}\n{rule}"),
                                Message.user(_input_text(ctx, i))], schema)
        hits = [k for k, n in enumerate(names) if parsed.get(n) is True]
        if not multi:
            hits = hits[:1]
        for k in hits:
            outputs[k].append({**item, "pairedItem": {"item": i}})
        if not hits and other:
            outputs[-1].append({**item, "pairedItem": {"item": i}})
    return outputs


@register(LC + "sentimentAnalysis")
def sentiment_analysis(ctx: NodeContext) -> Outputs:
    options = ctx.param("options", 0, default={}) or {}
    names = [c.strip() for c in str(options.get("categories") or "Positive, Neutral, Negative").split(",")
             if c.strip()]
    outputs: list[list[Item]] = [[] for _ in names]
    for i, item in enumerate(ctx.items):
        opts = ctx.param("options", i, default={}) or {}
        detailed = bool(opts.get("includeDetailedResults"))
        template = str(opts.get("systemPromptTemplate") or _SENTIMENT_SYSTEM)
        system = template.replace("{categories}", ", ".join(names))
        props: dict[str, Any] = {"sentiment": {"type": "string", "enum": names}}
        if detailed:
            props |= {"strength": {"type": "number"}, "confidence": {"type": "number"}}
        schema = {"type": "object", "properties": props, "required": list(props)}
        parsed = _chat(ctx, i, [Message.system(system), Message.user(_input_text(ctx, i))], schema)
        result: dict[str, Any] = {"category": parsed["sentiment"]}
        if detailed:
            result |= {"strength": parsed["strength"], "confidence": parsed["confidence"]}
        data = {**(item.get("json") or {}), "sentimentAnalysis": result}
        outputs[names.index(parsed["sentiment"])].append({"json": data, "pairedItem": {"item": i}})
    return outputs
