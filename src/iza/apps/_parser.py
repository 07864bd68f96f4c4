"""Request → app spec without an LLM: a deterministic parser over a domain lexicon (``mode: offline``).

The request is cut at its first "with"-like word into a head ("inventory for a bakery") and a
list of extras ("suppliers and low stock alerts"). The head names the app, its context ("for a
bakery") and its main records; extras add related records, fields and features. Known nouns come
from :mod:`iza.apps._lexicon`; unknown nouns still work: a plural becomes a record with a name and
notes, a singular becomes a text field, "<word> dates" a date field. Every choice is written to
``spec.decisions`` so a reader (or the memory) can see why the app looks as it does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from iza.apps import _lexicon as lx
from iza.apps._catalog import BLUEPRINTS
from iza.apps._records import RESERVED_FIELDS, RESERVED_PLURALS, AppSpec, Entity, Field, Relation
from iza.apps._words import ident, plural, singular, slugify, titleize
from iza.errors import InputError

__all__ = ["check_request", "parse_field", "parse_request"]

MAX_REQUEST = 500
MAX_ENTITIES = 6
MAX_FIELDS = 16
_WITH = r"\b(?:with|including|that has|that have|having|featuring|plus|where i can|so i can)\b"
_FOR = {"for", "of", "to", "about", "on", "in", "at"}
_NORMALISE = (
    (r"\bto[- ]dos?\b", "todo"),
    (r"\be-mails?\b", "email"),
    (r"\bfollow[ -]?ups?\b", "follow-up"),
    (r"\bcheck[ -]ins?\b", "check-in"),
    (r"\bblog posts?\b", "post"),
    (r"\btime entr(y|ies)\b", "time_entry"),
    (r"\btime ?sheets?\b", "time_entry"),
    (r"\bmenu items?\b", "menu_item"),
    (r"\bpurchase orders?\b", "order"),
    (r"\bjob applications?\b", "job_application"),
    (r"\bjournal entr(y|ies)\b", "journal"),
    (r"\bknowledge[ -]?base\b", "knowledge base"),
    (r"\buser accounts?\b|\busers?\b|\bsign[ -]?in\b|\blog[ -]?in\b", "login"),
    (r"\ba\.i\.", "ai"),
    (r"&", " and "),
    (r"\bchat ?bot\b", "chatbot"),
)
_ACRONYMS = {"crm": "CRM", "cms": "CMS", "ai": "AI", "faq": "FAQ", "hr": "HR", "it": "IT", "diy": "DIY"}


@dataclass
class _Draft:
    """Mutable working state; turned into a frozen :class:`AppSpec` at the end."""

    request: str
    entities: dict[str, list[Field]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    primary: list[str] = field(default_factory=list)
    secondary: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    head_words: list[str] = field(default_factory=list)
    unknown_primary: list[str] = field(default_factory=list)
    loose_fields: list[Field] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    decisions: list[str] = field(default_factory=list)
    #: the last noun of a compound in the request's head ("student grades" → grade), if any
    head_noun: str | None = None

    def add_feature(self, name: str, why: str) -> None:
        if name not in self.features:
            self.features.append(name)
            self.decisions.append(f"feature {name}: {why}")

    def add_entity(self, name: str, noun: lx.Noun | None, why: str, *, primary: bool) -> None:
        if name in self.entities:
            if primary and name in self.secondary and name not in self.primary:
                self.primary.append(name)
            return
        if len(self.entities) >= MAX_ENTITIES:
            self.decisions.append(f"skipped {name!r}: at most {MAX_ENTITIES} entities")
            return
        spec = noun.fields if noun else "name:str! notes:text"
        self.entities[name] = [parse_field(part) for part in spec.split()]
        self.labels[name] = noun.label if noun and noun.label else titleize(name)
        self.parents[name] = noun.parents if noun else ()
        (self.primary if primary else self.secondary).append(name)
        self.decisions.append(f"entity {name}: {why}")


def parse_field(text: str) -> Field:
    """``due_date:date``, ``title:str!``, ``priority:enum(low|high)`` → :class:`Field`."""
    m = re.fullmatch(r"([a-z][a-z0-9_]*):([a-z]+)(?:\(([^)]*)\))?(!?)", text)
    if not m:
        raise ValueError(f"bad field spec {text!r}")
    name, ftype, choices, req = m.groups()
    return Field(
        name=name,
        type=ftype,
        label=titleize(name),
        required=bool(req),
        choices=tuple(choices.split("|")) if choices else (),
    )


def _lookup(word: str) -> tuple[str, lx.Noun] | None:
    for w in (word, singular(word)):
        name = lx.SYNONYMS.get(w, w)
        if name in lx.ENTITIES:
            return name, lx.ENTITIES[name]
    return None


def _content(word: str) -> bool:
    """Could ``word`` name a thing? (not a stop word, number, verb-ish -ing/-ed or adverb)."""
    if word in lx.STOP_WORDS or word in lx.ADJECTIVES or len(word) < 3 or not word[0].isalpha():
        return False
    return not (len(word) > 5 and word.endswith(("ing", "ed", "ly")))


def _is_plural(word: str) -> bool:
    return singular(word) != word


def check_request(request: str, blueprint: str | None = None) -> str:
    """The request with its whitespace normalised; :class:`InputError` when it cannot be one
    (no words, too long) or names an unknown blueprint. Any planner checks this first."""
    text = " ".join(request.split())
    if not re.search(r"[A-Za-z]{2,}", text):
        raise InputError(
            f"the request {request!r} names nothing to build",
            fix='describe the app in words, e.g. iza demo-app "todo app with AI"',
        )
    if len(text) > MAX_REQUEST:
        raise InputError(
            f"the request is {len(text)} characters long (at most {MAX_REQUEST})",
            fix="describe the app in one or two sentences",
        )
    if blueprint is not None and blueprint not in BLUEPRINTS:
        raise InputError(f"unknown blueprint {blueprint!r}", fix="use one of: " + ", ".join(BLUEPRINTS))
    return text


def parse_request(request: str, *, blueprint: str | None = None) -> AppSpec:
    """Turn a request in plain words into an :class:`AppSpec` (offline, deterministic)."""
    text = check_request(request, blueprint)
    d = _Draft(request=text)
    name_override, text = _called(text)
    low = text.lower()
    for pattern, repl in _NORMALISE:
        low = re.sub(pattern, repl, low)
    parts = re.split(_WITH, low, maxsplit=1)
    head, extras = parts[0], (parts[1] if len(parts) > 1 else "")
    _scan_features(d, low)
    _scan_head(d, head)
    if extras:
        _scan_extras(d, extras)
    chosen = _choose_blueprint(d, blueprint)
    main = _choose_main(d, chosen)
    _apply_features(d, main, chosen)
    relations = _relate(d, main)
    entities = _freeze(d, main)
    name = name_override or _name(d, main)
    spec = AppSpec(
        name=name,
        slug=slugify(name),
        request=request.strip(),
        blueprint=chosen,
        entities=entities,
        relations=tuple(relations),
        features=tuple(["search", *[f for f in d.features if f != "search"]]),
        context=" ".join(d.context) or None,
        mode="offline",
        decisions=tuple(d.decisions),
    )
    spec.validate()
    return spec


def _called(text: str) -> tuple[str | None, str]:
    m = re.search(
        r"\b(?:called|named)\s+[\"']?([A-Za-z0-9][\w' -]{1,38}?)[\"']?(?=$|[,.;]|\s+(?:with|for|that)\b)",
        text,
    )
    if not m:
        return None, text
    return m.group(1).strip(), (text[: m.start()] + text[m.end() :]).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z0-9_'-]*", text)


def _scan_features(d: _Draft, low: str) -> None:
    words = set(_words(low))
    for feat, triggers in lx.FEATURE_WORDS.items():
        hit = next((t for t in triggers if t in words), None)
        if hit:
            d.add_feature(feat, f"asked for ({hit!r})")
    for w in _words(low):
        bp = lx.BLUEPRINT_WORDS.get(w) or lx.BLUEPRINT_WORDS.get(singular(w))
        if bp:
            d.scores[bp[0]] = d.scores.get(bp[0], 0) + bp[1]


def _feature_word(w: str) -> bool:
    return any(w in t for t in lx.FEATURE_WORDS.values())


def _scan_head(d: _Draft, head: str) -> None:
    """Main records and context: nouns before the first "for/of/to" are the app's subject."""
    mode = "head"
    previous_entity = False
    group: list[tuple[str, str | None]] = []  # the noun group being read: (word, known entity)
    groups: list[list[tuple[str, str | None]]] = []

    def close() -> None:
        if group:
            groups.append(list(group))
            group.clear()

    for w in _words(head):
        if w in _FOR:
            mode = "for"
            close()
            continue
        if _feature_word(w) and w not in ("pipeline", "kanban"):
            continue
        found = _lookup(w)
        if mode == "head" and w in lx.HEAD_WORDS and (d.primary or found is None):
            d.head_words.append(w)
            close()
            continue
        if found and mode == "for" and not _is_plural(w) and (d.primary or _strong(d)):
            d.context.append(w)
            continue
        if found:
            d.add_entity(found[0], found[1], f"named in the request ({w!r})", primary=True)
            if previous_entity and mode == "head" and found[0] in d.primary:
                # "podcast episodes": in a compound the last noun is the head, the first a modifier
                d.primary.remove(found[0])
                d.primary.insert(0, found[0])
            if mode == "head":
                d.head_words.append(w)
                group.append((w, found[0]))
            previous_entity = True
            continue
        previous_entity = False
        if not _scan_unknown(d, w, mode, group):
            close()
    close()
    _compound_head(d, groups)


def _scan_unknown(d: _Draft, w: str, mode: str, group: list[tuple[str, str | None]]) -> bool:
    """A word the lexicon does not know as a record; False when it ends the noun group."""
    if mode == "head" and w not in lx.STOP_WORDS and len(w) > 5 and w.endswith("ing"):
        d.head_words.append(w)  # "event planning", "pet grooming": part of the name only
        return True  # and inside a compound ("pet grooming appointments") it keeps the group
    if not _content(w) or w in lx.BLUEPRINT_WORDS:
        if mode == "head" and (w in lx.BLUEPRINT_WORDS or w in lx.HEAD_WORDS or w == "knowledge"):
            d.head_words.append(w)
        if mode == "head" and _content(w) and w not in lx.HEAD_WORDS:
            group.append((w, ""))  # "recipe ingredient inventory": in the compound, never its head
            return True
        return False
    if mode == "for" and not _is_plural(w):
        d.context.append(w)
    else:
        d.unknown_primary.append(w)
        if mode == "head":
            d.head_words.append(w)
            group.append((w, None))
    return True


def _compound_head(d: _Draft, groups: list[list[tuple[str, str | None]]]) -> None:
    """In a noun compound ("student grades", "customer support tickets", "pet grooming
    appointments") the last noun names the records and the nouns before it only describe them.

    The last noun wins when it is a known record or a plural (records are counted: "grades",
    "permits"); an unknown singular ("vehicle fleet", "customer support") is more often the
    business or an activity than a record, so the known noun before it stays the subject. A lone
    unknown plural in the head ("parking permits for an apartment building") is the subject too,
    ahead of a known noun after "for", which only says whose records they are.
    """
    for g in groups:
        word, known = g[-1]
        if known == "" or (known is None and not _is_plural(word)):
            continue
        if len(g) < 2 and known is not None:
            continue  # a lone known noun is already the subject
        name = known or ident(singular(word))
        if known is None:
            d.add_entity(name, None, f"unknown plural {word!r} heads the compound", primary=True)
        if name in d.primary:
            d.primary.remove(name)
        d.primary.insert(0, name)
        d.head_noun = name
        words = " ".join(w for w, _ in g)
        d.decisions.append(f"main record {name}: the head of {words!r}")
        return


def _strong(d: _Draft) -> bool:
    return any(score >= 3 for score in d.scores.values())


def _scan_extras(d: _Draft, extras: str) -> None:
    """Related records, fields and features after "with": fields by phrase first, then nouns."""
    rest = extras
    for pattern, spec, feature in lx.FIELD_PHRASES:
        for m in list(re.finditer(pattern, rest)):
            f = parse_field(spec)
            if spec == "date:date":  # "<word> dates" → <word>_date
                prev = re.findall(r"([a-z][a-z-]*)\s+$", rest[: m.start()])
                if prev and _content(prev[0].rstrip("-")) or (prev and prev[0].endswith("ing")):
                    word = ident(prev[0])
                    f = Field(f"{word}_date", "date", titleize(f"{word}_date"))
                    rest = rest[: m.start() - len(prev[0]) - 1] + " " + rest[m.start() :]
                    m = re.search(pattern, rest) or m
            d.loose_fields.append(f)
            d.decisions.append(f"field {f.name} ({f.type}): from {m.group(0)!r}")
            if feature:
                d.add_feature(feature, f"implied by {m.group(0)!r}")
            rest = rest[: m.start()] + " " * len(m.group(0)) + rest[m.end() :]
    for item in re.split(r",|\band\b|\bor\b|;", rest):
        words = [w for w in _words(item) if not _feature_word(w) and w not in _FOR]
        nouns = [w for w in words if _content(w) or _lookup(w)]
        if not nouns:
            continue
        known = [(w, _lookup(w)) for w in nouns if _lookup(w)]
        if known:
            w, hit = known[-1]
            assert hit is not None
            d.add_entity(hit[0], hit[1], f"named after 'with' ({w!r})", primary=False)
            continue
        last = nouns[-1]
        if any(f.name == ident(singular(last)) for fs in d.entities.values() for f in fs):
            d.decisions.append(f"{last!r} is already a field")
        elif _is_plural(last):
            d.add_entity(
                ident(singular(last)),
                None,
                f"unknown plural noun {last!r} → its own records",
                primary=False,
            )
        elif last not in lx.HEAD_WORDS:
            f = Field(ident(last), "str", titleize(ident(last)))
            d.loose_fields.append(f)
            d.decisions.append(f"field {f.name} (str): unknown word {last!r}")


def _choose_blueprint(d: _Draft, forced: str | None) -> str:
    if forced:
        d.decisions.append(f"blueprint {forced}: chosen by the caller")
        return forced
    scores = dict(d.scores)
    for i, name in enumerate(d.primary + d.secondary):
        hint = lx.ENTITIES[name].blueprint if name in lx.ENTITIES else None
        if hint:
            scores[hint] = scores.get(hint, 0) + (3 if i == 0 and d.primary else 1)
    if not scores:
        d.decisions.append("blueprint tracker: no domain word matched, generic tracker")
        return "tracker"
    best = max(scores.values())
    order = list(BLUEPRINTS)
    chosen = min((b for b, s in scores.items() if s == best), key=order.index)
    detail = ", ".join(f"{k}={v}" for k, v in sorted(scores.items()))
    d.decisions.append(f"blueprint {chosen}: keyword score {best} ({detail})")
    return chosen


def _choose_main(d: _Draft, chosen: str) -> str:
    bp = BLUEPRINTS[chosen]
    main: str | None = d.primary[0] if d.primary else None
    fitting = [
        n for n in d.primary + d.secondary if n in lx.ENTITIES and lx.ENTITIES[n].blueprint == chosen
    ]
    if (main is not None and fitting and main != d.head_noun
            and lx.ENTITIES.get(main, lx.Noun("")).blueprint != chosen):
        d.decisions.append(
            f"main record {fitting[0]}: it fits the {chosen} blueprint better than {main}"
        )
        main = fitting[0]
    plurals = [w for w in d.unknown_primary if _is_plural(w)]
    # An unknown plural ("conference talks") names the records; an unknown singular ("farm
    # management") only when nothing else does, since it is usually the business, not a record.
    candidates = plurals or ([] if d.secondary else d.unknown_primary)
    if main is None and candidates and not (_strong(d) and bp.main):
        word = candidates[0]
        main = ident(singular(word))
        d.add_entity(main, None, f"unknown noun {word!r} → generic records", primary=True)
        d.context = [w for w in d.context if w != word]
    if main is None and bp.main and (d.scores.get(chosen, 0) > 0 or not d.secondary):
        main = bp.main
        d.add_entity(main, lx.ENTITIES[main], f"default record of the {chosen} blueprint", primary=True)
    if main is None and d.secondary:
        main = d.secondary[0]
    if main is None and d.context:
        word = d.context.pop()
        hit = _lookup(word)
        main = hit[0] if hit else ident(singular(word))
        d.add_entity(main, hit[1] if hit else None, f"only noun in the request ({word!r})", primary=True)
    if main is None:
        raise InputError(
            f"could not tell what the app should keep track of in {d.request!r}",
            fix="name the things it holds, e.g. 'tracker for plants with watering dates'",
        )
    if main in d.secondary:
        d.secondary.remove(main)
    if main in d.primary:
        d.primary.remove(main)
    d.primary.insert(0, main)
    if main == bp.main and len(d.entities) == 1:
        for comp in bp.companions:
            d.add_entity(
                comp, lx.ENTITIES[comp], f"companion of {main} in the {chosen} blueprint", primary=False
            )
    return main


def _apply_features(d: _Draft, main: str, chosen: str) -> None:
    for feat in BLUEPRINTS[chosen].features:
        d.add_feature(feat, f"default of the {chosen} blueprint")
    fields = d.entities[main]
    names = {f.name for f in fields}
    for f in d.loose_fields:
        stem = f.name.split("_")[0]
        if any(stem in g.name.split("_") for g in fields):
            continue  # "service dates" when next_service_on exists, "size" beside party_size
        if f.name in names or (
            f.type in ("money", "email", "url")
            and any(
                stem in n or (g.type == f.type and f.type != "money")
                for n, g in ((g.name, g) for g in fields)
            )
        ):
            continue
        fields.append(f)
        names.add(f.name)
    if "due" in d.features and not any("due" in n for n in names):
        fields.append(parse_field("due_date:date"))
    if "status" in d.features and "status" not in names:
        fields.append(parse_field("status:enum(open|in_progress|done)"))
        d.entities[main] = fields = [f for f in fields if f.name != "done"]
    if "tags" in d.features and "tags" not in names:
        fields.append(Field("tags", "tags", "Tags"))
    d.entities[main] = fields[:MAX_FIELDS]


def _relate(d: _Draft, main: str) -> list[Relation]:
    """Many-to-one links: a child names its parent; otherwise the main record refers to the other."""
    relations: list[Relation] = []
    linked: set[frozenset[str]] = set()
    names = list(d.entities)

    def link(source: str, target: str) -> None:
        fname = f"{target}_id"
        if frozenset((source, target)) in linked or any(f.name == fname for f in d.entities[source]):
            return
        linked.add(frozenset((source, target)))
        d.entities[source].append(Field(fname, "ref", d.labels[target], ref=target))
        relations.append(Relation(source, target, fname))
        d.decisions.append(f"relation {source}.{fname} → {target}")

    for a in names:
        for b in names:
            if a != b and b in d.parents.get(a, ()):
                link(a, b)
    for other in names:
        if other != main and not any(other in pair and main in pair for pair in linked):
            if not any(other in pair for pair in linked):
                link(main, other)
    return relations


def _freeze(d: _Draft, main: str) -> tuple[Entity, ...]:
    out = []
    used_plurals: set[str] = set()
    for name in [main] + [n for n in d.entities if n != main]:
        fields = []
        for f in d.entities[name]:
            if f.name in RESERVED_FIELDS:
                f = Field(f"{f.name}_value", f.type, f.label, f.required, f.choices, f.ref)
            fields.append(f)
        pl = ident(plural(name)) if name != plural(name) else f"{name}_list"
        if pl in used_plurals or pl in d.entities or pl in RESERVED_PLURALS:
            pl = f"{name}_items"
        used_plurals.add(pl)
        title = next(f.name for f in fields if f.type in ("str", "text", "email"))
        out.append(
            Entity(name=name, label=d.labels[name], plural=pl, fields=tuple(fields), title_field=title)
        )
    return tuple(out)


def _name(d: _Draft, main: str) -> str:
    generic = {"app", "application", "tool", "system", "platform", "site", "website", "portal", "dashboard"}
    words = [w for w in d.context if w not in lx.ADJECTIVES][-2:] + [
        w for w in d.head_words if w not in generic
    ]
    if not words or all(w in ("crm", "cms") for w in words):
        words = [d.labels[main].lower()] + (words or ["tracker"])
    if len(words) == 1 and words[0] not in lx.HEAD_WORDS:
        hit = _lookup(words[0])
        # "vinyl" → "Vinyl Records"; "todo" (which names the main record) → "Todo App"
        words.append("app" if hit and hit[0] == main else plural(d.labels[main].lower()))
    seen: list[str] = []
    for w in words:
        if w not in seen:
            seen.append(w)
    return " ".join(_ACRONYMS.get(w, " ".join(p.capitalize() for p in w.split("_"))) for w in seen[:5])
