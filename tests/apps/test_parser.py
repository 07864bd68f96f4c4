"""The offline parser: a table of requests with what a sensible app for each must contain."""

from __future__ import annotations

import pytest

from iza.apps import AppSpec, parse_request
from iza.apps._examples import EXAMPLE_REQUESTS as REQUESTS
from iza.apps._records import FIELD_TYPES
from iza.errors import InputError

# request → (blueprint, main entity, {entity: [fields it must have]}, features it must have)
TABLE: list[tuple[str, str, str, dict[str, list[str]], set[str]]] = [
    ("todo app with AI", "tasks", "task", {"task": ["title", "due_date", "done"]}, {"ai", "search"}),
    ("inventory for a bakery with suppliers", "inventory", "item",
     {"item": ["name", "quantity", "supplier_id"], "supplier": ["name", "contact_email"]}, set()),
    ("habit tracker with streaks", "tracker", "habit", {"habit": ["name", "streak"]}, set()),
    ("CRM for leads with follow-up dates", "crm", "lead",
     {"lead": ["name", "status", "follow_up_date"]}, set()),
    ("notes app with tags", "notes", "note", {"note": ["title", "body", "tags"]}, {"tags"}),
    ("appointment booking for a hair salon", "bookings", "appointment",
     {"appointment": ["starts_at", "client_id"], "client": ["name"]}, set()),
    ("expense tracker with categories and receipts", "finance", "expense",
     {"expense": ["amount", "category", "spent_on"]}, set()),
    ("blog with posts, authors and comments", "blog", "post",
     {"post": ["title", "body", "author_id"], "comment": ["post_id"], "author": ["name"]}, {"tags"}),
    ("AI chat assistant", "chat", "conversation",
     {"conversation": ["title"], "message": ["content", "role", "conversation_id"]}, {"ai"}),
    ("an app to track my plants with watering dates", "tracker", "plant",
     {"plant": ["name", "watering_date"]}, set()),
    ("invoices for freelance clients with due dates", "finance", "invoice",
     {"invoice": ["amount", "due_date", "client_id"]}, {"due"}),
    ("project management with tasks and milestones and login", "tasks", "project",
     {"task": ["project_id"], "milestone": ["project_id"]}, {"auth"}),
    ("customer support helpdesk with tickets, priorities and status", "tasks", "ticket",
     {"ticket": ["priority", "status", "customer_id"]}, {"status"}),
    ("podcast episodes with show notes", "blog", "episode", {"episode": ["title", "podcast_id"]}, set()),
    ("dentist appointments with patients and reminders", "bookings", "appointment",
     {"appointment": ["patient_id", "remind_on"], "patient": ["name"]}, set()),
    ("zorgblat tracker", "tracker", "zorgblat", {"zorgblat": ["name", "notes"]}, set()),
    ("gardening club with members and plots", "crm", "member", {"plot": ["name"], "member": ["name"]}, set()),
    ("vehicle fleet with service dates and mileage", "inventory", "vehicle",
     {"vehicle": ["mileage", "next_service_on"]}, set()),
    ("a tracker for my board games called Meeple Log", "tracker", "game", {"game": ["title"]}, set()),
    ("library for a school with books, members and loans", "tracker", "book",
     {"loan": ["borrower", "due_date", "book_id", "member_id"]}, set()),
    ("a tool to manage my vinyl records with artists and genres", "tracker", "record",
     {"record": ["name", "artist_id", "genre_id"]}, set()),
    ("conference talks with speakers and rooms", "bookings", "talk",
     {"talk": ["speaker_id", "room_id"]}, set()),
    ("bug tracker with severity", "tasks", "ticket", {"ticket": ["severity", "status"]}, set()),
]


@pytest.mark.parametrize(("request_text", "blueprint", "main", "must", "features"), TABLE,
                         ids=[row[0] for row in TABLE])
def test_parser_table(request_text: str, blueprint: str, main: str, must: dict[str, list[str]],
                      features: set[str]) -> None:
    spec = parse_request(request_text)
    assert spec.mode == "offline"
    assert spec.blueprint == blueprint, spec.decisions
    assert spec.entities[0].name == main, spec.decisions
    for entity, fields in must.items():
        have = [f.name for f in spec.entity(entity).fields]
        assert set(fields) <= set(have), (entity, have)
    assert features <= set(spec.features)
    assert "search" in spec.features


@pytest.mark.parametrize("request_text", REQUESTS)
def test_every_bench_request_gives_a_valid_spec(request_text: str) -> None:
    spec = parse_request(request_text)
    spec.validate()
    assert spec.decisions, "every spec says why it looks as it does"
    assert 1 <= len(spec.entities) <= 6
    for e in spec.entities:
        assert e.fields[0].required and e.title_field == e.fields[0].name
        assert all(f.type in FIELD_TYPES for f in e.fields)
    assert AppSpec.from_dict(spec.to_dict()) == spec
    assert parse_request(request_text) == spec, "the offline parser is deterministic"


def test_names_context_and_called() -> None:
    assert parse_request("inventory for a bakery with suppliers").name == "Bakery Inventory"
    assert parse_request("inventory for a bakery with suppliers").context == "bakery"
    assert parse_request("a tracker for my board games called Meeple Log").name == "Meeple Log"
    assert parse_request("todo app with AI").slug == "todo-app"
    assert parse_request("a tool to manage my vinyl records with artists").name == "Vinyl Records"


def test_relations_match_ref_fields() -> None:
    spec = parse_request("blog with posts, authors and comments")
    pairs = {(r.source, r.target) for r in spec.relations}
    assert pairs == {("post", "author"), ("comment", "post")}


def test_forced_blueprint() -> None:
    spec = parse_request("things for my garden", blueprint="inventory")
    assert spec.blueprint == "inventory"
    with pytest.raises(InputError, match="unknown blueprint 'nope'") as info:
        parse_request("todo app", blueprint="nope")
    assert info.value.fix and "tasks" in info.value.fix


@pytest.mark.parametrize("bad", ["", "   ", "!!! ???", "an app", "x" * 600 + " tracker"])
def test_bad_requests_are_clear_errors(bad: str) -> None:
    with pytest.raises(InputError) as info:
        parse_request(bad)
    assert info.value.fix
    assert info.value.exit_code == 2
