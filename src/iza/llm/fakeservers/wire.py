"""The three wire formats: OpenAI chat completions, Anthropic messages, Google generateContent.

Shapes follow the vendors' public API references closely enough for their official SDKs to
parse them, including SSE streaming with usage in the final events.
"""

from __future__ import annotations

import base64
import json
import struct
from http.server import BaseHTTPRequestHandler
from typing import Any

from iza.llm.fakeservers._base import FakeServer, Fault, Reply

__all__ = ["FakeAnthropic", "FakeGoogle", "FakeOpenAI"]


def vector(text: str) -> list[float]:
    """A deterministic 8-dimensional embedding of ``text`` (its length and first bytes)."""
    data = (text.encode("utf-8") + bytes(8))[:8]
    return [float(len(text))] + [b / 255.0 for b in data[:7]]


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)] if text else []


class FakeOpenAI(FakeServer):
    """``POST /v1/chat/completions`` (base_url for the SDK: ``server.base_url + "/v1"``)."""

    @property
    def sdk_base_url(self) -> str:
        return self.base_url + "/v1"

    def handle(
        self, h: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply, fault: Fault | None
    ) -> None:
        model = body.get("model", "")
        if h.path.endswith("/embeddings"):
            self._embeddings(h, body, model)
            return
        inp, out = self.tokens(body, reply)
        usage: Any = {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out}
        if fault is not None and fault.kind == "bad_usage":
            usage = {"prompt_tokens": -1, "completion_tokens": None}
        calls = [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(reply.tool_calls)
        ]
        finish = "tool_calls" if calls else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
            if calls:
                message["tool_calls"] = calls
            self.send_json(
                h,
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": usage,
                },
            )
            return
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}
        events: list[tuple[str | None, Any]] = [
            (
                None,
                {
                    **base,
                    "choices": [
                        {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
                    ],
                },
            )
        ]
        for piece in _pieces(reply.text):
            events.append(
                (
                    None,
                    {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]},
                )
            )
        for i, c in enumerate(calls):
            events.append(
                (
                    None,
                    {
                        **base,
                        "choices": [
                            {"index": 0, "delta": {"tool_calls": [{**c, "index": i}]}, "finish_reason": None}
                        ],
                    },
                )
            )
        cut = len(events)
        events.append((None, {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append((None, {**base, "choices": [], "usage": usage}))
        events.append((None, "[DONE]"))
        self.send_sse(h, events, cut if fault is not None and fault.kind == "truncate" else None)


    def _embeddings(self, h: BaseHTTPRequestHandler, body: dict[str, Any], model: str) -> None:
        """``POST /v1/embeddings``; honours ``encoding_format=base64`` (the SDK's default), which
        carries little-endian float32 arrays."""
        texts = body.get("input") or []
        texts = [texts] if isinstance(texts, str) else texts
        data = []
        for i, text in enumerate(texts):
            vec: Any = vector(text)
            if body.get("encoding_format") == "base64":
                vec = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": vec})
        self.send_json(h, 200, {"object": "list", "model": model, "data": data,
                                "usage": {"prompt_tokens": 3 * len(texts), "total_tokens": 3 * len(texts)}})


class FakeAnthropic(FakeServer):
    """``POST /v1/messages`` (base_url for the SDK: ``server.base_url``)."""

    @property
    def sdk_base_url(self) -> str:
        return self.base_url

    def error_body(self, status: int) -> dict[str, Any]:
        kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": f"injected {status}"}}

    def handle(
        self, h: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply, fault: Fault | None
    ) -> None:
        model = body.get("model", "")
        inp, out = self.tokens(body, reply)
        usage: dict[str, Any] = {"input_tokens": inp, "output_tokens": out}
        if fault is not None and fault.kind == "bad_usage":
            usage = {"input_tokens": -5, "output_tokens": 0}
        blocks: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
        blocks += [
            {"type": "tool_use", "id": f"toolu_{i}", "name": n, "input": a}
            for i, (n, a) in enumerate(reply.tool_calls)
        ]
        stop = "tool_use" if reply.tool_calls else "end_turn"
        msg = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "stop_reason": None,
            "stop_sequence": None,
        }
        if not body.get("stream"):
            self.send_json(h, 200, {**msg, "content": blocks, "stop_reason": stop, "usage": usage})
            return
        events: list[tuple[str | None, Any]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        **msg,
                        "content": [],
                        "usage": {"input_tokens": usage["input_tokens"], "output_tokens": 1},
                    },
                },
            )
        ]
        for i, b in enumerate(blocks):
            if b["type"] == "text":
                events.append(
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": i,
                            "content_block": {"type": "text", "text": ""},
                        },
                    )
                )
                for piece in _pieces(b["text"]):
                    events.append(
                        (
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": i,
                                "delta": {"type": "text_delta", "text": piece},
                            },
                        )
                    )
            else:
                events.append(
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": i,
                            "content_block": {
                                "type": "tool_use",
                                "id": b["id"],
                                "name": b["name"],
                                "input": {},
                            },
                        },
                    )
                )
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": i,
                            "delta": {"type": "input_json_delta", "partial_json": json.dumps(b["input"])},
                        },
                    )
                )
            events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
        cut = len(events)
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": usage["output_tokens"]},
                },
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        self.send_sse(h, events, cut if fault is not None and fault.kind == "truncate" else None)


class FakeGoogle(FakeServer):
    """``POST /v1beta/models/{model}:generateContent`` and ``:streamGenerateContent?alt=sse``."""

    @property
    def sdk_base_url(self) -> str:
        return self.base_url

    def error_body(self, status: int) -> dict[str, Any]:
        name = {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 500: "INTERNAL"}.get(
            status, "INVALID_ARGUMENT"
        )
        return {"error": {"code": status, "message": f"injected {status}", "status": name}}

    def handle(
        self, h: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply, fault: Fault | None
    ) -> None:
        path = h.path.split("?", 1)[0]
        model = path.rsplit("/", 1)[-1].split(":", 1)[0]
        if path.endswith(":batchEmbedContents"):
            texts = ["".join(part.get("text", "") for part in r["content"]["parts"])
                     for r in body.get("requests", [])]
            self.send_json(h, 200, {"embeddings": [{"values": vector(t)} for t in texts]})
            return
        inp, out = self.tokens(body, reply)
        usage: dict[str, Any] = {
            "promptTokenCount": inp,
            "candidatesTokenCount": out,
            "totalTokenCount": inp + out,
        }
        if fault is not None and fault.kind == "bad_usage":
            usage = {"promptTokenCount": -3}
        parts: list[dict[str, Any]] = [{"text": reply.text}] if reply.text else []
        parts += [
            {"functionCall": {"id": f"fc_{i}", "name": n, "args": a}}
            for i, (n, a) in enumerate(reply.tool_calls)
        ]
        if not path.endswith(":streamGenerateContent"):
            self.send_json(
                h,
                200,
                {
                    "candidates": [
                        {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
                    ],
                    "usageMetadata": usage,
                    "modelVersion": model,
                },
            )
            return
        events: list[tuple[str | None, Any]] = []
        pieces = _pieces(reply.text)
        for piece in pieces:
            events.append(
                (
                    None,
                    {
                        "candidates": [
                            {"content": {"role": "model", "parts": [{"text": piece}]}, "index": 0}
                        ],
                        "modelVersion": model,
                    },
                )
            )
        cut = len(events)
        calls = [p for p in parts if "functionCall" in p]
        events.append(
            (
                None,
                {
                    "candidates": [
                        {
                            "content": {"role": "model", "parts": calls or [{"text": ""}]},
                            "finishReason": "STOP",
                            "index": 0,
                        }
                    ],
                    "usageMetadata": usage,
                    "modelVersion": model,
                },
            )
        )
        self.send_sse(h, events, cut if fault is not None and fault.kind == "truncate" else None)
