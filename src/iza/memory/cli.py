"""``iza memory …``: the memory engine's commands (also the LoCoMo benchmark contract).

Commands are thin: parse flags, open the configured store, call one method, print. Data
commands take ``--json``; long ones (add/import with embeddings, reembed) show progress on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from iza.cli._context import State, emit_json, pass_state
from iza.errors import InputError

__all__ = ["memory_group"]

_NS = click.option("--namespace", "-n", default="default", show_default=True, help="Namespace.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _store(state: State) -> Any:
    from iza.memory import open_store

    return open_store(state.ready_settings())


@contextmanager
def _progress(state: State, label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, updated through ``(done, total)`` callbacks."""
    from rich.progress import Progress

    with Progress(console=state.console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", fix="check the file path") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text", fix="save the file as UTF-8 JSONL") from exc


def _parse_time(value: str | None, flag: str) -> float | None:
    from iza.memory import parse_event_time

    try:
        return parse_event_time(value)
    except ValueError as exc:
        raise InputError(f"{flag}: {exc}", fix=f"give {flag} as ISO 8601, e.g. 2023-06-09") from None


@click.group("memory")
def memory_group() -> None:
    """Long-term memory: add, search, inspect and forget records; agent mailboxes."""


@memory_group.command("add")
@_NS
@click.option("--jsonl", "jsonl", type=click.Path(dir_okay=False), help="One record per line.")
@click.option("--text", default=None, help="Add one record with this text instead.")
@click.option("--kind", default="note", show_default=True)
@click.option("--subject", default=None, help="Person or entity the record is about (for forget).")
@_JSON
@pass_state
def add_cmd(
    state: State,
    namespace: str,
    jsonl: str | None,
    text: str | None,
    kind: str,
    subject: str | None,
    as_json: bool,
) -> None:
    """Add records from JSONL (`text` required; `id`, `timestamp`, `kind` optional; other keys →
    metadata). A bad line aborts the whole import, naming its line number."""
    from iza.memory import MemoryRecord
    from iza.memory._records import parse_jsonl

    if (jsonl is None) == (text is None):
        raise InputError(
            "give exactly one of --jsonl FILE or --text TEXT",
            fix="e.g. iza memory add --namespace NS --jsonl records.jsonl",
        )
    if jsonl is not None:
        records = list(parse_jsonl(_read_lines(jsonl), namespace, source=jsonl))
    else:
        records = [MemoryRecord(namespace=namespace, text=str(text), kind=kind, subject=subject)]
    store = _store(state)
    with _progress(state, "embedding") as progress:
        n = store.add(records, progress=progress)
    if as_json:
        emit_json({"added": n, "namespace": namespace, "ids": [r.id for r in records][:1000]})
    else:
        click.echo(f"added {n} memories to {namespace}")


@memory_group.command("search")
@_NS
@click.option("--k", "k", default=10, show_default=True, type=int)
@click.option(
    "--queries", type=click.Path(dir_okay=False), help='JSONL of {"query": …}; one result line each.'
)
@click.option("--kind", "kinds", multiple=True, help="Only these kinds (repeatable).")
@click.option("--subject", default=None)
@click.option("--where", "where", multiple=True, help="Metadata filter KEY=VALUE (repeatable).")
@click.option("--since", default=None, help="Event time from (ISO 8601 or a date).")
@click.option("--until", default=None, help="Event time until.")
@_JSON
@click.argument("query", required=False)
@pass_state
def search_cmd(
    state: State,
    namespace: str,
    k: int,
    queries: str | None,
    kinds: tuple[str, ...],
    subject: str | None,
    where: tuple[str, ...],
    since: str | None,
    until: str | None,
    as_json: bool,
    query: str | None,
) -> None:
    """Hybrid search (BM25 + vectors + neighbours + recency/importance), best first."""
    from iza.memory import SearchQuery

    meta: dict[str, Any] = {}
    for item in where:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--where {item!r} is not KEY=VALUE", fix="e.g. --where session=3")
        meta[key] = value
    texts: list[str]
    if queries is not None:
        texts = []
        for i, line in enumerate(_read_lines(queries), start=1):
            if not line.strip():
                continue
            try:
                texts.append(str(json.loads(line)["query"]))
            except (json.JSONDecodeError, KeyError, TypeError):
                raise InputError(
                    f'{queries} line {i}: expected {{"query": "…"}}', fix=f"fix line {i} of {queries}"
                ) from None
    elif query:
        texts = [query]
    else:
        raise InputError("no query given", fix="pass QUERY or --queries FILE")
    since_ts, until_ts = _parse_time(since, "--since"), _parse_time(until, "--until")
    results = _store(state).search_many(
        [
            SearchQuery(
                namespace=namespace,
                text=t,
                k=k,
                kinds=kinds,
                subject=subject,
                metadata=meta,
                since=since_ts,
                until=until_ts,
            )
            for t in texts
        ]
    )
    if queries is not None:
        for hits in results:
            sys.stdout.write(json.dumps([h.as_dict() for h in hits], ensure_ascii=False) + "\n")
        return
    if as_json:
        emit_json([h.as_dict() for h in results[0]])
        return
    for h in results[0]:
        click.echo(f"{h.score:7.3f}  {h.record.id}  {h.record.text[:100]}")


@memory_group.command("get")
@_NS
@_JSON
@click.argument("record_id")
@pass_state
def get_cmd(state: State, namespace: str, as_json: bool, record_id: str) -> None:
    """Show one record."""
    rec = _store(state).get(namespace, record_id)
    if as_json:
        emit_json(rec.as_dict())
    else:
        for key, value in rec.as_dict().items():
            click.echo(f"{key:>11}: {value}")


@memory_group.command("list")
@_NS
@click.option("--kind", default=None)
@click.option("--limit", default=20, show_default=True, type=int)
@click.option("--offset", default=0, type=int)
@_JSON
@pass_state
def list_cmd(state: State, namespace: str, kind: str | None, limit: int, offset: int, as_json: bool) -> None:
    """Records newest first."""
    recs = _store(state).list(namespace, kind=kind, limit=limit, offset=offset)
    if as_json:
        emit_json([r.as_dict() for r in recs])
    else:
        for r in recs:
            click.echo(f"{r.id}  [{r.kind}]  {r.text[:100]}")


@memory_group.command("update")
@_NS
@click.option("--text", default=None)
@click.option("--importance", type=float, default=None)
@click.option("--set", "sets", multiple=True, help="Metadata KEY=VALUE (repeatable).")
@click.option("--expires", default=None, help="Expiry time (ISO 8601).")
@_JSON
@click.argument("record_id")
@pass_state
def update_cmd(
    state: State,
    namespace: str,
    text: str | None,
    importance: float | None,
    sets: tuple[str, ...],
    expires: str | None,
    as_json: bool,
    record_id: str,
) -> None:
    """Change a record; the previous version is kept in its history."""
    meta = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--set {item!r} is not KEY=VALUE", fix="e.g. --set status=done")
        meta[key] = value
    rec = _store(state).update(
        namespace,
        record_id,
        text=text,
        importance=importance,
        metadata=meta or None,
        expires_at=_parse_time(expires, "--expires"),
    )
    if as_json:
        emit_json(rec.as_dict())
    else:
        click.echo(f"updated {record_id}")


@memory_group.command("delete")
@_NS
@_JSON
@click.argument("record_id")
@pass_state
def delete_cmd(state: State, namespace: str, as_json: bool, record_id: str) -> None:
    """Delete a record with its vector, full-text entry and history."""
    _store(state).delete(namespace, record_id)
    if as_json:
        emit_json({"deleted": record_id, "namespace": namespace})
    else:
        click.echo(f"deleted {record_id}")


@memory_group.command("forget")
@click.option("--namespace", "-n", required=True, help="Namespace (tenant).")
@click.option("--subject", default=None, help="Only this person/entity; default: the whole namespace.")
@_JSON
@pass_state
def forget_cmd(state: State, namespace: str, subject: str | None, as_json: bool) -> None:
    """Right to be forgotten: remove everything for a subject or namespace, leaving no trace."""
    n = _store(state).forget(namespace, subject)
    if as_json:
        emit_json({"forgotten": n, "namespace": namespace, "subject": subject})
    else:
        click.echo(f"forgot {n} memories")


@memory_group.command("history")
@_NS
@_JSON
@click.argument("record_id")
@pass_state
def history_cmd(state: State, namespace: str, as_json: bool, record_id: str) -> None:
    """Versions of a record, oldest first."""
    versions = _store(state).history(namespace, record_id)
    if as_json:
        emit_json(versions)
    else:
        for v in versions:
            click.echo(f"v{v['version']}  {v['action']:<8} {v['text'][:100]}")


@memory_group.command("stats")
@click.option("--namespace", "-n", default=None, help="One namespace (default: all).")
@_JSON
@pass_state
def stats_cmd(state: State, namespace: str | None, as_json: bool) -> None:
    """Counts per namespace, embedding model, file size."""
    stats = _store(state).stats(namespace)
    if as_json:
        emit_json(stats)
        return
    embedder = stats["embedder"] or "none (BM25 only)"
    click.echo(f"{stats['records']} memories, {stats['bytes']} bytes, embedder: {embedder}")
    for ns, s in stats["namespaces"].items():
        click.echo(f"  {ns}: {s['records']} records, {s['embedded']} embedded ({s['embed_model'] or '-'})")


from iza.memory.cli_more import register  # noqa: E402  (second half of the group)

register(memory_group)
