"""English word helpers for the offline parser: singular/plural, identifiers, titles, slugs.

Deliberately small rules plus an exception table: the parser only needs to map the nouns people
use for records ("suppliers", "categories", "people") to a singular identifier and back.
"""

from __future__ import annotations

import re

__all__ = ["camel", "ident", "plural", "singular", "slugify", "titleize"]

_IRREGULAR = {
    "person": "people",
    "child": "children",
    "man": "men",
    "woman": "women",
    "mouse": "mice",
    "foot": "feet",
    "tooth": "teeth",
    "goose": "geese",
    "criterion": "criteria",
    "datum": "data",
    "medium": "media",
    "analysis": "analyses",
    "thesis": "theses",
    "leaf": "leaves",
    "knife": "knives",
    "life": "lives",
    "shelf": "shelves",
    "wife": "wives",
    "half": "halves",
    "wolf": "wolves",
    "loaf": "loaves",
    "calf": "calves",
}
_SINGULAR_IRREGULAR = {v: k for k, v in _IRREGULAR.items()}
#: Words that end in "s" in the singular, or are the same in both forms.
_INVARIANT = {
    "news",
    "series",
    "species",
    "status",
    "sheep",
    "fish",
    "deer",
    "inventory",
    "feedback",
    "equipment",
    "software",
    "hardware",
    "furniture",
    "information",
    "stuff",
    "glasses",
    "crm",
    "cms",
    "analytics",
    "business",
    "address",
    "class",
    "process",
    "progress",
    "access",
    "bus",
    "campus",
    "virus",
    "bonus",
    "census",
    "canvas",
    "lens",
    "alias",
    "atlas",
    "basis",
    "diagnosis",
    "thesis",
    "tennis",
    "chess",
    "physics",
    "maths",
    "mathematics",
    "athletics",
    "clothes",
    "gas",
    "kudos",
    "yes",
    "this",
    "its",
    "his",
    "has",
    "was",
    "is",
    "as",
    "us",
    "plus",
    "minus",
    "focus",
    "radius",
    "syllabus",
    "apparatus",
    "corpus",
    "fitness",
    "wellness",
    "wilderness",
    "success",
    "recess",
    "express",
    "mattress",
    "dress",
    "boss",
    "guess",
    "loss",
    "mess",
    "moss",
    "pass",
    "glass",
    "grass",
    "mass",
    "kiss",
    "miss",
}
#: Nouns whose plural is the same word.
_UNCOUNTABLE = {
    "news",
    "series",
    "species",
    "sheep",
    "fish",
    "deer",
    "equipment",
    "software",
    "hardware",
    "furniture",
    "information",
    "feedback",
    "stuff",
    "inventory",
    "staff",
    "data",
    "media",
}


def singular(word: str) -> str:
    """``suppliers`` → ``supplier``; ``categories`` → ``category``; ``people`` → ``person``."""
    w = word.lower()
    if w in _SINGULAR_IRREGULAR:
        return _SINGULAR_IRREGULAR[w]
    if w in _INVARIANT or len(w) <= 3 or w.endswith(("ss", "us", "is")):
        return w
    if w.endswith("es") and w[:-2] in _INVARIANT:
        return w[:-2]  # statuses, buses, addresses
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return w[:-2]
    if w.endswith("oes") and w[:-2] in {"hero", "potato", "tomato", "echo", "veto"}:
        return w[:-2]
    if w.endswith("s"):
        return w[:-1]
    return w


def plural(word: str) -> str:
    """``supplier`` → ``suppliers``; ``category`` → ``categories``; ``box`` → ``boxes``."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if w in _UNCOUNTABLE:
        return w
    if w.endswith("y") and len(w) > 1 and w[-2] not in "aeiou":
        return w[:-1] + "ies"
    if w.endswith(("s", "sh", "ch", "x", "z")):
        return w + "es"
    return w + "s"


def ident(text: str) -> str:
    """A lowercase Python/SQL identifier: ``Follow-up date`` → ``follow_up_date``."""
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not out:
        return "item"
    if out[0].isdigit():
        out = "n_" + out
    return out[:40].rstrip("_")


def camel(name: str) -> str:
    """``follow_up`` → ``FollowUp`` (class names in the generated app)."""
    return "".join(part.capitalize() for part in name.split("_") if part) or "Item"


def titleize(name: str) -> str:
    """``follow_up_date`` → ``Follow up date`` (labels)."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def slugify(text: str) -> str:
    """``Bakery Inventory`` → ``bakery-inventory`` (directory and URL safe, at most 48 chars)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-")
    return slug or "app"
