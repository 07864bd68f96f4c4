"""Fixtures for the workforce: a workforce on each store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from iza.agents import Limits, Workforce
from iza.kernel.config import Settings
from iza.kernel.store import Store


@pytest.fixture
def make_wf(settings: Settings, store: Store) -> Callable[..., Workforce]:
    def make(model: Any = None, **limits: int) -> Workforce:
        return Workforce.from_settings(settings, store, model=model, limits=Limits(**limits))

    return make
