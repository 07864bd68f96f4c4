"""The offline parser's knowledge: domain nouns → entities with typed fields, field phrases,
feature words and blueprint keywords. Data only, so extending the vocabulary is adding a line.

Field mini-language: ``name:type`` with ``!`` for required and ``enum(a|b|c)`` for choices; the
first field is the entity's title. ``parents`` name entities a record belongs to ("a comment
belongs to a post"): when both appear in one request the child gets the reference field.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ADJECTIVES",
    "BLUEPRINT_WORDS",
    "ENTITIES",
    "FEATURE_WORDS",
    "FIELD_PHRASES",
    "HEAD_WORDS",
    "STOP_WORDS",
    "SYNONYMS",
    "Noun",
]


@dataclass(frozen=True)
class Noun:
    """A known domain noun: its fields, what it belongs to and the blueprint it suggests."""

    fields: str
    parents: tuple[str, ...] = ()
    blueprint: str | None = None
    label: str | None = None


def _n(fields: str, parents: str = "", blueprint: str | None = None, label: str | None = None) -> Noun:
    return Noun(fields, tuple(parents.split()), blueprint, label)


_STATUS_DEAL = "status:enum(open|won|lost)"
ENTITIES: dict[str, Noun] = {
    # tasks and projects
    "task": _n(
        "title:str! notes:text priority:enum(low|medium|high) done:bool",
        "project goal list milestone sprint",
        "tasks",
    ),
    "project": _n("name:str! description:text start_date:date", "client customer", "tasks"),
    "ticket": _n(
        "title:str! description:text priority:enum(low|medium|high|urgent) reporter_email:email "
        "status:enum(open|in_progress|resolved|closed)",
        "project customer",
        "tasks",
    ),
    "milestone": _n("title:str! due_date:date", "project", "tasks"),
    "sprint": _n("name:str! starts_on:date ends_on:date", "project", "tasks"),
    "chore": _n("title:str! assignee:str done:bool", "", "tasks"),
    "time_entry": _n("description:str! hours:money worked_on:date", "project task client", "finance"),
    # notes and knowledge
    "note": _n("title:str! body:text", "notebook topic project", "notes"),
    "notebook": _n("name:str! description:text", "", "notes"),
    "topic": _n("name:str! description:text", "", "notes"),
    "article": _n("title:str! body:text source_url:url", "topic category author", "notes"),
    "journal_entry": _n(
        "title:str! entry_date:date mood:enum(great|good|okay|bad) body:text",
        "",
        "notes",
        "Journal entry",
    ),
    "bookmark": _n("title:str! url:url notes:text", "topic", "notes"),
    "recipe": _n(
        "name:str! ingredients:text instructions:text prep_minutes:int servings:int", "category", "notes"
    ),
    "flashcard": _n("front:str! back:text", "deck topic", "notes"),
    "deck": _n("name:str! description:text", "", "notes"),
    "question": _n("question:str! answer:text", "topic", "notes"),
    "idea": _n("title:str! description:text votes:int", "project", "notes"),
    "document": _n("title:str! url:url summary:text", "project client", "notes"),
    "snippet": _n("title:str! language:str code:text", "topic", "notes"),
    # crm
    "lead": _n(
        "name:str! company:str email:email phone:str value:money source:str "
        "status:enum(new|contacted|qualified|won|lost)",
        "campaign",
        "crm",
    ),
    "contact": _n("name:str! email:email phone:str company:str notes:text", "company account", "crm"),
    "customer": _n("name:str! email:email phone:str company:str notes:text", "", "crm"),
    "client": _n("name:str! email:email phone:str company:str notes:text", "", "crm"),
    "company": _n("name:str! website:url industry:str", "", "crm"),
    "account": _n("name:str! website:url industry:str", "", "crm"),
    "deal": _n(
        f"title:str! value:money close_date:date {_STATUS_DEAL}",
        "lead contact customer client company account",
        "crm",
    ),
    "activity": _n(
        "summary:str! happened_on:date notes:text", "lead contact customer client deal", "crm"
    ),
    "follow_up": _n(
        "summary:str! due_date:date done:bool", "lead contact customer client deal", "crm", "Follow-up"
    ),
    "campaign": _n("name:str! channel:str budget:money starts_on:date", "", "crm"),
    "subscriber": _n("email:email! name:str subscribed_on:date", "newsletter", "crm"),
    "donor": _n("name:str! email:email phone:str", "", "crm"),
    "donation": _n("donor_name:str! amount:money donated_on:date", "donor campaign", "finance"),
    "candidate": _n(
        "name:str! email:email position:str status:enum(applied|interview|offer|hired|rejected)",
        "job",
        "crm",
    ),
    "application": _n(
        "company:str! position:str applied_on:date status:enum(applied|interview|offer|rejected)",
        "job",
        "crm",
        "Job application",
    ),
    "job": _n("title:str! company:str location:str salary:money", "company", "crm"),
    "member": _n("name:str! email:email joined_on:date", "team club", "crm"),
    "volunteer": _n("name:str! email:email phone:str skills:text", "event", "crm"),
    # inventory
    "item": _n(
        "name:str! sku:str quantity:int unit_price:money reorder_level:int",
        "supplier category warehouse location",
        "inventory",
    ),
    "product": _n("name:str! sku:str price:money quantity:int", "supplier category", "inventory"),
    "ingredient": _n(
        "name:str! quantity:int unit:str unit_cost:money reorder_level:int",
        "supplier recipe",
        "inventory",
    ),
    "supplier": _n("name:str! contact_email:email phone:str notes:text", "", "inventory"),
    "vendor": _n("name:str! contact_email:email phone:str notes:text", "", "inventory"),
    "warehouse": _n("name:str! address:text", "", "inventory"),
    "location": _n("name:str! address:text", "", "inventory"),
    "category": _n("name:str! description:text", "", None),
    "order": _n(
        "reference:str! order_date:date total:money "
        "status:enum(pending|paid|shipped|delivered|cancelled)",
        "customer client supplier vendor",
        "inventory",
    ),
    "asset": _n(
        "name:str! serial_number:str purchased_on:date value:money", "location owner", "inventory"
    ),
    "equipment": _n(
        "name:str! serial_number:str purchased_on:date condition:enum(good|fair|broken)",
        "location",
        "inventory",
    ),
    "menu_item": _n("name:str! description:text price:money", "category", "inventory", "Menu item"),
    "vehicle": _n("name:str! plate:str mileage:int next_service_on:date", "owner", "inventory"),
    "shipment": _n("tracking_number:str! shipped_on:date carrier:str", "order supplier", "inventory"),
    # bookings
    "appointment": _n(
        "title:str! starts_at:datetime duration_minutes:int notes:text "
        "status:enum(booked|confirmed|done|cancelled)",
        "client customer patient pet service staff",
        "bookings",
    ),
    "booking": _n(
        "guest_name:str! starts_at:datetime party_size:int notes:text "
        "status:enum(pending|confirmed|cancelled)",
        "room resource guest customer service",
        "bookings",
    ),
    "reservation": _n(
        "guest_name:str! starts_at:datetime party_size:int notes:text "
        "status:enum(pending|confirmed|cancelled)",
        "room resource guest customer",
        "bookings",
    ),
    "patient": _n("name:str! email:email phone:str date_of_birth:date notes:text", "", "bookings"),
    "room": _n("name:str! capacity:int price:money", "", "bookings"),
    "resource": _n("name:str! description:text", "", "bookings"),
    "service": _n("name:str! duration_minutes:int price:money", "", "bookings"),
    "staff": _n("name:str! email:email role:str", "", "bookings", "Staff member"),
    "employee": _n("name:str! email:email role:str hired_on:date", "team department", "crm"),
    "lesson": _n("title:str! starts_at:datetime capacity:int", "course teacher", "bookings"),
    "event": _n("title:str! starts_at:datetime location:str capacity:int", "", "bookings"),
    "guest": _n("name:str! email:email rsvp:enum(yes|no|maybe)", "event", "bookings"),
    "shift": _n("title:str! starts_at:datetime ends_at:datetime", "employee staff", "bookings"),
    "pet": _n("name:str! species:str breed:str date_of_birth:date", "owner client customer", "bookings"),
    "owner": _n("name:str! email:email phone:str", "", "crm"),
    # finance
    "expense": _n(
        "description:str! amount:money spent_on:date category:str", "project trip budget", "finance"
    ),
    "invoice": _n(
        "number:str! issued_on:date due_date:date amount:money status:enum(draft|sent|paid|overdue)",
        "client customer project",
        "finance",
    ),
    "payment": _n("reference:str! amount:money paid_on:date", "invoice client customer", "finance"),
    "budget": _n("name:str! amount:money month:str", "", "finance"),
    "income": _n("source:str! amount:money received_on:date", "", "finance"),
    "transaction": _n(
        "description:str! amount:money happened_on:date category:str", "account", "finance"
    ),
    "subscription": _n("name:str! amount:money renews_on:date", "", "finance"),
    "bill": _n("payee:str! amount:money due_date:date paid:bool", "", "finance"),
    "contract": _n("title:str! signed_on:date value:money", "client customer", "finance"),
    # blog / cms
    "post": _n(
        "title:str! slug:str body:text published_on:date status:enum(draft|published)",
        "author category topic",
        "blog",
    ),
    "comment": _n("author:str! body:text", "post article ticket task recipe", "blog"),
    "author": _n("name:str! email:email bio:text", "", "blog"),
    "page": _n("title:str! slug:str body:text", "", "blog"),
    "review": _n("title:str! rating:int body:text", "product book movie recipe restaurant", "blog"),
    "episode": _n("title:str! published_on:date audio_url:url notes:text", "podcast", "blog"),
    "podcast": _n("name:str! description:text", "", "blog"),
    # chat assistant
    "conversation": _n("title:str! created_on:date", "", "chat"),
    "message": _n("content:text! role:enum(user|assistant)", "conversation", "chat"),
    "prompt": _n("title:str! body:text", "", "chat"),
    # trackers
    "habit": _n(
        "name:str! frequency:enum(daily|weekly|monthly) streak:int last_done_on:date", "", "tracker"
    ),
    "check_in": _n("note:str! done_on:date", "habit goal", "tracker", "Check-in"),
    "goal": _n("title:str! target_date:date progress_percent:int", "", "tracker"),
    "workout": _n("name:str! performed_on:date duration_minutes:int calories:int", "", "tracker"),
    "exercise": _n("name:str! sets:int reps:int weight_kg:int", "workout", "tracker"),
    "meal": _n("name:str! eaten_on:date calories:int", "", "tracker"),
    "plant": _n("name:str! species:str location:str last_watered_on:date", "", "tracker"),
    "loan": _n("borrower:str! borrowed_on:date due_date:date returned:bool", "book member item equipment",
               "tracker"),
    "book": _n("title:str! author:str isbn:str rating:int finished:bool", "", "tracker"),
    "movie": _n("title:str! director:str year:int rating:int watched:bool", "", "tracker"),
    "game": _n("title:str! platform:str rating:int finished:bool", "", "tracker"),
    "song": _n("title:str! artist:str album:str year:int", "playlist", "tracker"),
    "playlist": _n("name:str! description:text", "", "tracker"),
    "student": _n("name:str! email:email grade:str", "course class_group", "tracker"),
    "course": _n("title:str! description:text starts_on:date", "teacher", "tracker"),
    "teacher": _n("name:str! email:email subject:str", "", "tracker"),
    "assignment": _n("title:str! due_date:date grade:int", "course student", "tracker"),
    "trip": _n("destination:str! starts_on:date ends_on:date budget:money", "", "tracker"),
    "property": _n("title:str! address:text price:money bedrooms:int", "owner", "tracker"),
    "tenant": _n("name:str! email:email phone:str lease_ends_on:date", "property", "crm"),
    "repair": _n(
        "title:str! description:text reported_on:date cost:money", "property vehicle asset", "tasks"
    ),
    "team": _n("name:str! description:text", "", None),
    "department": _n("name:str! description:text", "", None),
    "club": _n("name:str! description:text", "", None),
    "newsletter": _n("title:str! sent_on:date body:text", "", "blog"),
    "restaurant": _n("name:str! cuisine:str address:text rating:int", "", "tracker"),
    "wine": _n("name:str! winery:str vintage:int rating:int", "", "tracker"),
    "collection": _n("name:str! description:text", "", "tracker"),
}

#: Words (singular) that name a known entity under another name.
SYNONYMS: dict[str, str] = {
    "todo": "task",
    "to-do": "task",
    "todos": "task",
    "errand": "task",
    "action": "task",
    "issue": "ticket",
    "bug": "ticket",
    "request": "ticket",
    "incident": "ticket",
    "memo": "note",
    "wiki": "article",
    "doc": "document",
    "file": "document",
    "faq": "question",
    "card": "flashcard",
    "journal": "journal_entry",
    "diary": "journal_entry",
    "entry": "journal_entry",
    "prospect": "lead",
    "opportunity": "deal",
    "interaction": "activity",
    "call": "activity",
    "follow-up": "follow_up",
    "followup": "follow_up",
    "organization": "company",
    "organisation": "company",
    "applicant": "candidate", "job_application": "application",
    "part": "item",
    "stock": "item",
    "material": "item",
    "supply": "item",
    "purchase": "order",
    "time": "time_entry",
    "timesheet": "time_entry",
    "dish": "menu_item",
    "provider": "supplier",
    "distributor": "supplier",
    "car": "vehicle",
    "truck": "vehicle",
    "device": "asset",
    "gear": "equipment",
    "visit": "appointment",
    "session": "appointment",
    "consultation": "appointment",
    "meeting": "appointment",
    "class": "lesson",
    "workshop": "event",
    "attendee": "guest",
    "participant": "guest",
    "therapist": "staff",
    "stylist": "staff",
    "doctor": "staff",
    "worker": "employee",
    "receipt": "expense",
    "spending": "expense",
    "purchase_order": "order",
    "blog_post": "post",
    "blogpost": "post",
    "story": "post",
    "writer": "author",
    "chat": "conversation",
    "thread": "conversation",
    "checkin": "check_in",
    "check-in": "check_in",
    "training": "workout",
    "lift": "exercise",
    "food": "meal",
    "reading": "book",
    "film": "movie",
    "pupil": "student",
    "homework": "assignment",
    "listing": "property",
    "apartment": "property",
    "house": "property",
    "rental": "property",
    "maintenance": "repair",
    "vacation": "trip",
    "travel": "trip",
    "episode": "episode",
    "volunteers": "volunteer",
    "donations": "donation",
    "mailing": "subscriber",
}

#: Words that pick a blueprint directly, with a weight (entity hints add 1-2 on top).
BLUEPRINT_WORDS: dict[str, tuple[str, int]] = {
    "todo": ("tasks", 3),
    "to-do": ("tasks", 3),
    "task": ("tasks", 3),
    "kanban": ("tasks", 3),
    "project": ("tasks", 1),
    "ticket": ("tasks", 2),
    "helpdesk": ("tasks", 3),
    "chore": ("tasks", 3),
    "note": ("notes", 3),
    "notes": ("notes", 3),
    "wiki": ("notes", 3),
    "knowledge": ("notes", 3),
    "journal": ("notes", 3),
    "diary": ("notes", 3),
    "recipe": ("notes", 2),
    "bookmark": ("notes", 3),
    "crm": ("crm", 4),
    "lead": ("crm", 3),
    "sales": ("crm", 3),
    "pipeline": ("crm", 2),
    "customer": ("crm", 1),
    "client": ("crm", 1),
    "contact": ("crm", 2),
    "recruiting": ("crm", 3),
    "inventory": ("inventory", 4),
    "stock": ("inventory", 3),
    "warehouse": ("inventory", 3),
    "supplier": ("inventory", 2),
    "product": ("inventory", 2),
    "catalog": ("inventory", 1),
    "booking": ("bookings", 4),
    "bookings": ("bookings", 4),
    "appointment": ("bookings", 4),
    "reservation": ("bookings", 4),
    "scheduling": ("bookings", 3),
    "schedule": ("bookings", 2),
    "calendar": ("bookings", 2),
    "expense": ("finance", 4),
    "invoice": ("finance", 4),
    "invoicing": ("finance", 4),
    "budget": ("finance", 3),
    "finance": ("finance", 4),
    "accounting": ("finance", 4),
    "billing": ("finance", 4),
    "bookkeeping": ("finance", 4),
    "money": ("finance", 2),
    "blog": ("blog", 4),
    "cms": ("blog", 4),
    "publishing": ("blog", 3),
    "newsletter": ("blog", 2),
    "post": ("blog", 2),
    "article": ("blog", 1),
    "podcast": ("blog", 3),
    "magazine": ("blog", 3),
    "chat": ("chat", 4),
    "chatbot": ("chat", 4),
    "assistant": ("chat", 3),
    "conversation": ("chat", 3),
    "tracker": ("tracker", 1),
    "tracking": ("tracker", 1),
    "log": ("tracker", 1),
    "habit": ("tracker", 3),
}

#: Feature → words that ask for it.
FEATURE_WORDS: dict[str, tuple[str, ...]] = {
    "ai": ("ai", "gpt", "llm", "openai", "smart", "intelligent", "ai-powered", "copilot", "chatgpt"),
    "auth": (
        "login",
        "logins",
        "auth",
        "authentication",
        "password",
        "passwords",
        "sign-in",
        "signin",
        "private",
        "secure",
        "multi-user",
    ),
    "tags": ("tag", "tags", "tagging", "labels", "label"),
    "due": ("due", "deadline", "deadlines"),
    "status": ("status", "statuses", "stage", "stages", "state", "workflow", "pipeline", "kanban"),
    "search": ("search", "searchable", "find", "filter", "filters"),
}

#: (regex on the lowered request, field "name:type", feature it implies). The field goes on the
#: entity the phrase is attached to (the main entity unless it follows another entity's name).
FIELD_PHRASES: tuple[tuple[str, str, str | None], ...] = (
    (r"\bdue[ -]dates?\b|\bdeadlines?\b", "due_date:date", "due"),
    (r"\bfollow[- ]?ups?[ -]dates?\b", "follow_up_date:date", None),
    (r"\b(expiry|expiration|best[- ]before)[ -]?(dates?)?\b", "expires_on:date", None),
    (r"\b(birthdays?|birth[ -]?dates?|dates? of birth)\b", "date_of_birth:date", None),
    (r"\b(reminders?)\b", "remind_on:date", None),
    (r"\bstreaks?\b", "streak:int", None),
    (r"\b(prices?|pricing)\b", "price:money", None),
    (r"\b(costs?)\b", "cost:money", None),
    (r"\b(amounts?|totals?)\b", "amount:money", None),
    (r"\b(salary|salaries|wages?)\b", "salary:money", None),
    (r"\b(quantit(y|ies)|stock levels?|counts?)\b", "quantity:int", None),
    (r"\b(reorder|low[- ]stock)( levels?| alerts?| points?)?\b", "reorder_level:int", None),
    (r"\b(ratings?|stars?|scores?)\b", "rating:int", None),
    (r"\b(emails?|e-mails?)\b", "email:email", None),
    (r"\b(phones?|phone numbers?|mobile numbers?)\b", "phone:str", None),
    (r"\b(address|addresses)\b", "address:text", None),
    (r"\b(websites?|urls?|links?)\b", "website:url", None),
    (r"\b(photos?|images?|pictures?)\b", "image_url:url", None),
    (r"\b(attachments?)\b", "attachment_url:url", None),
    (r"\b(priorit(y|ies))\b", "priority:enum(low|medium|high)", None),
    (r"\b(severity|severities)\b", "severity:enum(low|medium|high|critical)", None),
    (r"\b(categor(y|ies))\b", "category:str", None),
    (r"\b(notes|descriptions?)\b", "notes:text", None),
    (r"\b(locations?|places?)\b", "location:str", None),
    (r"\b(durations?|minutes)\b", "duration_minutes:int", None),
    (r"\b(hours)\b", "hours:money", None),
    (r"\b(progress|percent(age)?)\b", "progress_percent:int", None),
    (r"\b(weights?)\b", "weight_kg:int", None),
    (r"\b(calories)\b", "calories:int", None),
    (r"\b(assignees?|assigned to)\b", "assignee:str", None),
    (r"\b(colou?rs?)\b", "color:str", None),
    (r"\b(party|group) sizes?\b", "party_size:int", None),
    (r"\b(sizes?)\b", "size:str", None),
    (r"\b(sku|skus|barcodes?)\b", "sku:str", None),
    (r"\b(units?)\b", "unit:str", None),
    (r"\b(done|completed?|completion|checkboxes?)\b", "done:bool", None),
    (r"\b(favou?rites?|starred)\b", "favorite:bool", None),
    (r"\b(archived?|archiving)\b", "archived:bool", None),
    (r"\b(years?)\b", "year:int", None),
    (r"\b(hourly )?rates?\b", "rate:money", None),
    (r"\bpoints?\b", "points:int", None),
    (r"\b(times?|start times?|schedules?|time slots?|slots?)\b", "starts_at:datetime", None),
    (r"\b(dates?)\b", "date:date", None),
)

#: Words that end the "head" of a request and name what kind of app it is, not a record.
HEAD_WORDS = frozenset(
    {
        "tracker",
        "tracking",
        "list",
        "manager",
        "management",
        "planner",
        "organizer",
        "organiser",
        "app",
        "application",
        "system",
        "tool",
        "dashboard",
        "portal",
        "database",
        "db",
        "log",
        "logger",
        "book",
        "catalog",
        "catalogue",
        "board",
        "hub",
        "base",
        "directory",
        "register",
        "registry",
        "site",
        "website",
        "platform",
        "crm",
        "booking",
        "bookings",
        "scheduler",
        "collection",
        "chart",
        "watchlist",
        "wishlist",
        "checklist",
        "journal",
        "notebook",
        "library",
        "cms",
        "inventory",
        "assistant",
        "bot",
    }
)

#: Words that are never entities or context.
STOP_WORDS = frozenset(
    """
a an the my our your their his her its me i we you us them it this that these those some any all
for with and or of to in on at by from into about as per via plus also so then than just only
app apps application applications build create make generate give want need would like please can
could should let lets help helps helping thing things something stuff web webapp online simple small
little basic quick tiny new modern nice clean minimal lightweight full complete easy good great
keep keeps track tracks tracking manage manages managing organize organise organizing store stores
storing recording log logs logging handle handles run runs running use using where
which who what when how who is are be been being have has had do does did will shall may might must
one two three each every own other more most many much very really real well also version
tool tools system systems platform portal dashboard site website page based powered support supports
allow allows allowing lets including include includes featuring feature features plus etc
""".split()
)

#: Adjectives dropped from context phrases ("for a small family bakery" → "bakery").
ADJECTIVES = frozenset(
    """
small local family little big large busy independent personal private home local tiny growing
friendly community neighborhood neighbourhood boutique indie new my our
""".split()
)
