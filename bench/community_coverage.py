"""How much of a folder of real n8n workflows IZA's engine can run, by node type.

Validates every workflow file (the same check as ``iza workflows validate``), then prints the
share of workflows whose every node type is supported, the share of node *instances* that are,
and the most frequent unsupported types with how many workflows and nodes use each. Sticky
notes never run and count as supported. With ``--ai`` it also reports the AI (LangChain) nodes
alone. No model is called and nothing is written.

Run: ``.venv/bin/python bench/community_coverage.py [FOLDER] [--top 15] [--json]``
(default folder: ``../shared/corpus/n8n/community-dev``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from iza._system import wire_workflow_nodes
from iza.workflows import is_supported
from iza.workflows._validate import validate_file

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "n8n" / "community-dev"
INERT = {"n8n-nodes-base.stickyNote"}


def coverage(folder: Path, top: int) -> dict[str, Any]:
    wire_workflow_nodes()
    files = sorted(p for p in folder.glob("*.json") if p.name != "index.json")
    results = [validate_file(p) for p in files]
    parsed = [r for r in results if not r["errors"]]
    by_files: Counter[str] = Counter()
    by_nodes: Counter[str] = Counter()
    total_nodes = supported_nodes = ai_nodes = ai_supported = 0
    for path, r in zip(files, results, strict=True):
        if r["errors"]:
            continue
        by_files.update(r["unsupported"])
        data = json.loads(path.read_text(encoding="utf-8"))
        data = data[0] if isinstance(data, list) else data
        for n in data.get("nodes") or []:
            t = str(n.get("type"))
            ok = t in INERT or is_supported(t)
            total_nodes += 1
            supported_nodes += ok
            if "langchain" in t:
                ai_nodes += 1
                ai_supported += ok
            if not ok:
                by_nodes[t] += 1
    ok_files = sum(r["ok"] for r in parsed)
    return {
        "folder": str(folder),
        "workflows": len(parsed),
        "unparseable": len(results) - len(parsed),
        "fully_supported": ok_files,
        "fully_supported_share": round(ok_files / max(1, len(parsed)), 4),
        "nodes": total_nodes,
        "supported_nodes_share": round(supported_nodes / max(1, total_nodes), 4),
        "ai_nodes": ai_nodes,
        "ai_supported_share": round(ai_supported / max(1, ai_nodes), 4),
        "top_unsupported": [{"type": t, "workflows": n, "nodes": by_nodes[t]}
                            for t, n in by_files.most_common(top)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(DEFAULT))
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args()
    report = coverage(Path(args.folder), args.top)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['folder']}: {report['workflows']} workflows ({report['unparseable']} unparseable)")
    print(f"fully supported: {report['fully_supported']}/{report['workflows']} "
          f"({report['fully_supported_share']:.1%})")
    print(f"node instances supported: {report['supported_nodes_share']:.1%} of {report['nodes']}; "
          f"AI nodes: {report['ai_supported_share']:.1%} of {report['ai_nodes']}")
    print(f"\n{'unsupported type':<58} {'workflows':>9} {'nodes':>6}")
    for row in report["top_unsupported"]:
        print(f"{row['type']:<58} {row['workflows']:>9} {row['nodes']:>6}")


if __name__ == "__main__":
    main()
