"""Engine behaviour and bad input: clear errors naming node, parameter and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from wf_helpers import chain, node

from iza.cli import cli
from iza.workflows import Execution, WorkflowInputError, parse_workflow


def _run(wf: dict, **kw) -> Execution:
    ex = Execution(parse_workflow(wf), **kw)
    ex.start()
    return ex


def test_expression_helpers_and_template() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Data", "code", {"jsCode": "return [{name: 'ada', tags: ['a','b','a']}]"}),
        node(
            "Set",
            "set",
            {
                "assignments": {
                    "assignments": [
                        {"name": "greet", "type": "string", "value": "=Hi {{ $json.name.toTitleCase() }}"},
                        {"name": "n", "type": "number", "value": "={{ $json.tags.unique().length }}"},
                        {"name": "prev", "type": "string", "value": "={{ $prevNode.name }}"},
                        {"name": "first", "type": "string", "value": "={{ $('Data').first().json.name }}"},
                        {
                            "name": "year",
                            "type": "number",
                            "value": "={{ DateTime.fromISO('2024-05-01').year }}",
                        },
                    ]
                }
            },
            version=3.4,
        ),
    )
    result = _run(wf).run()
    assert result.status == "success"
    assert result.run_data["Set"][0]["data"]["main"][0][0]["json"] == {
        "greet": "Hi Ada",
        "n": 2,
        "prev": "Data",
        "first": "ada",
        "year": 2024,
    }


def test_expression_error_names_node_parameter_and_js_error() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node(
            "Bad",
            "set",
            {
                "assignments": {
                    "assignments": [{"name": "x", "type": "string", "value": "={{ $json.missing.deeper }}"}]
                }
            },
            version=3.4,
        ),
    )
    result = _run(wf).run()
    assert result.status == "error"
    assert result.error["node"] == "Bad"
    assert "assignments.assignments[0].value" in result.error["parameter"]
    assert "Cannot read properties of undefined" in result.error["message"]


def test_code_error_reports_line() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Code", "code", {"jsCode": "const a = 1;\nconst b = null;\nreturn [{v: b.x}];"}),
    )
    result = _run(wf).run()
    assert result.status == "error"
    assert result.error["node"] == "Code" and result.error["line"] == 3


def test_code_sandbox_has_no_fs_network_or_env() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node(
            "Code",
            "code",
            {
                "jsCode": "return [{t: [typeof require, typeof process, typeof fetch,"
                " typeof XMLHttpRequest].join(',')}]"
            },
        ),
    )
    result = _run(wf).run()
    assert (
        result.run_data["Code"][0]["data"]["main"][0][0]["json"]["t"]
        == "undefined,undefined,undefined,undefined"
    )


def test_endless_code_loop_is_stopped_at_its_limit() -> None:
    wf = chain(node("Start", "manualTrigger"), node("Loop", "code", {"jsCode": "while (true) {}"}))
    result = _run(wf, code_timeout_s=0.3).run()
    assert result.status == "error"
    assert result.error["node"] == "Loop" and "time limit" in result.error["message"]
    # the sandbox is usable again afterwards
    ok = _run(chain(node("S", "manualTrigger"), node("C", "code", {"jsCode": "return [{a: 1}]"}))).run()
    assert ok.status == "success"


def test_unknown_node_type_fails_with_one_clear_error() -> None:
    wf = chain(node("Start", "manualTrigger"), node("Odd", "acme.doesNotExist"))
    result = _run(wf).run()
    assert result.status == "error"
    assert "acme.doesNotExist" in result.error["message"]


def test_continue_on_fail_error_output() -> None:
    wf = {
        "nodes": [
            node("Start", "manualTrigger"),
            node("Code", "code", {"jsCode": "throw new Error('boom')"}, onError="continueErrorOutput"),
            node("Err", "noOp"),
        ],
        "connections": {
            "Start": {"main": [[{"node": "Code", "type": "main", "index": 0}]]},
            "Code": {"main": [[], [{"node": "Err", "type": "main", "index": 0}]]},
        },
    }
    result = _run(wf).run()
    assert result.status == "success"
    assert result.run_data["Err"][0]["data"]["main"][0][0]["json"]["error"] == "boom [line 1]"


def test_retry_on_fail_runs_again() -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node(
            "Flaky",
            "code",
            {
                "jsCode": "const s = $getWorkflowStaticData('global');"
                "s.n = (s.n || 0) + 1; if (s.n < 3) throw new Error('again');"
                "return [{tries: s.n}]"
            },
            retryOnFail=True,
            maxTries=3,
            waitBetweenTries=0,
        ),
    )
    result = _run(wf).run()
    assert result.status == "success"
    assert result.run_data["Flaky"][0]["data"]["main"][0][0]["json"]["tries"] == 3


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ("{not json", "malformed JSON"),
        (json.dumps({"nodes": [], "connections": {}}), "no nodes"),
        (
            json.dumps(
                chain(node("A", "manualTrigger")) | {"connections": {"A": {"main": [[{"node": "Ghost"}]]}}}
            ),
            "missing node 'Ghost'",
        ),
        (
            json.dumps(
                {
                    "nodes": [node("A", "noOp"), node("B", "noOp")],
                    "connections": {
                        "A": {"main": [[{"node": "B", "index": 0}]]},
                        "B": {"main": [[{"node": "A", "index": 0}]]},
                    },
                }
            ),
            "cycle with no loop node",
        ),
    ],
)
def test_bad_workflows_are_refused_clearly(data: str, needle: str) -> None:
    with pytest.raises(WorkflowInputError) as exc:
        parse_workflow(data)
    assert needle in str(exc.value)
    assert exc.value.fix


def test_cli_validate_run_and_history(tmp_path: Path) -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("C", "code", {"jsCode": "return [{v: $json.x * 2}]"}),
        name="double",
    )
    path = tmp_path / "double.json"
    path.write_text(json.dumps(wf))
    runner = CliRunner()
    out = runner.invoke(cli, ["workflows", "validate", str(path), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0] == {
        "file": str(path),
        "ok": True,
        "nodes": 2,
        "unsupported": [],
        "errors": [],
    }
    out = runner.invoke(cli, ["workflows", "run", str(path), "--input", '{"x": 21}', "--json"])
    assert out.exit_code == 0, out.output
    raw = json.loads(out.output)
    assert raw["status"] == "success"
    assert raw["data"]["resultData"]["runData"]["C"][0]["data"]["main"][0][0]["json"] == {"v": 42}
    assert raw["data"]["resultData"]["lastNodeExecuted"] == "C"
    out = runner.invoke(cli, ["workflows", "import", str(path), "--json"])
    wf_id = json.loads(out.output)[0]["id"]
    out = runner.invoke(cli, ["workflows", "export", wf_id])
    assert json.loads(out.output)["nodes"] == wf["nodes"]
    assert runner.invoke(cli, ["workflows", "activate", wf_id]).exit_code == 0
    listed = json.loads(runner.invoke(cli, ["workflows", "list", "--json"]).output)
    assert listed[0]["active"] is True
    history = json.loads(runner.invoke(cli, ["workflows", "executions", "--json"]).output)
    assert history[0]["status"] == "success"


def test_cli_run_unknown_type_exits_nonzero(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(chain(node("Start", "manualTrigger"), node("X", "acme.nope"))))
    out = CliRunner().invoke(cli, ["workflows", "run", str(path), "--json"])
    assert out.exit_code == 1
    assert json.loads(out.output)["status"] == "error"


def test_validate_community_sample_never_crashes() -> None:
    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "n8n" / "community-dev"
    from iza.workflows._validate import validate_file

    results = [validate_file(p) for p in sorted(corpus.glob("*.json")) if p.name != "index.json"]
    assert len(results) == 150
    assert all(not r["errors"] for r in results)
    assert any(r["unsupported"] for r in results)


def test_http_request_node_talks_to_a_real_server() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.path + " " + body.decode())
            payload = json.dumps([{"echo": json.loads(body)["name"]}, {"n": 2}]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_a: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        wf = chain(
            node("Start", "manualTrigger"),
            node(
                "Call",
                "httpRequest",
                {
                    "method": "POST",
                    "url": url,
                    "sendQuery": True,
                    "queryParameters": {"parameters": [{"name": "q", "value": "1"}]},
                    "sendBody": True,
                    "specifyBody": "json",
                    "jsonBody": '={"name": "{{ $json.who }}"}',
                },
                version=4.2,
            ),
        )
        ex = Execution(parse_workflow(wf))
        ex.start([{"json": {"who": "ada"}}])
        result = ex.run()
    finally:
        server.shutdown()
        server.server_close()
    assert result.status == "success", result.error
    assert [i["json"] for i in result.run_data["Call"][0]["data"]["main"][0]] == [{"echo": "ada"}, {"n": 2}]
    assert seen == ['/hook?q=1 {"name":"ada"}']
