"""Leads through the funnel inquiry → demo → proposal → won / lost, and acquisition spend.

A lead remembers when it reached each stage (``demo_at``, ``proposal_at``, ``closed_at``), so a
lead that is lost after a demo still counts as having reached the demo: conversion rates are
"reached the next stage / reached this stage", per stage and per source.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from iza.business._events import LeadStageChanged
from iza.business._ledger import _insert
from iza.business._models import LEAD_STAGES, LeadRow, LeadSpendRow
from iza.business._money import normalise_currency
from iza.errors import InputError, NotFoundError
from iza.kernel.events import publish
from iza.kernel.store import Store, utcnow

__all__ = ["LEAD_STAGES", "add_lead", "funnel", "lead_dict", "move_lead", "record_spend"]

_ORDER = {"inquiry": 0, "demo": 1, "proposal": 2, "won": 3}


def _check_stage(stage: str) -> str:
    s = stage.strip().lower()
    if s not in LEAD_STAGES:
        raise InputError(f"unknown lead stage {stage!r}", fix=f"use one of {', '.join(LEAD_STAGES)}")
    return s


def _stamp(lead: LeadRow, stage: str, at: datetime) -> None:
    if _ORDER.get(stage, -1) >= 1 and lead.demo_at is None:
        lead.demo_at = at
    if _ORDER.get(stage, -1) >= 2 and lead.proposal_at is None:
        lead.proposal_at = at
    if stage in ("won", "lost") and lead.closed_at is None:
        lead.closed_at = at


def add_lead(store: Store, *, name: str, source: str, email: str | None = None,
             company: str | None = None, service_slug: str | None = None, value_minor: int = 0,
             currency: str = "usd", stage: str = "inquiry", created_at: datetime | None = None,
             notes: str | None = None) -> LeadRow:
    if not name.strip() or not source.strip():
        raise InputError("a lead needs a name and a source", fix="pass NAME and --source")
    stage = _check_stage(stage)
    at = created_at or utcnow()
    with store.transaction() as session:
        lead = LeadRow(name=name.strip(), source=source.strip().lower(), email=email,
                       company=company, service_slug=service_slug, value_minor=value_minor,
                       currency=normalise_currency(currency), stage=stage, created_at=at, notes=notes)
        _stamp(lead, stage, at)
        session.add(lead)
        session.flush()
        return lead


def move_lead(store: Store, lead_id: int, stage: str, at: datetime | None = None) -> LeadRow:
    stage = _check_stage(stage)
    with store.transaction() as session:
        lead = session.get(LeadRow, lead_id)
        if lead is None:
            raise NotFoundError(f"no lead {lead_id}", fix="run `iza leads list`")
        if lead.stage in ("won", "lost") and stage != lead.stage:
            raise InputError(f"lead {lead_id} is already {lead.stage}",
                             fix="add a new lead for a new opportunity")
        previous = lead.stage
        lead.stage = stage
        _stamp(lead, stage, at or utcnow())
        publish(store, LeadStageChanged(lead.id, lead.source, stage, previous), session=session)
        return lead


def record_spend(store: Store, *, source: str, month: str, amount_minor: int, currency: str) -> None:
    """Set the acquisition spend of ``source`` in ``month`` (YYYY-MM); setting it again replaces it."""
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise InputError(f"{month!r} is not a month", fix="write months as YYYY-MM") from None
    cur = normalise_currency(currency)
    with store.transaction() as session:
        session.execute(sa.delete(LeadSpendRow).where(
            LeadSpendRow.source == source.lower(), LeadSpendRow.month == month,
            LeadSpendRow.currency == cur))
        _insert(session, LeadSpendRow.__table__, {"source": source.lower(), "month": month,
                                                  "amount_minor": amount_minor, "currency": cur},
                ["source", "month", "currency"])


def lead_dict(lead: LeadRow) -> dict[str, Any]:
    return {"id": lead.id, "name": lead.name, "email": lead.email, "company": lead.company,
            "source": lead.source, "stage": lead.stage, "service": lead.service_slug,
            "value_minor": lead.value_minor, "currency": lead.currency,
            "created_at": lead.created_at.isoformat(),
            "demo_at": lead.demo_at.isoformat() if lead.demo_at else None,
            "proposal_at": lead.proposal_at.isoformat() if lead.proposal_at else None,
            "closed_at": lead.closed_at.isoformat() if lead.closed_at else None}


def _rate(a: int, b: int) -> float | None:
    return round(a / b, 6) if b else None


def _counts(leads: list[LeadRow]) -> dict[str, Any]:
    total = len(leads)
    demo = sum(1 for x in leads if x.demo_at is not None)
    proposal = sum(1 for x in leads if x.proposal_at is not None)
    won = sum(1 for x in leads if x.stage == "won")
    lost = sum(1 for x in leads if x.stage == "lost")
    return {"inquiry": total, "demo": demo, "proposal": proposal, "won": won, "lost": lost,
            "open": total - won - lost,
            "conversion": {"inquiry_to_demo": _rate(demo, total), "demo_to_proposal": _rate(proposal, demo),
                           "proposal_to_won": _rate(won, proposal), "overall": _rate(won, total)}}


def funnel(store: Store, start: datetime | None = None, end: datetime | None = None) -> dict[str, Any]:
    """Stage counts and conversion rates (all leads and per source) for leads created in the
    window, with acquisition cost per lead and per won customer where spend is recorded."""
    stmt = sa.select(LeadRow)
    if start is not None:
        stmt = stmt.where(LeadRow.created_at >= start)
    if end is not None:
        stmt = stmt.where(LeadRow.created_at < end)
    with store.read() as session:
        leads = list(session.scalars(stmt).all())
        spend_rows = session.execute(sa.select(LeadSpendRow.source, LeadSpendRow.month,
                                               LeadSpendRow.currency, LeadSpendRow.amount_minor)).all()
    by_source: dict[str, list[LeadRow]] = defaultdict(list)
    for lead in leads:
        by_source[lead.source].append(lead)
    lo = start.strftime("%Y-%m") if start else "0000-00"
    hi = end.strftime("%Y-%m") if end else "9999-99"
    spend: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for source, month, cur, amount in spend_rows:
        if lo <= month <= hi:
            spend[source][cur] += int(amount)
    sources = {}
    for source in sorted(set(by_source) | set(spend)):
        c = _counts(by_source.get(source, []))
        c["spend"] = dict(spend.get(source, {}))
        c["cost_per_lead"] = {cur: round(v / c["inquiry"]) if c["inquiry"] else None
                              for cur, v in c["spend"].items()}
        c["cost_per_won"] = {cur: round(v / c["won"]) if c["won"] else None
                             for cur, v in c["spend"].items()}
        sources[source] = c
    return {"all": _counts(leads), "sources": sources}
