"""``iza memory`` commands beyond CRUD/search: export/import, reembed, memorize, mailboxes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from iza.cli._context import State, emit_json, pass_state
from iza.errors import InputError

__all__ = ["register"]

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _store(state: State):  # type: ignore[no-untyped-def]
    from iza.memory import open_store

    return open_store(state.ready_settings())


@click.command("export")
@click.option("--namespace", "-n", required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@pass_state
def export_cmd(state: State, namespace: str, out: str | None) -> None:
    """Write a namespace as JSONL (the `import` format), oldest first."""
    store = _store(state)
    lines = []
    offset = 0
    while True:
        page = store.list(namespace, limit=1000, offset=offset)
        lines += [json.dumps(r.as_dict(), ensure_ascii=False) for r in page]
        if len(page) < 1000:
            break
        offset += 1000
    text = "\n".join(reversed(lines)) + ("\n" if lines else "")
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"exported {len(lines)} memories to {out}", err=True)
    else:
        sys.stdout.write(text)


@click.command("import")
@click.option(
    "--namespace", "-n", default=None, help="Put every record here (default: each line's namespace)."
)
@_JSON
@click.argument("path", type=click.Path(dir_okay=False))
@pass_state
def import_cmd(state: State, namespace: str | None, as_json: bool, path: str) -> None:
    """Import JSONL written by `export` (all lines or none)."""
    from iza.memory._records import parse_jsonl

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", fix="check the file path") from exc
    records = list(parse_jsonl(lines, namespace, source=path))
    n = _store(state).add(records)
    if as_json:
        emit_json({"imported": n})
    else:
        click.echo(f"imported {n} memories")


@click.command("reembed")
@click.option("--namespace", "-n", required=True)
@_JSON
@pass_state
def reembed_cmd(state: State, namespace: str, as_json: bool) -> None:
    """Recompute a namespace's vectors with the configured embedder (after a model change)."""
    from rich.progress import Progress

    from iza.memory import default_embedder

    embedder = default_embedder(state.ready_settings())
    if embedder is None:
        raise InputError(
            "no embedder configured (memory.embedder=none or packages missing)",
            fix="pip install 'iza-os[embeddings]' and set memory.embedder = \"minilm\"",
        )
    store = _store(state)
    with Progress(console=state.console(stderr=True), transient=True) as bar:
        task = bar.add_task("re-embedding", total=None)
        n = store.reembed(namespace, embedder, progress=lambda d, t: bar.update(task, completed=d, total=t))
    if as_json:
        emit_json({"reembedded": n, "model": embedder.name, "namespace": namespace})
    else:
        click.echo(f"re-embedded {n} memories with {embedder.name}")


@click.command("memorize")
@click.option("--namespace", "-n", default="default", show_default=True)
@click.option("--model", default=None, help="Model for fact extraction (alias or provider:model).")
@click.option("--no-facts", is_flag=True, help="Store verbatim turns only, even with a provider.")
@_JSON
@click.argument("path", type=click.Path(dir_okay=False))
@pass_state
def memorize_cmd(
    state: State, namespace: str, model: str | None, no_facts: bool, as_json: bool, path: str
) -> None:
    """Turn a conversation (JSON list of {speaker, text, time}) into memories.

    Verbatim turns are always stored. With an LLM provider configured, facts are extracted too
    (structured output through iza.llm), each a `fact` record linked to the turns it came from.
    Without one the command says so and stores the turns only. Nothing is stored if extraction
    fails.
    """
    from iza.memory._memorize import conversation_records, extract_facts

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read conversation {path}: {exc}", fix="give a JSON list of turns") from exc
    records = conversation_records(data, namespace, source=path)
    ask = None if no_facts else _llm_asker(state, model)
    facts = extract_facts(records, ask, source=path) if ask is not None else []
    _store(state).add([*records, *facts])
    if ask is None:
        note = ("verbatim turns only (--no-facts)" if no_facts else
                "verbatim turns only: no LLM provider is configured (offline), so no facts were extracted")
    else:
        by = f"{facts[0].provenance['extracted_by']}" if facts else ""
        note = f"facts extracted by {by}" if facts else "the model found no facts"
    if as_json:
        emit_json({"stored_turns": len(records), "extracted_facts": len(facts), "note": note,
                   "facts": [f.as_dict() for f in facts]})
    else:
        click.echo(f"stored {len(records)} turns and {len(facts)} facts ({note})")


def _llm_asker(state: State, model: str | None):  # type: ignore[no-untyped-def]
    """A callable for ``extract_facts`` over iza.llm, or ``None`` when no provider is configured."""
    import iza.llm as llm

    service = llm.default_llm(state.settings())
    if not service.available():
        return None

    def ask(messages: list[dict[str, str]], schema: dict[str, object]) -> tuple[object, str]:
        result = service.chat(messages, model=model, response_schema=schema,
                              context=llm.CallContext(agent="memory.memorize"))
        return result.parsed, f"{result.provider}:{result.model}"

    return ask


@click.command("send")
@click.option("--namespace", "-n", default="mail", show_default=True)
@click.option("--from", "sender", required=True)
@click.option("--to", "recipient", required=True)
@click.option("--thread", default=None)
@_JSON
@click.argument("text")
@pass_state
def send_cmd(
    state: State, namespace: str, sender: str, recipient: str, thread: str | None, as_json: bool, text: str
) -> None:
    """Send a message from one agent to another."""
    from iza.memory import Mailbox

    rec = Mailbox(_store(state), namespace).send(sender, recipient, text, thread=thread)
    if as_json:
        emit_json(rec.as_dict())
    else:
        click.echo(f"sent {rec.id}")


@click.command("inbox")
@click.option("--namespace", "-n", default="mail", show_default=True)
@click.option("--all", "include_acked", is_flag=True, help="Include acknowledged messages.")
@_JSON
@click.argument("agent")
@pass_state
def inbox_cmd(state: State, namespace: str, include_acked: bool, as_json: bool, agent: str) -> None:
    """Messages to AGENT, oldest first."""
    from iza.memory import Mailbox

    msgs = Mailbox(_store(state), namespace).inbox(agent, include_acked=include_acked)
    if as_json:
        emit_json([m.as_dict() for m in msgs])
    else:
        for m in msgs:
            click.echo(f"{m.id}  from {m.metadata.get('from')}: {m.text[:100]}")


@click.command("ack")
@click.option("--namespace", "-n", default="mail", show_default=True)
@_JSON
@click.argument("message_id")
@pass_state
def ack_cmd(state: State, namespace: str, as_json: bool, message_id: str) -> None:
    """Mark a message handled."""
    from iza.memory import Mailbox

    rec = Mailbox(_store(state), namespace).ack(message_id)
    if as_json:
        emit_json(rec.as_dict())
    else:
        click.echo(f"acknowledged {message_id}")


def register(group: click.Group) -> None:
    for cmd in (export_cmd, import_cmd, reembed_cmd, memorize_cmd, send_cmd, inbox_cmd, ack_cmd):
        group.add_command(cmd)
