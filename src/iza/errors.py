"""Every error IZA raises on purpose derives from :class:`IzaError`.

The tree::

    IzaError
    ├── UsageError              the caller's to fix: bad settings, bad input, wrong call (CLI exit 2)
    │   ├── ConfigError         a setting or settings file is wrong
    │   ├── InputError          a file or argument given to a command is malformed
    │   ├── NotFoundError       a named thing (record, token, workflow…) does not exist
    │   └── MissingDependency   an optional package is not installed (names the pip command)
    └── RuntimeFailure          something failed while running (CLI exit 1)
        ├── StoreError          the database could not be reached or refused an operation
        ├── ProviderError       an LLM provider failed (defined in iza.llm, derives from this)
        ├── WorkflowError       a workflow could not run (defined in iza.workflows)
        └── WebhookError        an inbound webhook was rejected

Each error carries ``fix``: one sentence telling the user what to do next. The CLI prints
``error: <message>`` and, when present, ``fix: <fix>`` — never a traceback unless ``--debug``.
Errors carry data (``status_code``, ``path`` …) as attributes, not only text, so the web layer
can map them to one JSON error shape.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InputError",
    "IzaError",
    "MissingDependency",
    "NotFoundError",
    "RuntimeFailure",
    "StoreError",
    "UsageError",
    "WebhookError",
]


class IzaError(Exception):
    """Root of every error IZA raises deliberately."""

    #: HTTP status used when this error reaches the JSON API.
    status_code: int = 500
    #: CLI exit code.
    exit_code: int = 1

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return self.message


class UsageError(IzaError):
    """The caller's to fix: bad configuration, bad input or a wrong call."""

    status_code = 400
    exit_code = 2


class ConfigError(UsageError):
    """A setting, the settings file or the data home is wrong."""


class InputError(UsageError):
    """A file or argument given to a command is malformed."""


class NotFoundError(UsageError):
    """A named thing does not exist."""

    status_code = 404


class MissingDependency(UsageError):
    """An optional package is not installed; ``fix`` names the pip command."""

    def __init__(self, package: str, extra: str, *, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package {package!r}, which is not installed",
            fix=f"pip install 'iza-os[{extra}]'",
        )
        self.package = package
        self.extra = extra


class RuntimeFailure(IzaError):
    """Something failed while running: a service, a provider, a workflow step."""


class StoreError(RuntimeFailure):
    """The database could not be reached or refused an operation."""

    status_code = 503


class WebhookError(RuntimeFailure):
    """An inbound webhook was rejected (bad signature, stale timestamp, bad payload)."""

    status_code = 400
