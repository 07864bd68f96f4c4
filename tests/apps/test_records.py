"""The spec's JSON round-trip and its validation rules."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iza.apps import AppSpec, Entity, Field, SpecError, parse_request
from iza.apps._lexicon import ENTITIES, FEATURE_WORDS
from iza.apps._words import plural, singular

NOUNS = sorted(ENTITIES)
EXTRA = ["tags", "due dates", "status", "prices", "ratings", "notes", "photos", "login", "AI", "reminders"]


@settings(max_examples=60, deadline=None)
@given(main=st.sampled_from(NOUNS), others=st.lists(st.sampled_from(NOUNS + EXTRA), max_size=4),
       head=st.sampled_from(["", "tracker", "app", "manager", "for my shop"]))
def test_any_lexicon_request_round_trips_through_json(main: str, others: list[str], head: str) -> None:
    words = [plural(o) if o in ENTITIES else o for o in others]
    request = f"{main.replace('_', ' ')} {head} with {', '.join(words) or 'notes'}"
    spec = parse_request(request)
    again = AppSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert again.to_dict() == spec.to_dict()


def test_feature_words_reach_the_spec() -> None:
    for feature, words in FEATURE_WORDS.items():
        spec = parse_request(f"notes app with {words[0]}")
        assert feature in spec.features, (feature, words[0], spec.features)


def _spec(**changes: object) -> dict:
    data = parse_request("inventory for a bakery with suppliers").to_dict()
    data.update(changes)
    return data


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("entities"), "missing or wrong key"),
    (lambda d: d.update(entities=[]), "no entities"),
    (lambda d: d.update(slug="Bad Slug"), "bad app slug"),
    (lambda d: d["entities"][0]["fields"].append({"name": "x", "type": "blob"}), "unknown type 'blob'"),
    (lambda d: d["entities"][0]["fields"].append({"name": "class", "type": "str"}), "bad field name"),
    (lambda d: d["entities"][0]["fields"].append({"name": "w", "type": "ref", "ref": "ghost"}),
     "unknown entity 'ghost'"),
    (lambda d: d["entities"][0]["fields"].append({"name": "e", "type": "enum"}), "no choices"),
    (lambda d: d["entities"].append(dict(d["entities"][0])), "entity names repeat"),
    (lambda d: d["relations"].append({"source": "item", "target": "supplier", "field": "nope"}),
     "no matching ref field"),
])
def test_invalid_specs_are_rejected_with_a_fix(mutate, message: str) -> None:
    data = _spec()
    mutate(data)
    with pytest.raises(SpecError, match=message) as info:
        AppSpec.from_dict(data)
    assert info.value.fix


def test_title_field_must_be_text() -> None:
    e = Entity("thing", "Thing", "things", (Field("n", "int"),), "n")
    spec = AppSpec("T", "t", "t", "tracker", (e,))
    with pytest.raises(SpecError, match="no text title field"):
        spec.validate()


@pytest.mark.parametrize(("word", "one"), [("suppliers", "supplier"), ("categories", "category"),
                                           ("people", "person"), ("boxes", "box"), ("status", "status"),
                                           ("addresses", "address"), ("series", "series")])
def test_singular_and_plural(word: str, one: str) -> None:
    assert singular(word) == one
    assert singular(plural(one)) == one
