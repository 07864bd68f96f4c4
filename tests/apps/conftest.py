"""One wheel cache for every verification in the test session (and across sessions).

It lives in the repository's ``artifacts/`` folder (git-ignored): the first session fills it
with ``pip wheel`` from the package index, later ones install offline from it. A file lock in
:class:`WheelCache` lets both xdist workers share it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iza.apps import WheelCache


@pytest.fixture(scope="session")
def wheel_cache(artifacts_dir: Path) -> WheelCache:
    cache = WheelCache(artifacts_dir / "wheels")
    cache.ensure()
    return cache
