"""The public surface others depend on: names, import weight, layering, the fake, schemas."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iza.llm as llm
from iza.errors import InputError
from iza.kernel.config import load
from iza.llm import LLM, CallContext, FakeProvider, Message, ProviderNotConfigured, Tool, ToolCall
from iza.llm._messages import ChatRequest
from iza.llm._schema import extract_json, validate
from iza.llm.fake import sample_for_schema

SRC = Path(llm.__file__).parent


def test_all_is_sorted_and_complete():
    assert list(llm.__all__) == sorted(llm.__all__)
    typing_only = {"annotations", "Any", "Iterator", "TYPE_CHECKING"}
    public = {
        n
        for n, v in vars(llm).items()
        if not n.startswith("_") and n not in typing_only and not isinstance(v, types.ModuleType)
    }
    assert public <= set(llm.__all__)
    for name in llm.__all__:
        assert getattr(llm, name) is not None


def test_import_is_light():
    code = (
        "import sys, iza.llm; heavy = [m for m in ('openai', 'anthropic', 'google.genai', 'sqlalchemy', "
        "'httpx') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_llm_imports_only_kernel_and_errors():
    allowed = ("iza.kernel", "iza.errors", "iza.llm")
    for path in SRC.rglob("*.py"):
        if path.name in ("cli.py", "routes.py"):  # interface glue, as developing.md prescribes
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("iza"):
                assert node.module.startswith(allowed), f"{path}: imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("iza") or alias.name.startswith(allowed), path


def test_modules_stay_small():
    for path in SRC.rglob("*.py"):
        assert len(path.read_text().splitlines()) < 600, path


def offline(tmp_path):
    return load(tmp_path / "home", environ={})


def test_offline_call_raises_provider_not_configured(tmp_path):
    with pytest.raises(ProviderNotConfigured) as info:
        llm.chat(offline(tmp_path), "hello")
    assert "OPENAI_API_KEY" in (info.value.fix or "")
    assert info.value.exit_code == 2


def test_fake_default_calls_every_tool_once_then_answers(tmp_path):
    tools = [
        Tool("search", "s", {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}),
        Tool("count", "c", {"type": "object", "properties": {"n": {"type": "integer"}}}),
    ]
    fake = FakeProvider()
    agent = LLM(offline(tmp_path), providers=[fake], journal=False)
    first = agent.chat("go", tools=tools)
    assert [(c.name, c.arguments) for c in first.tool_calls] == [
        ("search", {"q": "text"}),
        ("count", {"n": 1}),
    ]
    msgs = [Message.user("go"), first.message()] + [
        Message.tool(c.id, f"result of {c.name}") for c in first.tool_calls
    ]
    second = agent.chat(msgs, tools=tools)
    assert not second.tool_calls
    assert second.content == "done: result of search; result of count"
    assert (second.provider, len(fake.calls)) == ("fake", 2)


def test_fake_script_and_schema(tmp_path):
    schema = {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "items": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        },
        "required": ["ok", "items"],
    }
    agent = LLM(offline(tmp_path), providers=[FakeProvider()], journal=False)
    r = agent.chat("structured please", response_schema=schema)
    assert r.parsed == {"ok": True, "items": ["text", "text"]}
    scripted = LLM(
        offline(tmp_path),
        providers=[
            FakeProvider(lambda msgs: Message.assistant("", [ToolCall("c1", "act", {"x": msgs[-1].content})]))
        ],
        journal=False,
    )
    assert scripted.chat("hey").tool_calls == (ToolCall("c1", "act", {"x": "hey"}),)


def test_fake_streams_through_the_router(tmp_path, llm_store):
    agent = LLM(offline(tmp_path), store=llm_store, providers=[FakeProvider(lambda m: "a b c")])
    events = list(agent.stream("x", context=CallContext(agent="t")))
    assert "".join(e.delta for e in events) == "a b c" and events[-1].result.content == "a b c"


def test_messages_accept_dicts_and_strings():
    req = llm.ChatRequest(
        llm._messages.as_messages(
            [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "u"},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"id": "1", "name": "f", "arguments": {"a": 1}}],
                },
                {"role": "tool", "tool_call_id": "1", "content": "r"},
            ]
        )
    )
    assert [m.role for m in req.messages] == ["system", "user", "assistant", "tool"]
    assert req.messages[2].tool_calls[0].arguments == {"a": 1}


def test_fingerprint_is_stable_and_model_sensitive():
    a = ChatRequest((Message.user("x"),))
    assert a.fingerprint("fast") == ChatRequest((Message.user("x"),)).fingerprint("fast")
    assert a.fingerprint("fast") != a.fingerprint("smart")
    assert a.fingerprint("fast") != ChatRequest((Message.user("y"),)).fingerprint("fast")


@pytest.mark.parametrize(
    ("value", "schema", "problem"),
    [
        ({"a": 1}, {"type": "object", "required": ["b"]}, "missing required property 'b'"),
        ({"a": "x"}, {"type": "object", "properties": {"a": {"type": "integer"}}}, "$.a: expected integer"),
        ([1, "2"], {"type": "array", "items": {"type": "integer"}}, "$[1]: expected integer"),
        ("z", {"enum": ["x", "y"]}, "is not one of"),
        (True, {"type": "integer"}, "expected integer"),
        (
            {"a": 1, "b": 2},
            {"type": "object", "properties": {"a": {}}, "additionalProperties": False},
            "unexpected",
        ),
        (5, {"type": "integer", "maximum": 3}, "above maximum"),
    ],
)
def test_validate_names_the_problem(value, schema, problem):
    assert any(problem in p for p in validate(value, schema))


def test_extract_json_tolerates_fences():
    assert extract_json('```json\n{"a": 1}\n```') == {"a": 1}
    with pytest.raises(ValueError):
        extract_json("not json")


_leaf = st.sampled_from(
    [{"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}, {"enum": ["a", "b"]}]
)
_schema = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(
            lambda items, n: {"type": "array", "items": items, "minItems": n}, inner, st.integers(0, 3)
        ),
        st.dictionaries(st.text("abc", min_size=1, max_size=3), inner, max_size=3).map(
            lambda props: {"type": "object", "properties": props, "required": sorted(props)}
        ),
    ),
    max_leaves=8,
)


@given(_schema)
def test_the_fake_always_satisfies_the_schema_it_is_given(schema):
    value = sample_for_schema(schema)
    assert validate(json.loads(json.dumps(value)), schema) == []


def test_fake_embeddings_are_deterministic_unit_vectors(tmp_path):
    agent = LLM(offline(tmp_path), providers=[FakeProvider()], journal=False)
    a, b = agent.embed(["same", "other"]).vectors
    assert a == agent.embed(["same"]).vectors[0] and a != b
    assert abs(sum(x * x for x in a) - 1.0) < 1e-9 and len(a) == 16


def test_other_packages_message_objects_tools_and_metadata_are_accepted(tmp_path, llm_store):
    """Agents keep their own message dataclass and tool dicts; the LLM takes them as they are."""
    from dataclasses import dataclass as dc

    @dc(frozen=True)
    class TheirCall:
        id: str
        name: str
        arguments: dict

    @dc(frozen=True)
    class TheirMessage:
        role: str
        content: str
        tool_calls: tuple = ()
        tool_call_id: str | None = None
        name: str | None = None

    fake = FakeProvider(lambda msgs: f"{len(msgs)} messages, last from {msgs[-1].role}")
    agent = LLM(offline(tmp_path), store=llm_store, providers=[fake])
    history = [
        TheirMessage("user", "go"),
        TheirMessage("assistant", "", (TheirCall("c1", "search", {"q": 1}),)),
        TheirMessage("tool", "found", tool_call_id="c1"),
    ]
    tool = {"name": "search", "description": "find", "parameters": {"type": "object", "properties": {}}}
    r = agent.chat(history, tools=[tool], context={"mission_id": "m9", "agent_id": "w1", "task": "t"})
    assert r.content == "3 messages, last from tool"
    assert fake.calls[-1][1].messages[1].tool_calls == (ToolCall("c1", "search", {"q": 1}),)
    assert fake.calls[-1][1].tools == (Tool("search", "find", {"type": "object", "properties": {}}),)
    [row] = llm.usage(llm_store, by="mission")
    assert row["mission"] == "m9"
    with pytest.raises(InputError, match="role 'robot'"):
        agent.chat([TheirMessage("robot", "beep")])
