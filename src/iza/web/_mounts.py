"""What the web app mounts from the subsystems: routers and navigation entries.

A subsystem with pages or API routes adds a line here; ``web`` is the top layer, so it may import
them. Routers are imported when the app is created, never by the CLI's ``--help``.
"""

from __future__ import annotations

#: "module:attribute" of FastAPI routers to include (pages and their API routes).
ROUTERS: tuple[str, ...] = (
    "iza.business.routes:router",
    "iza.agents.routes:router",
    "iza.llm.routes:router",
    "iza.business.pages:router",
    "iza.business.pages:api",
    "iza.memory.routes:router",
    "iza.web.apps_pages:router",
    "iza.workflows.routes:router",
    "iza.workflows.pages:router",
)

#: (label, path) shown in the navigation, in order.
NAV: tuple[tuple[str, str], ...] = (
    ("Command Center", "/"),
    ("Agents", "/agents"),
    ("LLM", "/llm"),
    ("Revenue", "/revenue"),
    ("Services", "/catalog"),
    ("Memory", "/memory"),
    ("Instant apps", "/apps"),
    ("Workflows", "/workflows"),
)

#: "module:attribute" of async context managers ``(app) -> …`` entered while the server runs
#: (background work: the workflow scheduler).
LIFESPANS: tuple[str, ...] = (
    "iza.workflows.routes:lifespan",
)
