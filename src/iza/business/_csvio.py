"""CSV import/export of ``business_data/revenue_tracking.csv`` and ``client_acquisition.csv``.

Columns are documented in docs/business.md. Amounts are written in major units with the
currency's own number of decimals (``12.50`` USD, ``1000`` JPY). Import validates every row
first and stores nothing if any row is wrong; the error names the file, line, column and
reason. Re-importing a file is harmless: ledger rows are keyed by ``reference`` (or by a hash
of the row when it has none), leads by e-mail plus creation date.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from iza.business._leads import add_lead, lead_dict
from iza.business._ledger import insert_entry
from iza.business._models import LEAD_STAGES, LEDGER_KINDS, LeadRow, LedgerRow
from iza.business._money import format_minor, normalise_currency, parse_amount
from iza.errors import InputError
from iza.kernel.store import Store

__all__ = ["LEAD_COLUMNS", "REVENUE_COLUMNS", "export_leads", "export_revenue", "import_leads",
           "import_revenue"]

REVENUE_COLUMNS = ("date", "kind", "amount", "currency", "service", "customer", "order_id",
                   "reference", "description")
LEAD_COLUMNS = ("date", "name", "email", "company", "source", "stage", "service", "value",
                "currency", "demo_date", "proposal_date", "closed_date", "notes")
_OUTFLOW = {"refund", "dispute", "fee", "llm_cost"}


def _when(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rows(path: Path, columns: tuple[str, ...],
          required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(missing)}",
                                 fix=f"the header must include: {', '.join(columns)}")
            return [(i + 2, {k: (v or "").strip() for k, v in row.items() if k}) for i, row in
                    enumerate(reader)]
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", fix="check the path") from None


def _bad(path: Path, line: int, column: str, reason: str) -> InputError:
    return InputError(f"{path}, line {line}, column {column!r}: {reason}",
                      fix="correct that cell; nothing was imported")


def import_revenue(store: Store, path: Path) -> dict[str, int]:
    parsed: list[dict[str, Any]] = []
    for line, row in _rows(path, REVENUE_COLUMNS, ("date", "kind", "amount", "currency")):
        try:
            when = _when(row["date"])
        except ValueError:
            raise _bad(path, line, "date", "not an ISO date (YYYY-MM-DD)") from None
        kind = row["kind"].lower()
        if kind not in LEDGER_KINDS:
            raise _bad(path, line, "kind", f"must be one of {', '.join(LEDGER_KINDS)}")
        try:
            cur = normalise_currency(row["currency"])
            amount = parse_amount(row["amount"], cur)
        except InputError as exc:
            raise _bad(path, line, "amount/currency", exc.message) from None
        if kind != "adjustment" and amount < 0:
            raise _bad(path, line, "amount", "write amounts as positive numbers; the kind sets the sign")
        signed = -amount if kind in _OUTFLOW else amount
        ref = row.get("reference") or "csv:" + hashlib.sha256(
            "|".join(row.get(c, "") for c in REVENUE_COLUMNS).encode()).hexdigest()[:32]
        parsed.append({"kind": kind, "amount_minor": signed, "currency": cur, "occurred_at": when,
                       "source": "csv", "source_key": ref,
                       "service_slug": row.get("service") or None,
                       "customer_ref": row.get("customer") or None,
                       "order_id": row.get("order_id") or None,
                       "description": (row.get("description") or None)})
    added = 0
    with store.transaction() as session:
        for values in parsed:
            added += insert_entry(session, **values)
    return {"rows": len(parsed), "added": added, "skipped": len(parsed) - added}


def export_revenue(store: Store, path: Path, start: datetime | None = None,
                   end: datetime | None = None) -> int:
    stmt = sa.select(LedgerRow).order_by(LedgerRow.occurred_at, LedgerRow.id)
    if start is not None:
        stmt = stmt.where(LedgerRow.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(LedgerRow.occurred_at < end)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with store.read() as session, path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(REVENUE_COLUMNS)
        for r in session.scalars(stmt):
            amount = r.amount_minor if r.kind == "adjustment" else abs(r.amount_minor)
            w.writerow([r.occurred_at.isoformat(), r.kind, format_minor(amount, r.currency).split()[0],
                        r.currency, r.service_slug or "", r.customer_ref or "", r.order_id or "",
                        r.source_key, r.description or ""])
            n += 1
    return n


def import_leads(store: Store, path: Path) -> dict[str, int]:
    parsed: list[dict[str, Any]] = []
    for line, row in _rows(path, LEAD_COLUMNS, ("date", "name", "source")):
        try:
            when = _when(row["date"])
            stamps = {k: _when(row[c]) if row.get(c) else None for k, c in (
                ("demo_at", "demo_date"), ("proposal_at", "proposal_date"), ("closed_at", "closed_date"))}
        except ValueError:
            raise _bad(path, line, "date", "not an ISO date (YYYY-MM-DD)") from None
        stage = (row.get("stage") or "inquiry").lower()
        if stage not in LEAD_STAGES:
            raise _bad(path, line, "stage", f"must be one of {', '.join(LEAD_STAGES)}")
        if not row["name"] or not row["source"]:
            raise _bad(path, line, "name/source", "must not be empty")
        try:
            cur = normalise_currency(row.get("currency") or "usd")
            value = parse_amount(row.get("value") or "0", cur)
        except InputError as exc:
            raise _bad(path, line, "value/currency", exc.message) from None
        parsed.append({"row": row, "when": when, "stage": stage, "cur": cur, "value": value,
                       "stamps": stamps})
    added = 0
    with store.read() as session:
        seen = {(e, c) for e, c in session.execute(sa.select(LeadRow.email, LeadRow.created_at))}
    for p in parsed:
        row = p["row"]
        if (row.get("email") or None, p["when"]) in seen:
            continue
        lead = add_lead(store, name=row["name"], source=row["source"], email=row.get("email") or None,
                        company=row.get("company") or None, service_slug=row.get("service") or None,
                        value_minor=p["value"], currency=p["cur"], stage=p["stage"],
                        created_at=p["when"], notes=row.get("notes") or None)
        with store.transaction() as session:
            stored = session.get(LeadRow, lead.id)
            assert stored is not None
            for key, val in p["stamps"].items():
                if val is not None:
                    setattr(stored, key, val)
        added += 1
    return {"rows": len(parsed), "added": added, "skipped": len(parsed) - added}


def export_leads(store: Store, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with store.read() as session:
        leads = [lead_dict(x) for x in session.scalars(sa.select(LeadRow).order_by(LeadRow.id))]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(LEAD_COLUMNS)
        for d in leads:
            w.writerow([d["created_at"], d["name"], d["email"] or "", d["company"] or "", d["source"],
                        d["stage"], d["service"] or "",
                        format_minor(d["value_minor"], d["currency"]).split()[0], d["currency"],
                        d["demo_at"] or "", d["proposal_at"] or "", d["closed_at"] or "", ""])
    return len(leads)
