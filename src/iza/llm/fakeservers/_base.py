"""The HTTP plumbing shared by the fake upstreams: a threaded server, scripts and faults."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Fault", "FakeServer", "Reply", "Seen", "echo"]


@dataclass
class Reply:
    """What the fake model answers. ``tool_calls`` are ``(name, arguments)`` pairs."""

    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass(frozen=True)
class Fault:
    """One injected failure, consumed by the next request.

    kinds: ``status`` (HTTP error, optional Retry-After), ``delay`` (answer late: a timeout),
    ``malformed`` (200 with a body that is not JSON), ``truncate`` (a stream that stops half-way),
    ``bad_usage`` (usage fields missing or negative).
    """

    kind: str
    status: int = 500
    retry_after: str | None = None
    delay: float = 0.0

    @classmethod
    def http(cls, status: int, retry_after: float | str | None = None) -> Fault:
        return cls("status", status=status, retry_after=None if retry_after is None else str(retry_after))

    @classmethod
    def timeout(cls, delay: float) -> Fault:
        return cls("delay", delay=delay)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def truncate(cls) -> Fault:
        return cls("truncate")

    @classmethod
    def bad_usage(cls) -> Fault:
        return cls("bad_usage")


Script = Callable[[dict[str, Any]], Reply]


def echo(body: dict[str, Any]) -> Reply:
    """Default script: repeat the last user text found anywhere in the wire body."""
    texts = [t for t in _texts(body)]
    return Reply(text=f"echo: {texts[-1] if texts else ''}")


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            elif key == "content" and isinstance(value, str):
                yield value
            elif key not in ("tools", "system", "system_instruction", "systemInstruction"):
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


class FakeServer:
    """Base of the fake upstreams: subclasses implement :meth:`handle` for their wire format."""

    def __init__(self, script: Script | None = None, *, stream_delay: float = 0.0) -> None:
        self.script: Script = script or echo
        self.faults: deque[Fault] = deque()
        self.requests: list[Seen] = []
        self.stream_delay = stream_delay
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> FakeServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as written, no 40 ms stalls

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                server._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # benchmarks open dozens of connections at once

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client that timed out and hung up is an expected event here; anything else
                # is a bug in the fake and is printed.
                import sys

                exc = sys.exc_info()[1]
                if not isinstance(exc, ConnectionError):
                    super().handle_error(request, client_address)

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- request handling -------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        with self._lock:
            self.requests.append(Seen(h.path, {k.lower(): v for k, v in h.headers.items()}, body))
            fault = self.faults.popleft() if self.faults else None
        if fault is not None and fault.kind == "status":
            headers = {"retry-after": fault.retry_after} if fault.retry_after is not None else {}
            self.send_json(h, fault.status, self.error_body(fault.status), headers)
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "malformed":
            self.send_raw(h, 200, b'{"id": "broken", "choices": [ {"mess', "application/json")
            return
        self.handle(h, body, self.script(body), fault)

    def handle(
        self, h: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply, fault: Fault | None
    ) -> None:
        raise NotImplementedError

    def error_body(self, status: int) -> dict[str, Any]:
        return {"error": {"message": f"injected {status}", "code": status}}

    @staticmethod
    def tokens(body: dict[str, Any], reply: Reply) -> tuple[int, int]:
        """Deterministic usage: 10 tokens per text in the request, 1 per word of the answer."""
        inp = reply.input_tokens if reply.input_tokens is not None else 10 * max(1, len(list(_texts(body))))
        out = (
            reply.output_tokens
            if reply.output_tokens is not None
            else len(reply.text.split()) + 5 * len(reply.tool_calls)
        )
        return inp, out

    # ---- output helpers ---------------------------------------------------------------------
    @staticmethod
    def send_raw(
        h: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        h.send_response(status)
        h.send_header("content-type", ctype)
        h.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def send_json(
        self, h: BaseHTTPRequestHandler, status: int, data: Any, headers: dict[str, str] | None = None
    ) -> None:
        self.send_raw(h, status, json.dumps(data).encode(), "application/json", headers)

    def send_sse(
        self, h: BaseHTTPRequestHandler, events: list[tuple[str | None, Any]], cut: int | None
    ) -> None:
        """Write SSE events and close; with ``cut`` only ``events[:cut]`` (no terminal event)."""
        if cut is not None:
            events = events[:cut]
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("connection", "close")
        h.end_headers()
        h.close_connection = True
        for name, data in events:
            chunk = (
                (f"event: {name}\n" if name else "")
                + "data: "
                + (data if isinstance(data, str) else json.dumps(data))
                + "\n\n"
            )
            h.wfile.write(chunk.encode())
            h.wfile.flush()
            if self.stream_delay:
                time.sleep(self.stream_delay)
