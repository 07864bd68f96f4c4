"""n8n's AI nodes run on iza.llm and iza.memory, against fake vendor servers on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from wf_helpers import node
from wfai_helpers import fake_provider, lc, output, service, settings_for, workflow

from iza.llm.fakeservers import Reply
from iza.memory import open_store


def _last_user(body: dict[str, Any]) -> str:
    msgs = body.get("messages") or []
    users = [m for m in msgs if m.get("role") == "user"]
    content = users[-1]["content"] if users else ""
    return content if isinstance(content, str) else json.dumps(content)


def test_manual_trigger_chain_llm_with_openai_model(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        return Reply(text=f"  Subject for {_last_user(body)}  ")

    wf = workflow(
        [node("Start", "manualTrigger"),
         node("Data", "set", {"assignments": {"assignments": [
             {"name": "topic", "type": "string", "value": "bakery launch"}]}}, version=3.4),
         lc("Chain", "chainLlm", {"promptType": "define", "text": "=Write about {{ $json.topic }}",
                                  "messages": {"messageValues": [{"message": "You write subjects."}]}},
            version=1.6)],
        [(lc("OpenAI Chat Model", "lmChatOpenAi",
             {"model": {"__rl": True, "mode": "list", "value": "gpt-4o-mini"},
              "options": {"temperature": 0.2}}, version=1.2), "ai_languageModel", "Chain")],
    )
    with fake_provider("openai", script) as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert result.status == "success", result.error
    assert output(result, "Chain") == [{"text": "Subject for Write about bakery launch"}]
    body = server.requests[-1].body
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.2
    assert body["messages"][0] == {"role": "system", "content": "You write subjects."}
    assert body["messages"][-1]["content"] == "Write about bakery launch"


def test_chain_llm_before_v16_answers_in_response_text(tmp_path: Path) -> None:
    wf = workflow(
        [node("Start", "manualTrigger"), lc("Chain", "chainLlm", {"prompt": "=Say hi"}, version=1.2)],
        [(lc("Model", "lmChatOpenAi", {"model": "gpt-4o"}), "ai_languageModel", "Chain")],
    )
    with fake_provider("openai") as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert output(result, "Chain") == [{"response": {"text": "echo: Say hi"}}]
    assert server.requests[-1].body["model"] == "gpt-4o"


def _chat_agent(session_expr: str | None = None) -> dict[str, Any]:
    memory_params: dict[str, Any] = {"contextWindowLength": 2}
    if session_expr:
        memory_params |= {"sessionIdType": "customKey", "sessionKey": session_expr}
    return workflow(
        [lc("When chat message received", "chatTrigger", {"options": {}}, version=1.1),
         lc("AI Agent", "agent", {"options": {"systemMessage": "=You are Iza. Today is {{ 'Monday' }}."}},
            version=1.7)],
        [(lc("OpenAI Chat Model", "lmChatOpenAi", {"model": {"__rl": True, "value": "gpt-4o-mini"}},
             version=1.2), "ai_languageModel", "AI Agent"),
         (lc("Window Buffer Memory", "memoryBufferWindow", memory_params, version=1.3), "ai_memory",
          "AI Agent")],
        wf_id="wf-chat-1",
    )


def test_agent_window_memory_remembers_across_runs_per_session(tmp_path: Path) -> None:
    seen: list[list[dict[str, Any]]] = []

    def script(body: dict[str, Any]) -> Reply:
        seen.append(body["messages"])
        return Reply(text=f"reply #{len(seen)}")

    wf = _chat_agent()
    with fake_provider("openai", script) as (_server, env):
        settings = settings_for(tmp_path / "home", env)
        svc, store = service(settings)
        parsed = svc.parse(wf)
        first = svc.run(parsed, items=[{"json": {"sessionId": "s-1", "action": "sendMessage",
                                                  "chatInput": "My name is Ada."}}])[1]
        second = svc.run(parsed, items=[{"json": {"sessionId": "s-1", "chatInput": "What is my name?"}}])[1]
        other = svc.run(parsed, items=[{"json": {"sessionId": "s-2", "chatInput": "Who am I?"}}])[1]
        for _ in range(3):  # a window of 2 exchanges keeps only the latest four turns
            svc.run(parsed, items=[{"json": {"sessionId": "s-1", "chatInput": "more"}}])
        store.dispose()
    assert output(first, "AI Agent") == [{"output": "reply #1"}]
    assert output(second, "AI Agent") == [{"output": "reply #2"}]
    assert seen[0] == [{"role": "system", "content": "You are Iza. Today is Monday."},
                       {"role": "user", "content": "My name is Ada."}]
    assert seen[1][1:] == [{"role": "user", "content": "My name is Ada."},
                           {"role": "assistant", "content": "reply #1"},
                           {"role": "user", "content": "What is my name?"}]
    assert seen[2][1:] == [{"role": "user", "content": "Who am I?"}]  # another session: no history
    assert output(other, "AI Agent") == [{"output": "reply #3"}]
    assert len(seen[-1]) == 1 + 4 + 1 and seen[-1][1]["content"] == "more"
    # the turns live in the unified memory, one namespace per workflow and session
    mem = open_store(settings, embedder=None)
    turns = mem.list("wf-chat:wf-chat-1:s-1", kind="turn", limit=100)
    mem.close()
    assert len(turns) == 10 and {t.metadata["role"] for t in turns} == {"user", "assistant"}
    assert all(t.provenance["node"] == "AI Agent" for t in turns)


def test_memory_session_key_from_expression(tmp_path: Path) -> None:
    wf = _chat_agent("=user-{{ $json.userId }}")
    with fake_provider("openai") as (_server, env):
        settings = settings_for(tmp_path / "home", env)
        svc, store = service(settings)
        svc.run(svc.parse(wf), items=[{"json": {"userId": 7, "chatInput": "hello"}}])
        store.dispose()
    mem = open_store(settings, embedder=None)
    assert [t.text for t in reversed(mem.list("wf-chat:wf-chat-1:user-7", kind="turn"))] == [
        "hello", "echo: hello"]
    mem.close()


@pytest.mark.parametrize("schema_params", [
    {"jsonSchemaExample": '{\n  "subject": "",\n  "tags": ["a"]\n}'},
    {"schemaType": "manual", "inputSchema": json.dumps({
        "type": "object", "properties": {"subject": {"type": "string"},
                                         "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["subject", "tags"]})},
])
def test_structured_output_parser(tmp_path: Path, schema_params: dict[str, Any]) -> None:
    answers = iter(['{"output": {"subject": 5}}',  # wrong type: the orchestrator asks for a repair
                    '```json\n{"output": {"subject": "Hello Ada", "tags": ["greeting"]}}\n```'])

    def script(body: dict[str, Any]) -> Reply:
        return Reply(text=next(answers))

    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Agent", "agent", {"promptType": "define", "text": "Greet Ada", "hasOutputParser": True},
            version=1.7)],
        [(lc("Model", "lmChatOpenAi", {"model": "gpt-4o-mini"}), "ai_languageModel", "Agent"),
         (lc("Parser", "outputParserStructured", schema_params, version=1.2), "ai_outputParser", "Agent")],
    )
    with fake_provider("openai", script) as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert result.status == "success", result.error
    assert output(result, "Agent") == [{"output": {"subject": "Hello Ada", "tags": ["greeting"]}}]
    sent = server.requests[0].body["response_format"]["json_schema"]["schema"]
    assert sent["properties"]["output"]["properties"]["tags"]["type"] == "array"
    assert len(server.requests) == 2


@pytest.mark.parametrize(("kind", "type_", "params", "expected_model"), [
    ("anthropic", "lmChatAnthropic", {"model": "claude-haiku-4-5", "options": {"maxTokensToSample": 99}},
     "claude-haiku-4-5"),
    ("google", "lmChatGoogleGemini", {"modelName": "models/gemini-2.0-flash"}, "gemini-2.0-flash"),
    ("compat", "lmChatOllama", {"model": "llama3.2:latest"}, "llama3.2:latest"),
])
def test_each_chat_model_node_maps_to_its_provider(tmp_path: Path, kind: str, type_: str,
                                                   params: dict[str, Any], expected_model: str) -> None:
    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Chain", "chainLlm", {"promptType": "define", "text": "ping"}, version=1.7)],
        [(lc("Model", type_, params), "ai_languageModel", "Chain")],
    )
    with fake_provider(kind) as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert result.status == "success", result.error
    assert output(result, "Chain") == [{"text": "echo: ping"}]
    seen = server.requests[-1]
    assert expected_model in (seen.body.get("model") or seen.path)
    if kind == "anthropic":
        assert seen.body["max_tokens"] == 99


def test_agent_calls_the_calculator_tool(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        tool_msgs = [m for m in body["messages"] if m.get("role") == "tool"]
        if not tool_msgs:
            assert body["tools"][0]["function"]["name"] == "calculator"
            return Reply(tool_calls=[("calculator", {"input": "(17 + 4) * 2"})])
        return Reply(text=f"The answer is {tool_msgs[-1]['content']}")

    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Agent", "agent", {"promptType": "define", "text": "What is (17+4)*2?"}, version=1.8)],
        [(lc("Model", "lmChatOpenAi", {"model": "gpt-4o-mini"}), "ai_languageModel", "Agent"),
         (lc("Calculator", "toolCalculator"), "ai_tool", "Agent")],
    )
    with fake_provider("openai", script) as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert result.status == "success", result.error
    assert output(result, "Agent") == [{"output": "The answer is 42"}]
    assert len(server.requests) == 2


def test_openai_message_a_model_node(tmp_path: Path) -> None:
    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("OpenAI", "openAi", {"modelId": {"__rl": True, "value": "gpt-4o-mini"},
                                 "messages": {"values": [{"role": "system", "content": "Be brief"},
                                                         {"content": "=Summarise {{ 'this' }}"}]}},
            version=1.8)],
    )
    with fake_provider("openai") as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert result.status == "success", result.error
    out = output(result, "OpenAI")[0]
    assert out["message"] == {"role": "assistant", "content": "echo: Summarise this"}
    assert server.requests[-1].body["messages"][0] == {"role": "system", "content": "Be brief"}


def test_no_provider_fails_with_one_clear_error(tmp_path: Path) -> None:
    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Chain", "chainLlm", {"promptType": "define", "text": "hello"}, version=1.7)],
        [(lc("Model", "lmChatOpenAi", {"model": "gpt-4o-mini"}), "ai_languageModel", "Chain")],
    )
    svc, store = service(settings_for(tmp_path / "home", {}))
    exec_id, result = svc.run(svc.parse(wf))
    stored = svc.execution_output(exec_id)
    store.dispose()
    assert result.status == "error"
    assert result.error is not None and result.error["node"] == "Chain"
    assert "no LLM provider is configured" in result.error["message"]
    assert "Chain" not in {k for k, runs in result.run_data.items() if runs[0].get("data")}
    assert stored["data"]["resultData"]["error"]["name"] == "ProviderNotConfigured"


def test_provider_of_the_model_node_must_be_configured(tmp_path: Path) -> None:
    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Chain", "chainLlm", {"promptType": "define", "text": "hello"}, version=1.7)],
        [(lc("Claude", "lmChatAnthropic", {"model": "claude-haiku-4-5"}), "ai_languageModel", "Chain")],
    )
    with fake_provider("openai") as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert result.status == "error" and result.error is not None
    assert "'anthropic'" in result.error["message"] and "not configured" in result.error["message"]
    assert server.requests == []


def test_auto_prompt_needs_chat_input_and_sub_nodes_do_not_run_alone(tmp_path: Path) -> None:
    wf = workflow(
        [node("Start", "manualTrigger"), lc("Agent", "agent", {}, version=1.9)],
        [(lc("Model", "lmChatOpenAi", {}), "ai_languageModel", "Agent")],
    )
    with fake_provider("openai") as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        lone = workflow([node("Start", "manualTrigger"), lc("Model", "lmChatOpenAi", {})])
        _, alone = svc.run(svc.parse(lone))
        store.dispose()
    assert result.error is not None and result.error["message"] == "No prompt specified"
    assert "chatInput" in (result.error["description"] or "")
    assert alone.error is not None and "sub-node" in alone.error["message"]
    assert server.requests == []


def test_unsupported_tool_fails_before_any_model_call(tmp_path: Path) -> None:
    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Agent", "agent", {"promptType": "define", "text": "hi"}, version=1.7)],
        [(lc("Model", "lmChatOpenAi", {}), "ai_languageModel", "Agent"),
         (lc("Wiki", "toolWikipedia", {}), "ai_tool", "Agent")],
    )
    with fake_provider("openai") as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert result.error is not None and "toolWikipedia" in result.error["message"]
    assert server.requests == []


def test_a_workflow_without_trigger_starts_at_the_root_not_a_sub_node(tmp_path: Path) -> None:
    wf = workflow([lc("Chain", "chainLlm", {"promptType": "define", "text": "go"}, version=1.7)],
                  [(lc("Model", "lmChatOpenAi", {}), "ai_languageModel", "Chain")])
    wf["nodes"].reverse()  # the sub-node comes first in the file
    with fake_provider("openai") as (_server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        parsed = svc.parse(wf)
        _, result = svc.run(parsed)
        store.dispose()
    assert parsed.start_node().name == "Chain" and parsed.is_sub_node("Model")
    assert output(result, "Chain") == [{"text": "echo: go"}]


def test_agent_with_tools_and_parser_asks_once_more_for_the_schema(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        if "response_format" in body:
            assert "tools" not in body
            return Reply(text='{"output": {"answer": 42}}')
        if not any(m.get("role") == "tool" for m in body["messages"]):
            return Reply(tool_calls=[("calculator", {"input": "6*7"})])
        return Reply(text="It is 42")

    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Agent", "agent", {"promptType": "define", "text": "6 times 7?", "hasOutputParser": True},
            version=1.7)],
        [(lc("Model", "lmChatOpenAi", {}), "ai_languageModel", "Agent"),
         (lc("Calculator", "toolCalculator"), "ai_tool", "Agent"),
         (lc("Parser", "outputParserStructured", {"jsonSchemaExample": '{"answer": 1}'}, version=1.2),
          "ai_outputParser", "Agent")],
    )
    with fake_provider("openai", script) as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert output(result, "Agent") == [{"output": {"answer": 42}}]
    assert len(server.requests) == 3


def test_cli_runs_a_chat_workflow_with_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from iza.cli import cli

    path = tmp_path / "chat.json"
    path.write_text(json.dumps(_chat_agent()))
    with fake_provider("openai") as (_server, env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        res = CliRunner().invoke(cli, ["workflows", "run", str(path), "--json", "--input",
                                       '{"sessionId": "cli", "chatInput": "hello from the CLI"}'])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    agent = out["data"]["resultData"]["runData"]["AI Agent"][0]["data"]["main"][0][0]["json"]
    assert agent == {"output": "echo: hello from the CLI"}


def test_openai_node_with_a_base_url_goes_to_the_compat_server_or_says_how(tmp_path: Path) -> None:
    def wf_for(url: str) -> dict[str, Any]:
        return workflow(
            [node("Start", "manualTrigger"),
             lc("Chain", "chainLlm", {"promptType": "define", "text": "hi"}, version=1.7)],
            [(lc("DeepSeek", "lmChatOpenAi", {"model": "deepseek-chat", "options": {"baseURL": url}}),
              "ai_languageModel", "Chain")])

    with fake_provider("compat") as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, ok = svc.run(svc.parse(wf_for(env["IZA_OPENAI_COMPAT_BASE_URL"] + "/")))
        _, bad = svc.run(svc.parse(wf_for("https://api.deepseek.com/v1")))
        store.dispose()
    assert output(ok, "Chain") == [{"text": "echo: hi"}]
    assert server.requests[0].body["model"] == "deepseek-chat" and len(server.requests) == 1
    assert bad.error is not None and bad.error["parameter"] == "options.baseURL"
    assert bad.error["node"] == "DeepSeek" and "custom base URL" in bad.error["message"]
    assert "IZA_OPENAI_COMPAT_BASE_URL=https://api.deepseek.com/v1" in bad.error["description"]


def test_hosted_compatible_vendor_nodes_need_their_url_configured(tmp_path: Path) -> None:
    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Chain", "chainLlm", {"promptType": "define", "text": "hi"}, version=1.7)],
        [(lc("Groq", "lmChatGroq", {"model": "llama-3.3-70b-versatile"}), "ai_languageModel", "Chain")])
    with fake_provider("compat") as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        _, result = svc.run(svc.parse(wf))
        store.dispose()
    assert result.error is not None and result.error["node"] == "Groq"
    assert "IZA_OPENAI_COMPAT_BASE_URL=https://api.groq.com/openai/v1" in result.error["description"]
    assert server.requests == []
