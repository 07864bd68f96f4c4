"""The rules and nodes added for n8n conformance, each on a small workflow of its own."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from wf_helpers import chain, node

from iza.cli import cli
from iza.workflows import Execution, parse_workflow
from iza.workflows.nodes.xml import json_to_xml, xml_to_json


def _run(wf: dict[str, Any]) -> Any:
    ex = Execution(parse_workflow(wf))
    ex.start()
    return ex.run()


def _out(result: Any, name: str, run: int = 0, output: int = 0) -> list[dict[str, Any]]:
    return [i["json"] for i in result.run_data[name][run]["data"]["main"][output]]


def _link(wf: dict[str, Any], src: str, dest: str, index: int = 0, output: int = 0) -> None:
    outs = wf["connections"].setdefault(src, {"main": []})["main"]
    while len(outs) <= output:
        outs.append([])
    outs[output].append({"node": dest, "type": "main", "index": index})


# ---- scheduling -----------------------------------------------------------------------------------
def _merge_with_unconnected_source(order: str) -> dict[str, Any]:
    wf = chain(
        node("Start", "manualTrigger"),
        node("A", "code", {"jsCode": "return [{a: 1}]"}),
        settings={"executionOrder": order},
    )
    wf["nodes"] += [
        node("B", "code", {"jsCode": "return [{b: 2}]"}),
        node("Merge", "merge", {"mode": "append"}, version=2),
    ]
    _link(wf, "A", "Merge", 0)
    _link(wf, "B", "Merge", 1)
    return wf


def test_v0_forces_the_source_of_a_missing_merge_input_to_run() -> None:
    result = _run(_merge_with_unconnected_source("v0"))
    assert result.status == "success"
    assert _out(result, "B") == [{"b": 2}]  # B has no parent: v0 runs it with one empty item
    assert _out(result, "Merge") == [{"a": 1}, {"b": 2}]


def test_v1_does_not_force_inputs_and_merges_what_arrived() -> None:
    result = _run(_merge_with_unconnected_source("v1"))
    assert result.status == "success"
    assert "B" not in result.run_data
    assert _out(result, "Merge") == [{"a": 1}]


def test_v0_node_with_empty_first_input_leaves_no_run_data() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Empty", "code", {"jsCode": "return []"}),
        node("After", "noOp"),
    )
    result = _run(wf)
    assert result.status == "success"
    assert _out(result, "Empty") == []
    assert "After" not in result.run_data


def test_split_in_batches_v2_loops_then_emits_all_processed_items_on_done() -> None:
    wf = chain(node("Start", "manualTrigger"), node("Data", "code", {"jsCode": "return [{i:1},{i:2},{i:3}]"}))
    wf["nodes"] += [node("Loop", "splitInBatches", {"batchSize": 2}, version=2), node("Work", "noOp"),
                    node("Done", "noOp")]
    _link(wf, "Data", "Loop")
    _link(wf, "Loop", "Work", 0, output=0)
    _link(wf, "Loop", "Done", 0, output=1)
    _link(wf, "Work", "Loop")
    result = _run(wf)
    assert result.status == "success"
    assert len(result.run_data["Loop"]) == 3
    assert _out(result, "Done") == [{"i": 1}, {"i": 2}, {"i": 3}]


def test_continue_on_fail_passes_the_input_on_when_a_node_fails_as_a_whole() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Data", "code", {"jsCode": "return [{id: 1}]"}),
        node("Lists", "itemLists", {"fieldToSplitOut": "missing"}, version=2, continueOnFail=True),
    )
    result = _run(wf)
    assert result.status == "success"
    assert _out(result, "Lists") == [{"id": 1}]


# ---- XML ------------------------------------------------------------------------------------------
def test_xml_parse_uses_xml2js_shapes() -> None:
    parsed = xml_to_json('<r a="1"><x>t</x><x>u</x><e/><n>  </n></r>', {})
    assert parsed == {"r": {"a": "1", "x": ["t", "u"], "e": "", "n": "  "}}
    assert xml_to_json("<r><x>1</x></r>", {"explicitArray": True}) == {"r": {"x": ["1"]}}
    assert json_to_xml({"r": {"$": {"k": "v"}, "a": [1, 2], "b": None}}, {"headless": True}) == (
        '<r k="v">\n  <a>1</a>\n  <a>2</a>\n  <b/>\n</r>'
    )


def test_xml_entity_declarations_are_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><l>&b;</l>'
    wf = chain(
        node("Start", "manualTrigger"),
        node("Data", "code", {"jsCode": f"return [{{data: {json.dumps(bomb)}}}]"}),
        node("XML", "xml", {"mode": "xmlToJson"}),
    )
    result = _run(wf)
    assert result.status == "error"
    assert "entity declarations are not supported" in result.error["message"]


# ---- Markdown and HTML (vendored JS in V8) --------------------------------------------------------
def test_markdown_converts_both_ways() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Data", "code", {"jsCode": "return [{data: '<h2>Hi</h2><p>a <b>b</b></p>'}]"}),
        node("ToMd", "markdown", {"html": "={{ $json.data }}", "destinationKey": "md"}),
        node("ToHtml", "markdown", {"mode": "markdownToHtml", "markdown": "={{ $json.md }}"}),
    )
    result = _run(wf)
    assert result.status == "success", result.error
    assert _out(result, "ToMd")[0]["md"] == "## Hi\n\na **b**"
    assert _out(result, "ToHtml")[0]["data"] == '<h2 id="hi">Hi</h2>\n<p>a <strong>b</strong></p>'


def test_html_extracts_with_css_selectors() -> None:
    page = "<ul><li class='x'>One</li><li class='x'>Two <a href='/t'>link</a></li></ul>"
    wf = chain(
        node("Start", "manualTrigger"),
        node("Data", "code", {"jsCode": f"return [{{page: {json.dumps(page)}}}]"}),
        node(
            "HTML",
            "html",
            {
                "operation": "extractHtmlContent",
                "dataPropertyName": "page",
                "extractionValues": {
                    "values": [
                        {"key": "items", "cssSelector": "li.x", "returnArray": True},
                        {"key": "href", "cssSelector": "a", "returnValue": "attribute", "attribute": "href"},
                    ]
                },
            },
            version=1.2,
        ),
    )
    result = _run(wf)
    assert result.status == "success", result.error
    assert _out(result, "HTML") == [{"items": ["One", "Two link [/t]"], "href": "/t"}]


# ---- files ----------------------------------------------------------------------------------------
def test_csv_round_trip_quotes_and_keeps_the_bom_like_n8n() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Data", "code", {"jsCode": "return [{a: 'x,y', b: 'say \"hi\"'}, {a: 1, b: true}]"}),
        node("ToFile", "convertToFile", {}, version=1.1),
        node("FromFile", "extractFromFile", {}),
    )
    result = _run(wf)
    assert result.status == "success", result.error
    raw = base64.b64decode(result.run_data["ToFile"][0]["data"]["main"][0][0]["binary"]["data"]["data"])
    assert raw.decode("utf-8") == '\ufeffa,b\n"x,y","say ""hi"""\n1,true'
    assert _out(result, "FromFile") == [{"\ufeffa": "x,y", "b": 'say "hi"'}, {"\ufeffa": "1", "b": "true"}]


def test_text_file_in_a_legacy_encoding() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Data", "code", {"jsCode": "return [{t: 'café ✓'}]"}),
        node("ToFile", "convertToFile", {"operation": "toText", "sourceProperty": "t",
                                         "options": {"encoding": "windows1252"}}, version=1.1),
        node("FromFile", "extractFromFile", {"operation": "text", "options": {"encoding": "windows1252"}}),
    )
    result = _run(wf)
    assert result.status == "success", result.error
    assert _out(result, "FromFile") == [{"data": "café ?"}]  # ✓ has no windows-1252 byte


@pytest.mark.parametrize("op", ["xlsx", "ods"])
def test_spreadsheet_round_trip_keeps_types(op: str) -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Data", "code", {"jsCode": "return [{n: 1.5, s: 'a;b', t: 'x'}, {n: -2, s: '', t: 'y'}]"}),
        node("ToFile", "convertToFile", {"operation": op}),
        node("FromFile", "extractFromFile", {"operation": op}),
    )
    result = _run(wf)
    assert result.status == "success", result.error
    assert _out(result, "FromFile") == [{"n": 1.5, "s": "a;b", "t": "x"}, {"n": -2, "s": "", "t": "y"}]


def test_ical_event_round_trip() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("ToFile", "convertToFile", {"operation": "iCal", "start": "2024-05-01T09:30:00",
                                         "end": "2024-05-01T10:00:00", "title": "Call; ACME",
                                         "additionalFields": {"description": "line 1\nline 2"}}),
        node("FromFile", "extractFromFile", {"operation": "fromIcs"}),
    )
    result = _run(wf)
    assert result.status == "success", result.error
    event = _out(result, "FromFile")[0]["data"]["events"][0]
    assert event["summary"] == "Call; ACME"
    assert event["description"] == "line 1\nline 2"
    assert event["start"] == {"date": "2024-05-01T09:30:00.000Z", "type": "DATE-TIME"}


def test_unsupported_file_operation_fails_clearly() -> None:
    wf = chain(node("Start", "manualTrigger"), node("ToFile", "convertToFile", {"operation": "pdf"}))
    result = _run(wf)
    assert result.status == "error"
    assert "operation 'pdf' is not supported" in result.error["message"]


# ---- validate ------------------------------------------------------------------------------------
def test_validate_folder_skips_non_workflow_json_but_a_named_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "wf.json").write_text(json.dumps(chain(node("Start", "manualTrigger"), node("N", "noOp"))))
    (tmp_path / "index.json").write_text(json.dumps({"count": 1, "files": ["wf.json"]}))
    runner = CliRunner()
    out = runner.invoke(cli, ["workflows", "validate", str(tmp_path), "--json"])
    assert out.exit_code == 0, out.output
    assert [r["file"] for r in json.loads(out.stdout)] == [str(tmp_path / "wf.json")]
    assert "index.json" in out.stderr and "not workflows" in out.stderr
    out = runner.invoke(cli, ["workflows", "validate", str(tmp_path / "index.json"), "--json"])
    assert out.exit_code == 2
    assert json.loads(out.stdout)[0]["errors"]
