"""``iza llm``: status, providers, chat, usage, prices and budgets. Thin over ``iza.llm``."""

from __future__ import annotations

from typing import Any

import click

from iza.cli._context import State, emit_json, pass_state

__all__ = ["llm_group"]


@click.group("llm")
def llm_group() -> None:
    """LLM providers, chat, usage, prices and budgets."""


def _status(state: State, as_json: bool, providers_only: bool) -> None:
    from rich.markup import escape
    from rich.table import Table

    from iza.llm._status import llm_status

    st = llm_status(state.settings())
    if as_json:
        emit_json({"providers": st["providers"]} if providers_only else st)
        return
    console = state.console()
    if not providers_only:
        if st["configured"]:
            default = escape(str(st["default_model"]))
            console.print(f"LLM: [green]online[/] — default model [bold]{default}[/], "
                          f"strategy {st['strategy']}")
        else:
            console.print("LLM: [yellow]offline[/] — no provider is configured, so LLM calls are refused "
                          "(agents fall back to their playbooks).")
            console.print(f"to configure: {escape(st['how_to_configure'])}")
    table = Table(title="LLM providers", title_justify="left")
    for col in ("provider", "configured", "SDK", "base URL", "key", "default model"):
        table.add_column(col)
    for p in st["providers"]:
        sdk = "installed" if p["sdk_installed"] else f"[red]missing[/] (pip install 'iza-os[{p['extra']}]')"
        table.add_row(p["provider"], "yes" if p["configured"] else "no", sdk, escape(p.get("base_url", "")),
                      p.get("key", ""), p.get("default_model", ""))
    console.print(table)
    if not providers_only and st["configured"]:
        for alias, deps in st["aliases"].items():
            console.print(f"  alias [bold]{alias}[/] → {', '.join(deps) or '(no configured provider)'}")


@llm_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_state
def status_cmd(state: State, as_json: bool) -> None:
    """Say whether any provider is configured, which, and how to configure one."""
    _status(state, as_json, providers_only=False)


@llm_group.command("providers")
@click.option("--json", "as_json", is_flag=True, help="Print {\"providers\": [...]} as JSON.")
@pass_state
def providers_cmd(state: State, as_json: bool) -> None:
    """List the provider families, whether each is configured and its SDK installed."""
    _status(state, as_json, providers_only=True)


@llm_group.command("chat")
@click.argument("prompt")
@click.option("--model", "-m", default=None, help="Alias (fast, smart, cheap, code…) or provider:model.")
@click.option("--system", "system", default=None, help="A system prompt.")
@click.option("--max-tokens", type=int, default=None, help="Upper bound on the answer's tokens.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"content","provider","model","usage":{…},"cost_usd"} as JSON.')
@pass_state
def chat_cmd(state: State, prompt: str, model: str | None, system: str | None, max_tokens: int | None,
             as_json: bool) -> None:
    """Send PROMPT to a model and print its answer (journaled like every call)."""
    from iza.llm import LLM, Message

    settings = state.ready_settings()
    llm = LLM(settings, store=state.store())
    messages = ([Message.system(system)] if system else []) + [Message.user(prompt)]
    if as_json:
        r = llm.chat(messages, model=model, max_tokens=max_tokens)
        emit_json({"content": r.content, "provider": r.provider, "model": r.model,
                   "usage": {"input_tokens": r.usage.input_tokens, "output_tokens": r.usage.output_tokens},
                   "cost_usd": round(r.cost_usd, 8)})
        return
    result = None
    for ev in llm.stream(messages, model=model, max_tokens=max_tokens):
        if ev.delta:
            click.echo(ev.delta, nl=False)
        result = ev.result or result
    click.echo()
    if result is not None:
        est = " (estimated)" if result.usage.estimated else ""
        click.echo(f"— {result.provider}:{result.model} · {result.usage.input_tokens} in / "
                   f"{result.usage.output_tokens} out tokens{est} · ${result.cost_usd:.6f}", err=True)


@llm_group.command("usage")
@click.option("--by", "by", type=click.Choice(["agent", "model", "day", "mission", "order"]), default="model",
              show_default=True, help="How to group calls.")
@click.option("--days", type=int, default=None, help="Only the last N days.")
@click.option("--json", "as_json", is_flag=True, help="Print {\"by\", \"rows\": [...]} as JSON.")
@pass_state
def usage_cmd(state: State, by: str, days: int | None, as_json: bool) -> None:
    """Calls, tokens and cost from the run journal, grouped by agent, model, day, mission or order."""
    from datetime import UTC, datetime, timedelta

    from rich.table import Table

    from iza.llm._journal import usage_report

    since = datetime.now(UTC) - timedelta(days=days) if days else None
    rows = usage_report(state.store(), by, since=since)
    if as_json:
        emit_json({"by": by, "rows": rows, "total_cost_usd": round(sum(r["cost_usd"] for r in rows), 6)})
        return
    table = Table(title=f"LLM usage by {by}", title_justify="left")
    for col in (by, "calls", "failed", "input tokens", "output tokens", "cost USD"):
        table.add_column(col, justify="left" if col == by else "right")
    for r in rows:
        table.add_row(str(r[by] if r[by] is not None else "(none)"), str(r["calls"]), str(r["failed"]),
                      str(r["input_tokens"]), str(r["output_tokens"]), f"{r['cost_usd']:.6f}")
    console = state.console()
    console.print(table)
    if not rows:
        console.print("no LLM calls recorded yet")


@llm_group.command("prices")
@click.option("--json", "as_json", is_flag=True, help="Print the price table as JSON.")
@pass_state
def prices_cmd(state: State, as_json: bool) -> None:
    """The price table in use (USD per million tokens) and where it came from."""
    from rich.table import Table

    from iza.llm._catalog import load_prices

    table_ = load_prices(state.settings())
    data: dict[str, Any] = {"sources": list(table_.sources), "prices": {
        k: {"input_per_million": v[0], "output_per_million": v[1]} for k, v in sorted(table_.prices.items())}}
    if as_json:
        emit_json(data)
        return
    table = Table(title="LLM prices, USD per million tokens", title_justify="left")
    for col in ("model", "input", "output"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for k, v in data["prices"].items():
        table.add_row(k, f"{v['input_per_million']:.2f}", f"{v['output_per_million']:.2f}")
    console = state.console()
    console.print(table)
    console.print(f"sources: {', '.join(table_.sources)}")


@llm_group.group("budget")
def budget_group() -> None:
    """Spending limits: global (per month), customer, order, mission, agent."""


@budget_group.command("set")
@click.argument("scope", type=click.Choice(["global", "customer", "order", "mission", "agent"]))
@click.argument("key")
@click.argument("usd", type=float)
@pass_state
def budget_set(state: State, scope: str, key: str, usd: float) -> None:
    """Set the budget of SCOPE KEY to USD (KEY is ignored for global; write -)."""
    from iza.llm._budget import set_budget

    set_budget(state.store(), scope, key, usd)
    click.echo(f"budget {scope} {key if scope != 'global' else ''} set to ${usd:.4f}".replace("  ", " "))


@budget_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the budgets as JSON.")
@pass_state
def budget_list(state: State, as_json: bool) -> None:
    """Budgets with their limits."""
    from iza.llm._budget import list_budgets

    rows = [{"scope": s, "key": k, "limit_usd": m / 1e9} for s, k, m in list_budgets(state.store())]
    global_usd = float(state.settings()["llm.budget_usd"])
    if global_usd and not any(r["scope"] == "global" for r in rows):
        rows.insert(0, {"scope": "global", "key": "", "limit_usd": global_usd, "source": "llm.budget_usd"})
    if as_json:
        emit_json({"budgets": rows})
        return
    for r in rows or [{"scope": "(none)", "key": "", "limit_usd": 0.0}]:
        click.echo(f"{r['scope']:9} {r['key']:24} ${r['limit_usd']:.4f}")
