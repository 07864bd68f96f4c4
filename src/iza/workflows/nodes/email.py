"""Send Email node (``n8n-nodes-base.emailSend`` v1, v2, v2.1, operation ``send``) over SMTP.

n8n takes the SMTP server from an ``smtp`` credential; IZA does not import n8n credentials, so the
server comes from settings instead (``workflows.smtp_host``, ``smtp_port``, ``smtp_user``,
``smtp_security``) and the password from the ``IZA_SMTP_PASSWORD`` secret. A workflow that sends
mail on a machine with no SMTP server configured fails with one error saying which setting to set.

Parameters, as n8n names them: ``fromEmail``, ``toEmail`` (comma-separated; ``Name <a@b>``
allowed), ``subject``, ``emailFormat`` (``text`` / ``html`` / ``both``; v2.1 defaults to ``html``,
v2.0 to ``text``; v1 sends ``text`` and/or ``html`` when set), ``text``, ``html`` and options
``ccEmail``, ``bccEmail``, ``replyTo``, ``attachments`` (comma-separated binary property names of
the item) and ``allowUnauthorizedCerts``. n8n's ``appendAttribution`` footer is not added: the
message is what the workflow wrote. One message is sent per item; the item's output is what the
server accepted (``accepted``, ``rejected``, ``envelope``, ``messageId``, ``response``), the shape
n8n passes on from its mail library. ``sendAndWait`` is refused with a clear error.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses, make_msgid
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._services import services_for
from iza.workflows.nodes._registry import Outputs, register

__all__: list[str] = []


def _addresses(value: Any) -> list[str]:
    if not value:
        return []
    return [addr for _, addr in getaddresses([str(value)]) if addr]


def _message(ctx: NodeContext, i: int) -> tuple[EmailMessage, str, list[str]]:
    name = ctx.node.name
    sender = str(ctx.param("fromEmail", i, "") or "")
    to = str(ctx.param("toEmail", i, "") or "")
    if not _addresses(sender) or not _addresses(to):
        raise NodeError(name, "the From Email and To Email parameters need an email address each",
                        fix="Set fromEmail and toEmail (e.g. 'Shop <shop@example.com>').")
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, to
    msg["Subject"] = str(ctx.param("subject", i, "") or "")
    msg["Message-ID"] = make_msgid(domain=_addresses(sender)[0].rpartition("@")[2] or None)
    cc = str(ctx.param("options.ccEmail", i, "") or ctx.param("ccEmail", i, "") or "")
    bcc = str(ctx.param("options.bccEmail", i, "") or ctx.param("bccEmail", i, "") or "")
    reply_to = str(ctx.param("options.replyTo", i, "") or "")
    if cc:
        msg["Cc"] = cc
    if reply_to:
        msg["Reply-To"] = reply_to
    text, html = _bodies(ctx, i)
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    if text is None and html is None:
        msg.set_content("")
    _attach(ctx, i, msg)
    recipients = _addresses(to) + _addresses(cc) + _addresses(bcc)
    return msg, _addresses(sender)[0], recipients


def _bodies(ctx: NodeContext, i: int) -> tuple[str | None, str | None]:
    if ctx.version < 2:
        text = ctx.param("text", i, "") or None
        html = ctx.param("html", i, "") or None
        return (None if text is None else str(text)), (None if html is None else str(html))
    fmt = str(ctx.param("emailFormat", i, "html" if ctx.version >= 2.1 else "text"))
    text = str(ctx.param("text", i, "") or "") if fmt in ("text", "both") else None
    html = str(ctx.param("html", i, "") or "") if fmt in ("html", "both") else None
    return text, html


def _attach(ctx: NodeContext, i: int, msg: EmailMessage) -> None:
    names = str(ctx.param("options.attachments", i, "") or ctx.param("attachments", i, "") or "")
    binary = ctx.items[i].get("binary") or {}
    for prop in (p.strip() for p in names.split(",") if p.strip()):
        entry = binary.get(prop)
        if not isinstance(entry, dict) or "data" not in entry:
            raise NodeError(ctx.node.name, f"the item has no binary property '{prop}' to attach",
                            fix="Name binary properties the item carries in options.attachments "
                                f"(it has: {', '.join(binary) or 'none'}).")
        maintype, _, subtype = str(entry.get("mimeType") or "application/octet-stream").partition("/")
        msg.add_attachment(base64.b64decode(entry["data"]), maintype=maintype,
                           subtype=subtype or "octet-stream", filename=str(entry.get("fileName") or prop))


def _connect(ctx: NodeContext, i: int) -> smtplib.SMTP:
    settings = services_for(ctx).settings
    host = settings.get_str("workflows.smtp_host")
    if not host:
        raise NodeError(ctx.node.name, "no SMTP server is configured for the Send Email node",
                        fix="Set workflows.smtp_host (and smtp_port, smtp_user, smtp_security; the "
                            "password in IZA_SMTP_PASSWORD), e.g. IZA_WORKFLOWS_SMTP_HOST=smtp.example.com.")
    port = settings.get_int("workflows.smtp_port")
    security = settings.get_str("workflows.smtp_security")
    context = ssl.create_default_context()
    if ctx.param("options.allowUnauthorizedCerts", i, False):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        client = (smtplib.SMTP_SSL(host, port, timeout=30, context=context) if security == "tls"
                  else smtplib.SMTP(host, port, timeout=30))
        if security == "starttls":
            client.starttls(context=context)
        user = settings.get_str("workflows.smtp_user")
        if user:
            client.login(user, settings.secret("IZA_SMTP_PASSWORD") or "")
    except (OSError, smtplib.SMTPException) as exc:
        raise NodeError(ctx.node.name, f"cannot reach the SMTP server {host}:{port}: {exc}",
                        fix="Check workflows.smtp_host/smtp_port/smtp_security and the credentials.") from exc
    return client


def _send(ctx: NodeContext, client: smtplib.SMTP, msg: EmailMessage, sender: str,
          recipients: list[str]) -> tuple[list[str], list[str], str]:
    """One SMTP transaction, step by step, to report each recipient and the server's final reply."""
    try:
        client.ehlo_or_helo_if_needed()
        code, reply = client.mail(sender)
        if code != 250:
            client.rset()
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        accepted = [r for r in recipients if client.rcpt(r)[0] in (250, 251)]
        rejected = [r for r in recipients if r not in accepted]
        if not accepted:
            client.rset()
            raise smtplib.SMTPRecipientsRefused({r: (550, b"refused") for r in rejected})
        code, reply = client.data(msg.as_bytes(policy=SMTP))
    except smtplib.SMTPException as exc:
        raise NodeError(ctx.node.name, f"the SMTP server refused the message: {exc}",
                        fix="Check the addresses and the server's sending rules.") from exc
    return accepted, rejected, f"{code} {reply.decode(errors='replace')}"


@register("emailSend")
def email_send(ctx: NodeContext) -> Outputs:
    if str(ctx.param("operation", 0, "send")) != "send":
        raise NodeError(ctx.node.name, "the Send Email node's 'send and wait for response' operation is "
                        "not supported", fix="Use operation 'send', and a Wait node resumed by webhook.")
    out: list[dict[str, Any]] = []
    if not ctx.items:
        return [out]
    client = _connect(ctx, 0)
    try:
        for i in range(len(ctx.items)):
            msg, sender, recipients = _message(ctx, i)
            accepted, rejected, response = _send(ctx, client, msg, sender, recipients)
            out.append({"json": {
                "accepted": accepted,
                "rejected": rejected,
                "envelope": {"from": sender, "to": recipients},
                "messageId": msg["Message-ID"],
                "response": response,
            }, "pairedItem": {"item": i}})
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            client.close()
    return [out]
