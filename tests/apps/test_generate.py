"""Rendering specs into app files: every blueprint, without installing anything."""

from __future__ import annotations

import ast
import re
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iza.apps import BLUEPRINTS, PINS, generate_app, parse_request, render_files
from iza.apps._examples import EXAMPLE_REQUESTS
from iza.apps._generate import samples
from iza.apps._lexicon import ENTITIES
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


def _check_models(request: str) -> None:
    """The generated pydantic models accept the samples the tests and the probe send."""
    spec = parse_request(request)
    files = render_files(spec)
    module = types.ModuleType("iza_generated_models")
    sys.modules[module.__name__] = module  # pydantic resolves annotations through sys.modules
    try:
        exec(compile(files["app/models.py"], "app/models.py", "exec"), module.__dict__)  # noqa: S102
    finally:
        del sys.modules[module.__name__]
    namespace = module.__dict__
    data = samples(spec)
    for e in spec.entities:
        model_in, model_out = namespace["MODELS"][e.name]
        for which in ("create", "update"):
            body = dict(data[e.name][which])
            for f in e.fields:
                if f.type == "ref":
                    body[f.name] = 1
            parsed = model_in(**body)
            assert model_out(**parsed.model_dump(), id=1).id == 1
        with pytest.raises(ValueError):
            model_in(**{**data[e.name]["create"], "unexpected_field": 1})


@pytest.mark.parametrize("request_text", EXAMPLE_REQUESTS)
def test_generated_models_accept_the_samples(request_text: str) -> None:
    _check_models(request_text)


@settings(max_examples=40, deadline=None)
@given(main=st.sampled_from(sorted(ENTITIES)),
       extras=st.lists(st.sampled_from(sorted(ENTITIES) + ["tags", "due dates", "status", "prices", "emails",
                                                           "photos", "login", "AI", "birthdays", "wobbles"]),
                       max_size=4))
def test_models_for_any_lexicon_request(main: str, extras: list[str]) -> None:
    _check_models(f"{main.replace('_', ' ')} tracker with {' and '.join(extras) or 'notes'}")
