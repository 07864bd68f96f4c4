"""Business fixtures: the real web app on a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from biz_helpers import Hook, business_settings


@pytest.fixture
def hook(home: Path, db_url: str) -> Iterator[Hook]:
    h = Hook(business_settings(home, db_url))
    yield h
    h.store.dispose()
