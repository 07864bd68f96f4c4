"""n8n's task chains (summarise, extract, classify, sentiment) and the workflow tool, on fakes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wf_helpers import node
from wfai_helpers import fake_provider, lc, output, service, settings_for, workflow

from iza.llm.fakeservers import Reply
from iza.workflows.nodes.langchain_chains import chunks, document_text

MODEL = lc("Model", "lmChatOpenAi", {"model": "gpt-4o-mini"}, version=1.2)


def _run(tmp_path: Path, wf: dict[str, Any], script: Any, items: list[dict[str, Any]] | None = None
         ) -> tuple[Any, list[dict[str, Any]]]:
    with fake_provider("openai", script) as (server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        result = svc.run(svc.parse(wf), items=items)[1]
        store.dispose()
    return result, [r.body for r in server.requests]


def _user(body: dict[str, Any]) -> str:
    return str([m for m in body["messages"] if m["role"] == "user"][-1]["content"])


def test_chunks_cover_the_text_with_overlap() -> None:
    text = " ".join(f"word{i}" for i in range(600))
    parts = chunks(text, 500, 100)
    assert len(parts) > 1 and all(len(p) <= 500 for p in parts)
    assert parts[0].startswith("word0 ") and parts[-1].endswith("word599")
    assert parts[1].split()[0] in parts[0]  # each piece starts inside the previous one
    assert chunks("short", 1000, 200) == ["short"]
    assert document_text({"a": "x", "b": {"c": ["y", 3]}, "d": None}) == "x\ny\n3"


def test_summarization_map_reduce_over_chunks(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        text = _user(body)
        return Reply(text="FINAL" if text.startswith("Combine") else f"part-{len(text)}")

    long_text = "\n\n".join(f"Paragraph {i}. " + "lorem ipsum " * 30 for i in range(6))
    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Summarize", "chainSummarization",
            {"chunkSize": 800, "chunkOverlap": 50, "options": {"summarizationMethodAndPrompts": {
                "values": {"combineMapPrompt": "Summarise: {text}", "prompt": "Combine these:\n{text}"}}}},
            version=2)],
        [(MODEL, "ai_languageModel", "Summarize")],
    )
    result, bodies = _run(tmp_path, wf, script, items=[{"json": {"doc": long_text}}])
    assert result.status == "success", result.error
    assert output(result, "Summarize") == [{"response": {"text": "FINAL"}}]
    maps = [b for b in bodies if _user(b).startswith("Summarise: ")]
    assert len(maps) == len(chunks(long_text, 800, 50)) > 1
    combine = _user(bodies[-1])
    assert all(f"part-{len(_user(m))}" in combine for m in maps)


def test_summarization_default_prompt_single_chunk(tmp_path: Path) -> None:
    wf = workflow([node("Start", "manualTrigger"),
                   lc("Sum", "chainSummarization", {"options": {}}, version=2)],
                  [(MODEL, "ai_languageModel", "Sum")])
    result, bodies = _run(tmp_path, wf, lambda b: Reply(text=" short "),
                          items=[{"json": {"t": "Ada met Bo."}}])
    assert output(result, "Sum") == [{"response": {"text": "short"}}]
    assert len(bodies) == 1 and '"Ada met Bo."' in _user(bodies[0]) and "CONCISE SUMMARY" in _user(bodies[0])


def test_information_extractor_from_attributes(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        schema = body["response_format"]["json_schema"]["schema"]
        assert schema["properties"]["age"] == {"type": "number", "description": "age in years"}
        assert schema["required"] == ["name"]
        return Reply(text='{"name": "Ada", "age": 36}')

    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Extract", "informationExtractor",
            {"text": "={{ $json.bio }}", "attributes": {"attributes": [
                {"name": "name", "required": True},
                {"name": "age", "type": "number", "description": "age in years"}]}})],
        [(MODEL, "ai_languageModel", "Extract")],
    )
    result, bodies = _run(tmp_path, wf, script, items=[{"json": {"bio": "Ada Lovelace, 36, mathematician"}}])
    assert result.status == "success", result.error
    assert output(result, "Extract") == [{"output": {"name": "Ada", "age": 36}}]
    assert bodies[0]["messages"][0]["content"].startswith("You are an expert extraction algorithm.")
    assert _user(bodies[0]) == "Ada Lovelace, 36, mathematician"


def test_text_classifier_routes_items_to_category_outputs(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        text = _user(body)
        return Reply(text=json.dumps({"billing": "invoice" in text, "support": "broken" in text}))

    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Classify", "textClassifier", {
             "inputText": "={{ $json.msg }}", "options": {"fallback": "other"},
             "categories": {"categories": [{"category": "billing", "description": "money"},
                                           {"category": "support"}]}})],
        [(MODEL, "ai_languageModel", "Classify")],
    )
    items = [{"json": {"msg": "where is my invoice"}}, {"json": {"msg": "app is broken"}},
             {"json": {"msg": "hello there"}}]
    result, _ = _run(tmp_path, wf, script, items=items)
    assert result.status == "success", result.error
    outs = result.run_data["Classify"][0]["data"]["main"]
    assert [[i["json"]["msg"] for i in o] for o in outs] == [
        ["where is my invoice"], ["app is broken"], ["hello there"]]


def test_sentiment_analysis_adds_the_category(tmp_path: Path) -> None:
    wf = workflow(
        [node("Start", "manualTrigger"),
         lc("Sentiment", "sentimentAnalysis", {"inputText": "={{ $json.review }}",
                                               "options": {"includeDetailedResults": True}})],
        [(MODEL, "ai_languageModel", "Sentiment")],
    )
    reply = '{"sentiment": "Negative", "strength": 0.9, "confidence": 0.8}'
    result, bodies = _run(tmp_path, wf, lambda b: Reply(text=reply), items=[{"json": {"review": "awful"}}])
    outs = result.run_data["Sentiment"][0]["data"]["main"]
    assert outs[0] == [] and outs[1] == []
    assert outs[2][0]["json"] == {"review": "awful", "sentimentAnalysis": {
        "category": "Negative", "strength": 0.9, "confidence": 0.8}}
    enum = bodies[0]["response_format"]["json_schema"]["schema"]["properties"]["sentiment"]["enum"]
    assert enum == ["Positive", "Neutral", "Negative"]


def test_agent_calls_a_workflow_tool_in_the_same_workflow(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        tools = [m for m in body["messages"] if m["role"] == "tool"]
        if not tools:
            assert body["tools"][0]["function"]["name"] == "order_lookup"
            return Reply(tool_calls=[("order_lookup", {"query": "A-17"})])
        return Reply(text=f"Status: {tools[-1]['content']}")

    wf = workflow(
        [lc("Chat", "chatTrigger", version=1.1),
         lc("Agent", "agent", {}, version=1.7)],
        [(MODEL, "ai_languageModel", "Agent"),
         (lc("Orders", "toolWorkflow", {"name": "order_lookup", "description": "Look up an order",
                                        "workflowId": "={{ $workflow.id }}"}, version=1.2),
          "ai_tool", "Agent")],
        wf_id="wf-tools",
    )
    wf["nodes"] += [node("When called", "executeWorkflowTrigger", version=1),
                    node("Lookup", "code",
                         {"jsCode": "return [{response: 'order ' + $json.query + ' shipped'}]"}, version=2)]
    wf["connections"]["When called"] = {"main": [[{"node": "Lookup", "type": "main", "index": 0}]]}
    chat = [{"json": {"sessionId": "s", "chatInput": "where is A-17?"}}]
    result, bodies = _run(tmp_path, wf, script, items=chat)
    assert result.status == "success", result.error
    assert output(result, "Agent") == [{"output": "Status: order A-17 shipped"}]
    assert "Lookup" not in result.run_data  # the tool's run is its own execution
    assert len(bodies) == 2


def test_legacy_openai_node_chat_and_text(tmp_path: Path) -> None:
    wf = {"name": "legacy", "settings": {}, "nodes": [
        node("Start", "manualTrigger"),
        node("Chat", "openAi", {"resource": "chat", "model": "gpt-4-1106-preview",
                                "prompt": {"messages": [{"content": "=Summarise {{ 'this' }}"}]},
                                "options": {"maxTokens": "64"}}),
        node("Text", "openAi", {"prompt": "=Classify: {{ $json.message.content }}",
                                "simplifyOutput": False})],
        "connections": {"Start": {"main": [[{"node": "Chat", "type": "main", "index": 0}]]},
                        "Chat": {"main": [[{"node": "Text", "type": "main", "index": 0}]]}}}
    result, bodies = _run(tmp_path, wf, None)
    assert result.status == "success", result.error
    assert output(result, "Chat") == [{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": "echo: Summarise this"}}]
    text = output(result, "Text")[0]
    assert text["choices"][0]["text"] == "echo: Classify: echo: Summarise this"
    assert bodies[0]["model"] == "gpt-4-1106-preview" and bodies[0]["max_completion_tokens"] == 64
    assert bodies[1]["model"] == "text-davinci-003"


def test_from_ai_fields_and_substitution() -> None:
    from iza.workflows.nodes._ai_tools import from_ai_fields, with_ai_values

    value = {"status": '={{ $fromAI("status", "Completed or Error", "string") }}',
             "n": "={{ /*n8n-auto-generated-fromAI-override*/ $fromAI('n', ``, 'number') + 1 }}",
             "plain": "x"}
    assert from_ai_fields(value) == {"status": {"type": "string", "description": "Completed or Error"},
                                     "n": {"type": "number"}}
    assert with_ai_values(value, {"status": "Error", "n": 2}) == {
        "status": '={{ "Error" }}', "n": "={{ /*n8n-auto-generated-fromAI-override*/ 2 + 1 }}", "plain": "x"}


FIND_JS = "return [{response: `${$json.status} x${$json.limit} ${$json.who}`}]"


def test_workflow_tool_v2_maps_from_ai_inputs_into_a_stored_workflow(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        tools = [m for m in body["messages"] if m["role"] == "tool"]
        if not tools:
            params = body["tools"][0]["function"]["parameters"]
            assert params["required"] == ["status", "limit"]
            return Reply(tool_calls=[("Records", {"status": "Refund", "limit": 2})])
        return Reply(text=tools[-1]["content"])

    sub_wf = {"id": "sub-1", "name": "records", "settings": {}, "nodes": [
        node("In", "executeWorkflowTrigger", version=1.1),
        node("Find", "code", {"jsCode": FIND_JS}, version=2)],
        "connections": {"In": {"main": [[{"node": "Find", "type": "main", "index": 0}]]}}}
    tool = lc("Records", "toolWorkflow", {
        "description": "Find records", "workflowId": {"__rl": True, "mode": "list", "value": "sub-1"},
        "workflowInputs": {"mappingMode": "defineBelow", "value": {
            "status": '={{ $fromAI("status", "Status", "string") }}',
            "limit": "={{ $fromAI('limit', ``, 'number') }}", "who": "={{ $json.user }}"}}}, version=2)
    wf = workflow([node("Start", "manualTrigger"),
                   lc("Agent", "agent", {"promptType": "define", "text": "refunds?"}, version=1.7)],
                  [(MODEL, "ai_languageModel", "Agent"), (tool, "ai_tool", "Agent")])
    with fake_provider("openai", script) as (_server, env):
        svc, store = service(settings_for(tmp_path / "home", env))
        svc.import_workflow(sub_wf)
        result = svc.run(svc.parse(wf), items=[{"json": {"user": "ana"}}])[1]
        store.dispose()
    assert result.status == "success", result.error
    assert output(result, "Agent") == [{"output": "Refund x2 ana"}]


def test_workflow_tool_without_its_trigger_reports_to_the_model(tmp_path: Path) -> None:
    seen: list[str] = []

    def script(body: dict[str, Any]) -> Reply:
        tools = [m for m in body["messages"] if m["role"] == "tool"]
        if not tools:
            return Reply(tool_calls=[("self_call", {"query": "x"})])
        seen.append(tools[-1]["content"])
        return Reply(text="done")

    wf = workflow(
        [lc("Chat", "chatTrigger", version=1.1), lc("Agent", "agent", {}, version=1.7)],
        [(MODEL, "ai_languageModel", "Agent"),
         (lc("Self", "toolWorkflow", {"name": "self_call", "workflowId": "={{ $workflow.id }}"}, version=1.2),
          "ai_tool", "Agent")],
        wf_id="wf-self")
    result, _ = _run(tmp_path, wf, script, items=[{"json": {"sessionId": "s", "chatInput": "loop?"}}])
    assert result.status == "success", result.error
    assert seen and "has no 'When Executed by Another Workflow' trigger" in seen[0]
