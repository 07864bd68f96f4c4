"""The one table of settings: name, default, type and help, grouped by subsystem.

Everything that reads a setting, validates ``iza.toml``, prints ``iza config show`` or documents
configuration (``docs/configuration.md``, checked by a test) reads this table. To add a setting,
add a row in your subsystem's block; the environment name is derived (``server.port`` →
``IZA_SERVER_PORT``) unless ``env`` names others.

Secrets are a separate list: they are read from the environment only, never from ``iza.toml``,
and every place that shows them redacts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SECRETS", "SETTINGS", "Secret", "Setting"]


@dataclass(frozen=True)
class Setting:
    """One setting: ``name`` is ``section.key`` as written in ``iza.toml``."""

    name: str
    default: Any
    help: str
    type: type = str
    choices: tuple[str, ...] | None = None
    #: Extra environment names read after ``IZA_<NAME>`` (e.g. vendor-standard variables).
    env: tuple[str, ...] = ()

    @property
    def env_name(self) -> str:
        return "IZA_" + self.name.upper().replace(".", "_")


@dataclass(frozen=True)
class Secret:
    """A secret read from the environment only, under its standard name."""

    env: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    # ---- kernel -----------------------------------------------------------------------------
    Setting("database_url", "", "SQLAlchemy URL of the store; empty means SQLite at "
            "$IZA_HOME/data/iza.db. postgresql://… needs the 'postgres' extra.",
            env=("IZA_DATABASE_URL",)),
    Setting("log_level", "WARNING", "Level of diagnostic logs written to $IZA_HOME/logs/iza.log.",
            choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    Setting("executor", "inprocess", "Where tasks and workflow steps run.",
            choices=("inprocess", "celery")),
    Setting("celery.broker_url", "redis://127.0.0.1:6379/0", "Celery broker when executor=celery."),
    # ---- interfaces (web) ------------------------------------------------------------------
    Setting("server.host", "127.0.0.1", "Address `iza serve` binds to; loopback unless told "
            "otherwise."),
    Setting("server.port", 8765, "Port `iza serve` listens on.", type=int),
    Setting("server.session_hours", 12, "How long a dashboard login lasts, in hours.", type=int),
    # ---- memory ---------------------------------------------------------------------------
    Setting("memory.backend", "sqlite", "Memory backend.", choices=("sqlite", "chroma", "mem0")),
    Setting("memory.chroma_url", "http://127.0.0.1:8000", "Chroma server for memory.backend=chroma."),
    Setting("memory.embedder", "auto", "Embedding model for memory vectors: 'minilm' (local "
            "all-MiniLM-L6-v2, needs the 'embeddings' extra), 'none' (BM25 only) or 'auto' (minilm "
            "when installed, else none).", choices=("auto", "minilm", "none")),
    # ---- llm ------------------------------------------------------------------------------
    Setting("llm.default_model", "", "Model alias or 'provider:model' used when none is given; "
            "empty picks the first configured provider's default."),
    Setting("llm.openai_base_url", "", "OpenAI API base URL.", env=("OPENAI_BASE_URL",)),
    Setting("llm.anthropic_base_url", "", "Anthropic API base URL.", env=("ANTHROPIC_BASE_URL",)),
    Setting("llm.openai_compat_base_url", "", "Base URL of a local OpenAI-compatible server "
            "(Ollama, vLLM, llama.cpp, LM Studio).", env=("IZA_OPENAI_COMPAT_BASE_URL",)),
    Setting("llm.google_base_url", "", "Google Gemini API base URL (empty: Google's own)."),
    Setting("llm.openai_compat_model", "llama3.2", "Default model on the OpenAI-compatible server."),
    Setting("llm.aliases", "", "Extra or replacement model aliases: 'name=provider:model,provider:model;"
            "name2=…' (ordered; the built-ins are fast, cheap, smart, code)."),
    Setting("llm.strategy", "fallback", "How the router orders an alias's deployments.",
            choices=("fallback", "least-busy", "lowest-latency", "lowest-cost")),
    Setting("llm.timeout_s", 60.0, "Per-attempt timeout of an LLM call, in seconds.", type=float),
    Setting("llm.max_retries", 3, "Retries of one call across its deployments (SDK retries are off).",
            type=int),
    Setting("llm.cooldown_s", 30.0, "How long a deployment rests after repeated failures, in seconds.",
            type=float),
    Setting("llm.rate_limits", "", "Per-deployment limits: 'provider:model=RPM/TPM;…' (0 = none); "
            "lowered automatically when the provider answers 429."),
    Setting("llm.budget_usd", 0.0, "Global LLM budget per UTC calendar month in USD (0 = none).",
            type=float),
    Setting("llm.journal_async", False, "Write the LLM run journal from a background thread in batches "
            "(faster under concurrency; rows of the last few milliseconds can be lost in a crash).",
            type=bool),
    Setting("llm.cache_ttl_s", 0, "Exact-match response cache lifetime in seconds (0 = off).", type=int),
    Setting("llm.prices_file", "", "JSON price table overriding the packaged one "
            "($IZA_HOME/llm_prices.json is read too)."),
    Setting("llm.max_output_tokens", 1024, "Output tokens assumed for a call's budget check when "
            "max_tokens is not given.", type=int),
    # ---- agents ---------------------------------------------------------------------------
    Setting("agents.max_steps", 8, "Most turns one agent may take on one task before it is stopped.",
            type=int),
    Setting("agents.max_depth", 3, "Deepest level of the mission task tree (mission = 0).", type=int),
    Setting("agents.max_tool_repeats", 2, "Most calls of one tool with identical arguments within "
            "one task.", type=int),
    Setting("agents.wall_clock_seconds", 1800, "Longest a mission may run, in seconds.", type=int),
    Setting("agents.mission_budget_micros", 2000000, "Model spend allowed per mission, in USD "
            "millionths (2000000 = $2.00).", type=int),
    Setting("agents.max_attempts", 2, "Attempts per task before it counts as failed.", type=int),
    Setting("agents.max_queue", 2, "Tasks that may wait on a busy worker before new work waits "
            "for a free one (back-pressure).", type=int),
    Setting("agents.http_allowlist", "", "Comma-separated hosts (host or host:port) the http_get "
            "tool may fetch from; empty allows none."),
    Setting("agents.http_timeout", 10.0, "Timeout of the http_get tool, in seconds.", type=float),
    Setting("agents.parallel_items", 1, "Work items of one objective run at the same time (in "
            "threads); 1 runs them one after another.", type=int),
    Setting("agents.approval_above_minor", 10000, "A tool call spending more than this "
            "(its amount_minor argument, minor units) waits for a person's approval.", type=int),
    Setting("agents.celery_queue", "iza-agents", "Celery queue missions are sent to when "
            "executor=celery."),
    Setting("agents.deliver_paid_orders", False, "Start the delivering mission when an order "
            "is paid (order.paid), in `iza serve` and the CLI commands that mark orders paid.",
            type=bool),
    Setting("agents.memory", "lexical", "Where agents keep results and mail: 'lexical' (iza.memory, "
            "BM25 search, no embedding model loaded), 'hybrid' (iza.memory with memory.embedder "
            "vectors) or 'tables' (the workforce's own tables, the old default).",
            choices=("lexical", "hybrid", "tables")),
    # ---- workflows ------------------------------------------------------------------------
    Setting("workflows.timezone", "America/New_York", "Default time zone of workflow expressions "
            "($now, DateTime) when a workflow sets none; n8n's GENERIC_TIMEZONE default."),
    Setting("workflows.code_timeout_s", 10.0, "Time limit of one Code node or expression call, in "
            "seconds.", type=float),
    Setting("workflows.code_memory_mb", 256, "Heap limit of the JavaScript sandbox, in MiB.", type=int),
    Setting("workflows.scheduler", True, "Run the workflow scheduler inside `iza serve`: schedule "
            "triggers of active workflows fire, waiting executions resume when due. With several "
            "servers on one store, only the holder of the scheduler lease fires.", type=bool),
    Setting("workflows.scheduler_tick_s", 1.0, "How often the scheduler looks for due triggers, in "
            "seconds.", type=float),
    Setting("workflows.scheduler_lease_s", 15.0, "Time-to-live of the scheduler lease: with several "
            "servers on one store only the lease holder fires schedules; another takes over this many "
            "seconds after it dies.", type=float),
    Setting("workflows.executor", "inline", "Where triggered and queued workflow executions run: "
            "'inline' (threads of the process that triggered them) or 'celery' (workers).",
            choices=("inline", "celery")),
    Setting("workflows.celery_queue", "iza-workflows", "Celery queue workflow executions are sent "
            "to when workflows.executor=celery or `iza workflows run --queue`."),
    Setting("workflows.event_triggers", True, "Start active workflows whose IZA Event Trigger "
            "matches a domain event published in this process (`iza serve`, CLI commands).",
            type=bool),
    Setting("workflows.smtp_host", "", "SMTP server of the Send Email node (empty: sending mail fails "
            "with a message saying to set it)."),
    Setting("workflows.smtp_port", 587, "SMTP server port of the Send Email node.", type=int),
    Setting("workflows.smtp_user", "", "SMTP login of the Send Email node (empty: no login); the "
            "password is the IZA_SMTP_PASSWORD secret."),
    Setting("workflows.smtp_security", "starttls", "How the Send Email node secures its SMTP "
            "connection: starttls, tls (implicit, port 465) or none.", choices=("starttls", "tls", "none")),
    # ---- business -------------------------------------------------------------------------
    Setting("business.timezone", "UTC", "Time zone for month boundaries in revenue reports."),
    Setting("stripe.api_base", "", "Stripe API base URL (empty: Stripe's own)."),
    # ---- apps / monitor -------------------------------------------------------------------
    Setting("apps.wheel_cache", "", "Folder of wheels that generated apps install from offline; empty "
            "means $IZA_HOME/cache/wheels (filled once with `pip wheel`)."),
    Setting("apps.installer", "auto", "How generated apps are installed into their venv: uv (about 1 s, "
            "the 'apps' extra), pip (several seconds) or auto (uv when installed).",
            choices=("auto", "uv", "pip")),
    Setting("apps.planner", "auto", "Who writes an instant app's spec: auto (the apps manager agent through "
            "the LLM when a provider is configured, else the offline parser) or offline (always the "
            "parser).", choices=("auto", "offline")),
)

SECRETS: tuple[Secret, ...] = (
    Secret("OPENAI_API_KEY", "OpenAI API key."),
    Secret("ANTHROPIC_API_KEY", "Anthropic API key."),
    Secret("GEMINI_API_KEY", "Google Gemini API key."),
    Secret("GOOGLE_API_KEY", "Google API key (used when GEMINI_API_KEY is not set)."),
    Secret("IZA_OPENAI_COMPAT_API_KEY", "API key for the local OpenAI-compatible server, if any."),
    Secret("IZA_SMTP_PASSWORD", "Password of workflows.smtp_user for the Send Email node."),
    Secret("STRIPE_API_KEY", "Stripe secret key (sk_…)."),
    Secret("STRIPE_WEBHOOK_SECRET", "Stripe webhook signing secret(s), comma-separated."),
    Secret("IZA_SECRET_KEY", "Signs dashboard sessions; default: a key generated in the data home."),
)
