"""Send Email node against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import base64
import email
import socket
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from wf_helpers import chain, node

from iza.kernel.config import load
from iza.kernel.home import ensure_home
from iza.workflows import Execution, parse_workflow
from iza.workflows._services import NodeServices


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address.endswith("@refused.example"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _run(wf: dict[str, Any], home: Path, **overrides: Any) -> Execution:
    settings = load(home, overrides)
    ensure_home(settings)
    ex = Execution(parse_workflow(wf), services=NodeServices(settings))
    ex.start()
    return ex


_ITEMS = ("return [{json: {name: 'Ada', to: 'ada@example.com'}, binary: {invoice: {data: '"
          + base64.b64encode(b"%PDF-1.4 invoice").decode()
          + "', mimeType: 'application/pdf', fileName: 'invoice.pdf'}}},"
          " {json: {name: 'Bo', to: 'bo@example.com, ghost@refused.example'}}];")


def _email_wf(**params: Any) -> dict[str, Any]:
    base = {"fromEmail": "Shop <shop@example.com>", "toEmail": "={{ $json.to }}",
            "subject": "=Hello {{ $json.name }}", "emailFormat": "both",
            "text": "=Hi {{ $json.name }}", "html": "=<p>Hi <b>{{ $json.name }}</b></p>",
            "options": {"bccEmail": "audit@example.com"}}
    base.update(params)
    return chain(node("Start", "manualTrigger"), node("Items", "code", {"jsCode": _ITEMS}, version=2),
                 node("Mail", "emailSend", base, version=2.1))


def test_send_email_delivers_each_item_over_smtp(smtp: tuple[_Inbox, int], home: Path) -> None:
    inbox, port = smtp
    wf = _email_wf()
    wf["nodes"][2]["parameters"]["options"]["attachments"] = "={{ $json.name === 'Ada' ? 'invoice' : '' }}"
    result = _run(wf, home, **{"workflows.smtp_host": "127.0.0.1", "workflows.smtp_port": port,
                               "workflows.smtp_security": "none"}).run()
    assert result.status == "success", result.error
    out = [i["json"] for i in result.run_data["Mail"][0]["data"]["main"][0]]
    assert out[0]["accepted"] == ["ada@example.com", "audit@example.com"] and out[0]["rejected"] == []
    assert out[1]["accepted"] == ["bo@example.com", "audit@example.com"]
    assert out[1]["rejected"] == ["ghost@refused.example"]
    assert out[0]["response"].startswith("250 Message accepted")
    assert out[0]["envelope"] == {"from": "shop@example.com",
                                  "to": ["ada@example.com", "audit@example.com"]}

    assert [(frm, to) for frm, to, _ in inbox.envelopes] == [
        ("shop@example.com", ["ada@example.com", "audit@example.com"]),
        ("shop@example.com", ["bo@example.com", "audit@example.com"])]
    first = email.message_from_bytes(inbox.envelopes[0][2], policy=policy.default)
    assert first["Subject"] == "Hello Ada" and first["Message-ID"] == out[0]["messageId"]
    assert "Bcc" not in first and "audit@example.com" not in inbox.envelopes[0][2].decode()
    body = first.get_body(("plain",))
    html = first.get_body(("html",))
    assert body is not None and body.get_content().strip() == "Hi Ada"
    assert html is not None and "<b>Ada</b>" in html.get_content()
    [attachment] = list(first.iter_attachments())
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 invoice"
    second = email.message_from_bytes(inbox.envelopes[1][2], policy=policy.default)
    assert list(second.iter_attachments()) == []


def test_send_email_without_smtp_server_names_the_setting(home: Path) -> None:
    result = _run(_email_wf(), home).run()
    assert result.status == "error"
    assert result.error["node"] == "Mail"
    assert "no SMTP server is configured" in result.error["message"]
    assert "workflows.smtp_host" in str(result.error)


def test_send_email_missing_attachment_property_is_named(smtp: tuple[_Inbox, int], home: Path) -> None:
    inbox, port = smtp
    wf = _email_wf(options={"attachments": "receipt"})
    result = _run(wf, home, **{"workflows.smtp_host": "127.0.0.1", "workflows.smtp_port": port,
                               "workflows.smtp_security": "none"}).run()
    assert result.status == "error" and "binary property 'receipt'" in result.error["message"]
    assert inbox.envelopes == []  # nothing half-sent
