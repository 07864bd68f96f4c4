"""The main entity of a request is the thing it is about, not a word that describes it.

"inventory for a bakery with suppliers" keeps inventory items (bakery is context, suppliers are
related records); in a noun compound ("student grades", "pet grooming appointments") the last
noun names the records and the nouns before it only describe them.
"""

from __future__ import annotations

import pytest

from iza.apps import parse_request

# request → expected main entity (the first entity of the spec)
MAIN: list[tuple[str, str]] = [
    ("student grades for a teacher with classes", "grade"),
    ("pet grooming appointments with owners", "appointment"),
    ("product review app", "review"),
    ("product reviews with ratings", "review"),
    ("parking permits for an apartment building with residents", "permit"),
    ("hotel guest reviews", "review"),
    ("bakery inventory with suppliers", "item"),
    ("supplier invoice tracker", "invoice"),
    ("client project tracker", "project"),
    ("patient appointment booking", "appointment"),
    ("restaurant table reservations", "reservation"),
    ("recipe ingredient inventory", "ingredient"),
    ("job applicant tracker", "candidate"),
    ("podcast episodes with guests", "episode"),
    ("warehouse stock with suppliers", "item"),
    ("church volunteer schedule with events", "volunteer"),
    ("customer order tracker with products", "order"),
    ("school library books with loans", "book"),
    ("sales team leads with follow-up dates", "lead"),
    ("wine cellar bottles with wineries", "bottle"),
    ("coffee shop menu items with prices", "menu_item"),
    ("hair salon stylist appointments", "appointment"),
    ("employee shift swaps", "swap"),
    ("tenant repair requests for a landlord", "ticket"),
]


@pytest.mark.parametrize(("request_text", "main"), MAIN, ids=[r for r, _ in MAIN])
def test_main_entity(request_text: str, main: str) -> None:
    spec = parse_request(request_text)
    assert spec.entities[0].name == main, spec.decisions


@pytest.mark.parametrize(("request_text", "modifier"), [
    ("student grades for a teacher with classes", "student"),
    ("pet grooming appointments with owners", "pet"),
    ("product review app", "product"),
    ("supplier invoice tracker", "supplier"),
])
def test_the_modifier_stays_as_a_related_record(request_text: str, modifier: str) -> None:
    spec = parse_request(request_text)
    main = spec.entities[0].name
    assert any(r.source == main and r.target == modifier for r in spec.relations), spec.relations


def test_an_unknown_singular_after_a_known_noun_is_not_the_subject() -> None:
    """"vehicle fleet": fleet is the business's word for the collection, not a record."""
    assert parse_request("vehicle fleet with service dates and mileage").entities[0].name == "vehicle"
