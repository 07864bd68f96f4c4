"""The blueprint library as data: what each blueprint defaults to and what its home page shows.

A blueprint is not separate code: every generated app shares the same templates, and a blueprint
chooses the default entities and features, the summary figures on the home page, and extras
(the chat page). That keeps eight blueprints tested by one generator and one verifier.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BLUEPRINTS", "Blueprint", "Stat", "blueprint"]


@dataclass(frozen=True)
class Stat:
    """A home-page figure: ``kind`` is count, sum, where, overdue, upcoming or low."""

    label: str
    kind: str
    field: str = ""
    arg: str = ""


@dataclass(frozen=True)
class Blueprint:
    name: str
    title: str
    description: str
    main: str | None
    companions: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    stats: tuple[Stat, ...] = ()
    extras: tuple[str, ...] = ()
    example: str = ""


BLUEPRINTS: dict[str, Blueprint] = {
    b.name: b
    for b in (
        Blueprint(
            "tasks",
            "Task list",
            "To-dos, tickets and projects with due dates and status.",
            "task",
            features=("due",),
            stats=(Stat("open", "where", "done", "0"), Stat("overdue", "overdue", "due_date", "done")),
            example="todo app with AI",
        ),
        Blueprint(
            "notes",
            "Notes / knowledge base",
            "Notes, articles and journals with tags and search.",
            "note",
            features=("tags",),
            example="knowledge base for my team with tags",
        ),
        Blueprint(
            "crm",
            "CRM / leads",
            "Leads, contacts and deals through a sales pipeline.",
            "lead",
            stats=(
                Stat("qualified", "where", "status", "qualified"),
                Stat("pipeline value", "sum", "value"),
                Stat("follow-ups due", "overdue", "follow_up_date"),
            ),
            example="CRM for leads with follow-up dates",
        ),
        Blueprint(
            "inventory",
            "Inventory",
            "Items, stock levels and suppliers with low-stock alerts.",
            "item",
            stats=(
                Stat("units in stock", "sum", "quantity"),
                Stat("low stock", "low", "quantity", "reorder_level"),
            ),
            example="inventory for a bakery with suppliers",
        ),
        Blueprint(
            "bookings",
            "Bookings / appointments",
            "Appointments and reservations for clients.",
            "appointment",
            companions=("client",),
            stats=(
                Stat("upcoming", "upcoming", "starts_at"),
                Stat("confirmed", "where", "status", "confirmed"),
            ),
            example="appointment booking for a hair salon",
        ),
        Blueprint(
            "finance",
            "Expenses / invoices",
            "Expenses, invoices and payments with totals.",
            "expense",
            stats=(
                Stat("total spent", "sum", "amount"),
                Stat("unpaid", "where", "status", "sent"),
                Stat("overdue", "overdue", "due_date"),
            ),
            example="expense tracker with categories and receipts",
        ),
        Blueprint(
            "blog",
            "Blog / CMS",
            "Posts, pages and comments with drafts and publishing.",
            "post",
            features=("tags",),
            stats=(Stat("published", "where", "status", "published"),),
            example="blog with posts, authors and comments",
        ),
        Blueprint(
            "chat",
            "AI chat assistant",
            "Conversations with an AI assistant (OpenAI-compatible).",
            "conversation",
            companions=("message",),
            features=("ai",),
            extras=("chat",),
            example="AI chat assistant",
        ),
        Blueprint(
            "tracker",
            "Tracker",
            "Any list of things you keep track of, with search and tags.",
            None,
            example="habit tracker with streaks",
        ),
    )
}


def blueprint(name: str) -> Blueprint:
    from iza.apps._records import SpecError

    try:
        return BLUEPRINTS[name]
    except KeyError:
        raise SpecError(
            f"unknown blueprint {name!r}", fix="use one of: " + ", ".join(BLUEPRINTS)
        ) from None
