"""Domain events the workforce publishes (delivered through ``iza.kernel.events``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from iza.kernel.events import Event

__all__ = [
    "MissionAwaitingApproval",
    "MissionCancelled",
    "MissionCompleted",
    "MissionCreated",
    "MissionFailed",
    "MissionResumed",
]


@dataclass(frozen=True)
class MissionCreated(Event):
    name: ClassVar[str] = "mission.created"
    mission_id: str
    service_id: str
    mode: str


@dataclass(frozen=True)
class MissionCompleted(Event):
    name: ClassVar[str] = "mission.completed"
    mission_id: str
    service_id: str
    mode: str
    cost_micros: int


@dataclass(frozen=True)
class MissionFailed(Event):
    name: ClassVar[str] = "mission.failed"
    mission_id: str
    reason: str


@dataclass(frozen=True)
class MissionCancelled(Event):
    name: ClassVar[str] = "mission.cancelled"
    mission_id: str
    reason: str


@dataclass(frozen=True)
class MissionAwaitingApproval(Event):
    name: ClassVar[str] = "mission.awaiting_approval"
    mission_id: str
    task_id: str
    reason: str


@dataclass(frozen=True)
class MissionResumed(Event):
    name: ClassVar[str] = "mission.resumed"
    mission_id: str

