"""Errors of the agent workforce.

Definition errors are the user's to fix (a roster or catalog file), so they derive from
:class:`~iza.errors.InputError` and carry the file, the field and the reason. Run-time stops
(a limit reached, a budget spent) derive from :class:`~iza.errors.RuntimeFailure` and carry the
limit's name, so the mission record and the CLI can say exactly which guard fired.
"""

from __future__ import annotations

from iza.errors import InputError, NotFoundError, RuntimeFailure, UsageError

__all__ = [
    "AgentNotFound",
    "DefinitionError",
    "LimitExceeded",
    "MissionNotFound",
    "MissionStateError",
    "ModelOutputError",
    "ModelRequired",
    "ToolError",
    "ToolSpecError",
]


class DefinitionError(InputError):
    """A roster or service-catalog definition is invalid (names file, field and reason)."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        super().__init__(
            f"{file}: {field}: {reason}",
            fix=f"correct {field} in {file} (see `iza agents list` for the packaged defaults)",
        )
        self.file = file
        self.field = field
        self.reason = reason


class AgentNotFound(NotFoundError):
    """No agent or service with that id."""


class MissionNotFound(NotFoundError):
    """No mission with that id."""


class MissionStateError(UsageError):
    """The mission is not in a state that allows the requested action."""


class ModelRequired(UsageError):
    """The chosen service has no honest offline playbook and no model is configured."""


class LimitExceeded(RuntimeFailure):
    """A hard limit stopped an agent or a mission (``limit`` names which one)."""

    def __init__(self, limit: str, message: str, fix: str | None = None) -> None:
        super().__init__(message, fix=fix or f"raise the agents.{limit} setting or simplify the request")
        self.limit = limit


class ModelOutputError(RuntimeFailure):
    """The model kept answering with output that does not match the required structure."""


class ToolSpecError(UsageError):
    """A tool was declared wrongly (bad name, schema or permission); raised at construction."""


class ToolError(RuntimeFailure):
    """A tool could not do what the agent asked: goes back to the agent as an observation.

    Tools raise this for expected failures (bad arguments, a host not on the allowlist, an
    HTTP error, a path outside the workspace). Any other exception is a bug and propagates.
    """
