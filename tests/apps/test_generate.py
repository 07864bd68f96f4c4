"""Rendering specs into app files: every blueprint, without installing anything."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from iza.apps import BLUEPRINTS, PINS, generate_app, parse_request, render_files
from iza.errors import InputError

BLUEPRINT_REQUESTS = {name: bp.example for name, bp in BLUEPRINTS.items()}


def test_every_blueprint_has_an_example_that_selects_it() -> None:
    assert len(BLUEPRINTS) >= 8
    for name, example in BLUEPRINT_REQUESTS.items():
        assert parse_request(example).blueprint == name, example


@pytest.mark.parametrize("blueprint", sorted(BLUEPRINTS))
def test_rendered_app_is_complete_python(blueprint: str) -> None:
    spec = parse_request(BLUEPRINT_REQUESTS[blueprint])
    files = render_files(spec)
    for required in ("app/main.py", "app/models.py", "app/schema.py", "app/db.py", "tests/test_app.py",
                     "README.md", "requirements.txt", "iza_app.json", "app/templates/list.html"):
        assert required in files
    for path, text in files.items():
        if path.endswith(".py"):
            ast.parse(text, filename=path)
    for e in spec.entities:
        assert f"def test_{e.name}_api_create_read_update_delete" in files["tests/test_app.py"]
        cls = "".join(p.capitalize() for p in e.name.split("_"))
        assert f"class {cls}In(BaseModel)" in files["app/models.py"]
    assert ("app/chat.py" in files) == (blueprint == "chat")


def test_requirements_are_pinned_and_readme_has_two_commands() -> None:
    files = render_files(parse_request("todo app with AI"))
    reqs = [ln for ln in files["requirements.txt"].splitlines() if ln and not ln.startswith("#")]
    assert reqs == [f"{n}=={v}" for n, v in PINS]
    assert all(re.fullmatch(r"[a-z0-9-]+==\d+(\.\d+)+", r) for r in reqs)
    block = files["README.md"].split("```")[1].strip().splitlines()
    assert len(block) == 2 and "pip install -r requirements.txt" in block[0] and "uvicorn" in block[1]
    assert "APP_AI_BASE_URL" in files["README.md"]


def test_generate_never_overwrites(tmp_path: Path) -> None:
    spec = parse_request("notes app with tags")
    app = generate_app(spec, tmp_path / "notes")
    assert (tmp_path / "notes" / "app" / "main.py").is_file()
    assert "iza_app.json" in app.files
    before = (tmp_path / "notes" / "README.md").read_text()
    with pytest.raises(InputError, match="already exists") as info:
        generate_app(parse_request("todo app"), tmp_path / "notes")
    assert info.value.fix
    assert (tmp_path / "notes" / "README.md").read_text() == before
