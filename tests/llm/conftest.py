"""Fixtures for the LLM tests: a fake upstream per provider family, settings that point the
real SDKs at it, and an LLM whose sleeps are recorded instead of waited (Retry-After of 2 s is
asserted, not slept)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from iza.kernel.config import Settings, load
from iza.kernel.home import ensure_home
from iza.kernel.store import Store
from iza.llm._limits import reset_states
from iza.llm.fakeservers import FakeAnthropic, FakeGoogle, FakeOpenAI, FakeServer

FAMILIES = {
    # family: (server class, env builder, model)
    "openai": (
        FakeOpenAI,
        lambda url: {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": url},
        "openai:gpt-4.1-mini",
    ),
    "anthropic": (
        FakeAnthropic,
        lambda url: {"ANTHROPIC_API_KEY": "ak-test", "ANTHROPIC_BASE_URL": url},
        "anthropic:claude-haiku-4-5",
    ),
    "google": (
        FakeGoogle,
        lambda url: {"GEMINI_API_KEY": "g-test", "IZA_LLM_GOOGLE_BASE_URL": url},
        "google:gemini-2.5-flash",
    ),
    "compat": (FakeOpenAI, lambda url: {"IZA_OPENAI_COMPAT_BASE_URL": url}, "compat:llama3.2"),
}


@pytest.fixture(autouse=True)
def _fresh_deployment_state() -> Iterator[None]:
    """Deployment state (breakers, limits) is process-wide by design; each test starts clean."""
    reset_states()
    yield
    reset_states()


@dataclass
class Sleeps:
    """The router's sleep and clock: sleeps are recorded and advance a virtual clock, so a
    Retry-After of 2 s is asserted without waiting 2 s."""

    calls: list[float] = field(default_factory=list)
    offset: float = 0.0

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.offset += seconds

    def clock(self) -> float:
        return time.monotonic() + self.offset


@dataclass
class Upstream:
    family: str
    server: FakeServer
    model: str
    env: dict[str, str]
    home: Path

    def settings(self, **extra: str) -> Settings:
        s = load(self.home, environ={**self.env, "IZA_LLM_TIMEOUT_S": "0.5", **extra})
        ensure_home(s)
        return s


@pytest.fixture(params=list(FAMILIES))
def upstream(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Upstream]:
    cls, env, model = FAMILIES[request.param]
    server = cls().start()
    try:
        yield Upstream(request.param, server, model, env(server.sdk_base_url), tmp_path / "home")  # type: ignore[attr-defined]
    finally:
        server.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def llm_store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'llm.db'}")
    s.migrate()
    yield s
    s.dispose()
