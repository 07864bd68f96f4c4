"""Verification of generated apps: real venvs, real pytest runs, real servers probed over HTTP.

Each of the nine blueprints is generated and verified once; two broken apps show that a failing
app is reported with its failing step and not delivered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iza.apps import BLUEPRINTS, WheelCache, generate_app, parse_request, verify_app
from iza.apps._verify import STEPS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("blueprint", sorted(BLUEPRINTS))
def test_each_blueprint_is_generated_and_verified(blueprint: str, tmp_path: Path,
                                                  wheel_cache: WheelCache) -> None:
    spec = parse_request(BLUEPRINTS[blueprint].example)
    generate_app(spec, tmp_path / spec.slug)
    seen: list[tuple[str, str]] = []
    result = verify_app(spec, tmp_path / spec.slug, wheel_cache, lambda step, st: seen.append((step, st)))
    assert result.ok, result.as_dict()
    assert [s.name for s in result.steps] == list(STEPS)
    assert result.tests["passed"] >= 3 * len(spec.entities) + 1 and result.tests["failed"] == 0
    for e in spec.entities:
        assert result.probe[e.name]["ok"] is True
        assert result.probe[e.name]["gone"] == 404
    assert ("tests", "ok") in seen


def test_failing_tests_stop_delivery(tmp_path: Path, wheel_cache: WheelCache) -> None:
    spec = parse_request("notes app with tags")
    app = tmp_path / "broken"
    generate_app(spec, app)
    (app / "tests" / "test_broken.py").write_text("def test_broken():\n    assert 1 == 2\n")
    result = verify_app(spec, app, wheel_cache)
    assert not result.ok
    assert result.failed_step is not None and result.failed_step.name == "tests"
    assert result.tests["failed"] == 1 and result.tests["passed"] > 0
    assert "test_broken" in result.failed_step.detail
    assert [s.name for s in result.steps][-1] == "tests"


def test_probe_catches_what_the_apps_own_tests_miss(tmp_path: Path, wheel_cache: WheelCache) -> None:
    """An app whose DELETE answers 204 but keeps the record fails at the probe step."""
    spec = parse_request("zorgblat tracker")
    app = tmp_path / "liar"
    generate_app(spec, app)
    db = app / "app" / "db.py"
    text = db.read_text()
    text = text.replace('f"DELETE FROM {q(entity[\'plural\'])} WHERE id = ?"',
                        'f"SELECT id FROM {q(entity[\'plural\'])} WHERE id = ?"')
    text = text.replace("return cur.rowcount > 0", "return True")
    assert "SELECT id FROM" in text
    db.write_text(text)
    (app / "tests" / "test_app.py").write_text("def test_nothing_useful():\n    assert True\n")
    result = verify_app(spec, app, wheel_cache)
    assert result.failed_step is not None and result.failed_step.name == "probe"
    assert "gone" in result.failed_step.detail


def test_pip_installs_when_uv_is_not_used(tmp_path: Path, wheel_cache: WheelCache) -> None:
    """apps.installer=pip: the path a plain `pip install iza-os` (without the apps extra) takes."""
    spec = parse_request("zorgblat tracker")
    generate_app(spec, tmp_path / "z")
    result = verify_app(spec, tmp_path / "z", wheel_cache, installer="pip")
    assert result.ok, result.as_dict()
    install = next(s for s in result.steps if s.name == "install")
    assert install.detail == "installed with pip"
    assert not (tmp_path / "z" / ".venv" / "bin" / "uv").exists()
