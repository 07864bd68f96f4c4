"""``iza revenue``, ``iza leads`` and ``iza orders``: thin commands over the business services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from iza.cli._context import State, emit_json, pass_state

__all__ = ["leads_group", "orders_group", "revenue_group"]


def _money(amount: int | None, cur: str) -> str:
    from iza.business._money import format_minor

    return "—" if amount is None else format_minor(amount, cur)


@click.group("revenue")
def revenue_group() -> None:
    """Revenue, MRR and margins from the ledger; CSV import/export."""


@revenue_group.command("report")
@click.option("--from", "start", default=None, help="First day (YYYY-MM-DD; default: start of month).")
@click.option("--to", "end", default=None, help="Day after the last (YYYY-MM-DD; default: now).")
@click.option("--currency", default=None,
              help="Also convert the money figures into this currency with the FX table "
              "(`iza revenue fx`); refused when a rate is missing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def revenue_report_cmd(state: State, start: str | None, end: str | None, currency: str | None,
                       as_json: bool) -> None:
    """MRR, ARR, movements, churn, retention, revenue and margin for a period, per currency."""
    from iza.business._report import parse_period, revenue_report

    settings = state.ready_settings()
    lo, hi = parse_period(settings, start, end)
    report = revenue_report(settings, state.store(), lo, hi, currency=currency)
    if as_json:
        emit_json(report)
        return
    _print_report(state, report)
    if "converted" in report:
        _print_converted(state, report["converted"])


def _print_converted(state: State, c: dict[str, Any]) -> None:
    cur = c["currency"]
    con = state.console()
    rev, m = c["revenue"], c["margin"]
    con.print(f"[bold]All currencies in {cur.upper()}[/]")
    con.print(f"  MRR {_money(c['mrr'], cur)}   ARR {_money(c['arr'], cur)}")
    con.print("  " + "   ".join(f"{k} {_money(rev.get(k, 0), cur)}"
                                for k in ("gross", "refunds", "disputes", "net")))
    con.print("  " + "   ".join(f"{label} {_money(m.get(k, 0), cur)}"
                                for k, label in (("fees", "fees"), ("llm_costs", "LLM cost"),
                                                 ("margin", "margin"))))
    rates = ", ".join(f"1 {u['rate']['base'].upper()} = {u['rate']['rate']} {u['rate']['quote'].upper()} "
                      f"({u['rate']['date']})" for u in c["rates"]) or "none needed"
    con.print(f"FX as of {c['as_of']} (closing rates): {rates}")


def _print_report(state: State, r: dict[str, Any]) -> None:
    from rich.table import Table

    con = state.console()
    con.print(f"[bold]Revenue report[/] {r['period']['from']} → {r['period']['to']} "
              f"({r['period']['timezone']})")
    t = Table("currency", "MRR", "ARR", "new", "expansion", "contraction", "churn", "reactivation",
              "NRR", "GRR", "ARPA")
    for cur, mrr in sorted(r["mrr"].items()):
        mv = r["movements"][cur]
        t.add_row(cur.upper(), _money(mrr, cur), _money(r["arr"][cur], cur),
                  *(_money(mv[k], cur) for k in ("new", "expansion", "contraction", "churn",
                                                 "reactivation")),
                  str(r["retention"][cur]["nrr"]), str(r["retention"][cur]["grr"]),
                  _money(r["arpa"][cur], cur))
    con.print(t)
    t = Table("currency", "gross", "refunds", "disputes", "net", "fees", "LLM cost", "margin")
    for cur, rev in sorted(r["revenue"].items()):
        m = r["margin"][cur]
        t.add_row(cur.upper(), *(_money(rev[k], cur) for k in ("gross", "refunds", "disputes", "net")),
                  _money(m["fees"], cur), _money(m["llm_costs"], cur), _money(m["margin"], cur))
    con.print(t)
    con.print(f"LLM costs: {r['llm_costs_source']}")


@revenue_group.command("timeline")
@click.option("--from", "start", default=None, help="First day (default: 12 months back).")
@click.option("--to", "end", default=None, help="Day after the last (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def revenue_timeline_cmd(state: State, start: str | None, end: str | None, as_json: bool) -> None:
    """MRR at each month end, the month's movements and revenue."""
    from iza.business._report import parse_period, timeline_report

    settings = state.ready_settings()
    lo, hi = parse_period(settings, start, end, default_months=11)
    months = timeline_report(settings, state.store(), lo, hi)
    if as_json:
        emit_json({"months": months})
        return
    for m in months:
        mrr = ", ".join(_money(v, c) for c, v in sorted(m["mrr"].items())) or "0"
        state.console().print(f"{m['month']}  MRR {mrr}")


@revenue_group.command("dashboard")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def revenue_dashboard_cmd(state: State, as_json: bool) -> None:
    """A compact terminal dashboard: this month's KPIs and a 12-month MRR sparkline."""
    from iza.business._report import parse_period, revenue_report, timeline_report

    settings = state.ready_settings()
    store = state.store()
    lo, hi = parse_period(settings, None, None)
    report = revenue_report(settings, store, lo, hi)
    months = timeline_report(settings, store, *parse_period(settings, None, None, default_months=11))
    if as_json:
        emit_json({"report": report, "months": months})
        return
    bars = "▁▂▃▄▅▆▇█"
    con = state.console()
    for cur in sorted(report["mrr"]):
        series = [m["mrr"].get(cur, 0) for m in months]
        top = max(series) or 1
        spark = "".join(bars[min(7, int(v / top * 7))] for v in series)
        rev = report["revenue"].get(cur, {})
        con.print(f"[bold]{cur.upper()}[/] MRR {_money(report['mrr'][cur], cur)}  {spark}  "
                  f"net this month {_money(rev.get('net', 0), cur)}  "
                  f"margin {_money(report['margin'].get(cur, {}).get('margin', 0), cur)}")
    if not report["mrr"] and not report["revenue"]:
        con.print("no revenue recorded yet")


@revenue_group.command("margins")
@click.option("--by", "by", type=click.Choice(["order", "customer", "service", "month"]),
              default="service", show_default=True)
@click.option("--from", "start", default=None, help="First day (default: start of month).")
@click.option("--to", "end", default=None, help="Day after the last (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def revenue_margins_cmd(state: State, by: str, start: str | None, end: str | None,
                        as_json: bool) -> None:
    """Gross margin (net − Stripe fees − LLM cost) per order, customer, service or month."""
    from iza.business._analytics import zone
    from iza.business._margins import margins
    from iza.business._report import parse_period

    settings = state.ready_settings()
    lo, hi = parse_period(settings, start, end)
    rows = margins(state.store(), lo, hi, by, zone(settings.get_str("business.timezone")))
    if as_json:
        emit_json({"by": by, "from": lo.isoformat(), "to": hi.isoformat(), "rows": rows})
        return
    for r in rows:
        state.console().print(f"{r['key']:28} {r['currency'].upper()}  net {_money(r['net'], r['currency'])}"
                              f"  margin {_money(r['margin'], r['currency'])}")


@revenue_group.command("cohorts")
@click.option("--from", "start", default=None, help="First cohort month's day (default: 12 months back).")
@click.option("--to", "end", default=None, help="Day after the last (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def revenue_cohorts_cmd(state: State, start: str | None, end: str | None, as_json: bool) -> None:
    """Logo retention by monthly cohort (month of first MRR), per currency."""
    from iza.business._analytics import zone
    from iza.business._cohorts import cohort_retention
    from iza.business._report import parse_period

    settings = state.ready_settings()
    lo, hi = parse_period(settings, start, end, default_months=11)
    data = cohort_retention(state.store(), lo, hi, zone(settings.get_str("business.timezone")))
    if as_json:
        emit_json({"cohorts": data})
        return
    for cur, rows in data.items():
        state.console().print(f"[bold]{cur.upper()}[/]")
        for r in rows:
            cells = " ".join(f"{v * 100:5.1f}" for v in r["retention"])
            state.console().print(f"  {r['cohort']} n={r['size']:<5} {cells}")


@revenue_group.command("insights")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def revenue_insights_cmd(state: State, as_json: bool) -> None:
    """Payment intelligence: dunning, churn risk, revenue anomalies, MRR forecast — each explained."""
    from iza.business._insights import insights

    data = insights(state.ready_settings(), state.store())
    if as_json:
        emit_json(data)
        return
    con = state.console()
    con.print(f"[bold]Dunning[/] ({len(data['dunning'])})")
    for d in data["dunning"]:
        con.print(f"  {d['subscription']} {d['customer']}: {d['why']}")
    con.print(f"[bold]Churn risk[/] ({len(data['churn_risk'])})")
    for d in data["churn_risk"][:20]:
        con.print(f"  {d['score']:>3} {d['subscription']} {d['customer']}: {d['why']}")
    con.print(f"[bold]Revenue anomalies[/] ({len(data['anomalies'])})")
    for d in data["anomalies"]:
        con.print(f"  {d['date']} {d['currency'].upper()}: {d['why']}")
    con.print(f"[bold]Forecast[/] ({data['forecast']['method']})")
    for cur, f in data["forecast"]["currencies"].items():
        pts = ", ".join(f"+{p['months_ahead']}m {_money(p['mrr_minor'], cur)} "
                        f"[{_money(p['low_minor'], cur)} … {_money(p['high_minor'], cur)}]"
                        for p in f["points"])
        con.print(f"  {cur.upper()}: {pts}")


def _csv_cmd(kind: str, direction: str) -> Any:
    @click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @pass_state
    def cmd(state: State, file: Path | None, as_json: bool) -> None:
        from iza.business import _csvio

        settings = state.ready_settings()
        default = "revenue_tracking.csv" if kind == "revenue" else "client_acquisition.csv"
        path = file or settings.home / "business_data" / default
        store = state.store()
        if direction == "import":
            fn = _csvio.import_revenue if kind == "revenue" else _csvio.import_leads
            result: dict[str, Any] = {"file": str(path), **fn(store, path)}
        else:
            count = (_csvio.export_revenue(store, path) if kind == "revenue"
                     else _csvio.export_leads(store, path))
            result = {"file": str(path), "rows": count}
        if as_json:
            emit_json(result)
        else:
            state.console().print(", ".join(f"{k}: {v}" for k, v in result.items()))

    cmd.__doc__ = (f"{direction.capitalize()} {kind} CSV (default: $IZA_HOME/business_data/"
                   f"{'revenue_tracking' if kind == 'revenue' else 'client_acquisition'}.csv).")
    return cmd


revenue_group.command("import")(_csv_cmd("revenue", "import"))
revenue_group.command("export")(_csv_cmd("revenue", "export"))


from iza.business.cli_fx import fx_group  # noqa: E402 - the subgroup hangs off revenue_group

revenue_group.add_command(fx_group)


@click.group("leads")
def leads_group() -> None:
    """Leads and the acquisition funnel (inquiry → demo → proposal → won / lost)."""


leads_group.command("import")(_csv_cmd("leads", "import"))
leads_group.command("export")(_csv_cmd("leads", "export"))


@leads_group.command("add")
@click.argument("name")
@click.option("--source", required=True, help="Where the lead came from (referral, ads, …).")
@click.option("--email", default=None)
@click.option("--company", default=None)
@click.option("--service", default=None, help="Catalog service of interest.")
@click.option("--value", default="0", help="Expected value, e.g. 1500.00.")
@click.option("--currency", default="usd")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def leads_add(state: State, name: str, source: str, email: str | None, company: str | None,
              service: str | None, value: str, currency: str, as_json: bool) -> None:
    """Add a lead at the inquiry stage."""
    from iza.business._leads import add_lead, lead_dict
    from iza.business._money import parse_amount

    lead = add_lead(state.store(), name=name, source=source, email=email, company=company,
                    service_slug=service, value_minor=parse_amount(value, currency), currency=currency)
    if as_json:
        emit_json(lead_dict(lead))
    else:
        state.console().print(f"lead {lead.id} added ({lead.source}, {lead.stage})")


@leads_group.command("move")
@click.argument("lead_id", type=int)
@click.argument("stage")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def leads_move(state: State, lead_id: int, stage: str, as_json: bool) -> None:
    """Move a lead to STAGE (demo, proposal, won, lost)."""
    from iza.business._leads import lead_dict, move_lead

    lead = move_lead(state.store(), lead_id, stage)
    if as_json:
        emit_json(lead_dict(lead))
    else:
        state.console().print(f"lead {lead.id} is now {lead.stage}")


@leads_group.command("list")
@click.option("--stage", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def leads_list(state: State, stage: str | None, as_json: bool) -> None:
    """List leads."""
    import sqlalchemy as sa

    from iza.business._leads import lead_dict
    from iza.business._models import LeadRow

    stmt = sa.select(LeadRow).order_by(LeadRow.id)
    if stage:
        stmt = stmt.where(LeadRow.stage == stage.lower())
    with state.store().read() as session:
        rows = [lead_dict(x) for x in session.scalars(stmt)]
    if as_json:
        emit_json({"leads": rows})
        return
    for d in rows:
        state.console().print(f"{d['id']:>5} {d['stage']:9} {d['source']:12} {d['name']}")


@leads_group.command("spend")
@click.argument("source")
@click.argument("month")
@click.argument("amount")
@click.option("--currency", default="usd")
@pass_state
def leads_spend(state: State, source: str, month: str, amount: str, currency: str) -> None:
    """Record acquisition spend for SOURCE in MONTH (YYYY-MM)."""
    from iza.business._leads import record_spend
    from iza.business._money import parse_amount

    record_spend(state.store(), source=source, month=month,
                 amount_minor=parse_amount(amount, currency), currency=currency)
    state.console().print(f"spend recorded: {source} {month} {amount} {currency.upper()}")


@leads_group.command("funnel")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def leads_funnel(state: State, as_json: bool) -> None:
    """Stage counts, conversion rates and acquisition cost, overall and per source."""
    from iza.business._leads import funnel

    data = funnel(state.store())
    if as_json:
        emit_json(data)
        return
    con = state.console()
    for name, c in [("all", data["all"]), *data["sources"].items()]:
        conv = c["conversion"]
        con.print(f"{name:14} inquiry {c['inquiry']:>4} → demo {c['demo']:>4} → proposal "
                  f"{c['proposal']:>4} → won {c['won']:>4} (lost {c['lost']}); overall "
                  f"{conv['overall'] if conv['overall'] is not None else '—'}")


@click.group("orders")
def orders_group() -> None:
    """Orders: created by hand or by a checkout, delivered by a mission."""


def _order_dict(o: Any) -> dict[str, Any]:
    return {"id": o.id, "service": o.service_slug, "price_key": o.price_key,
            "amount_minor": o.amount_minor, "currency": o.currency, "status": o.status,
            "mission_id": o.mission_id, "checkout_session": o.checkout_session,
            "created_at": o.created_at.isoformat(),
            "paid_at": o.paid_at.isoformat() if o.paid_at else None,
            "delivered_at": o.delivered_at.isoformat() if o.delivered_at else None}


@orders_group.command("create")
@click.argument("service")
@click.option("--email", required=True)
@click.option("--price", "price_key", default=None)
@click.option("--mission", default=None, help="Id of the mission that delivers it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def orders_create(state: State, service: str, email: str, price_key: str | None,
                  mission: str | None, as_json: bool) -> None:
    """Enter an order by hand (paid outside Stripe: mark it with `iza orders status ID paid`)."""
    from iza.business._catalog import load_catalog
    from iza.business._ledger import create_order, ensure_customer

    svc = load_catalog(state.settings().home).get(service)
    price = svc.price(price_key)
    store = state.store()
    with store.transaction() as session:
        cust = ensure_customer(session, email=email)
        order = create_order(store, session, service_slug=svc.slug, price_key=price.key,
                             amount_minor=price.amount_minor, currency=price.currency,
                             customer_id=cust.id, mission_id=mission)
        data = _order_dict(order)
    if as_json:
        emit_json(data)
    else:
        state.console().print(f"order {data['id']} created ({svc.slug}, {price.label()})")


@orders_group.command("deliver")
@click.argument("order_id")
@click.option("--mission", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def orders_deliver(state: State, order_id: str, mission: str | None, as_json: bool) -> None:
    """Mark an order delivered (publishes order.delivered)."""
    from iza.business._ledger import deliver_order

    order = deliver_order(state.store(), order_id, mission)
    if as_json:
        emit_json(_order_dict(order))
    else:
        state.console().print(f"order {order.id} delivered")


@orders_group.command("list")
@click.option("--status", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def orders_list(state: State, status: str | None, as_json: bool) -> None:
    """List orders, newest first."""
    import sqlalchemy as sa

    from iza.business._models import OrderRow

    stmt = sa.select(OrderRow).order_by(OrderRow.created_at.desc())
    if status:
        stmt = stmt.where(OrderRow.status == status)
    with state.store().read() as session:
        rows = [_order_dict(o) for o in session.scalars(stmt)]
    if as_json:
        emit_json({"orders": rows})
        return
    for d in rows:
        state.console().print(f"{d['id']}  {d['status']:11} {d['service']:22} "
                              f"{_money(d['amount_minor'], d['currency'])}")
