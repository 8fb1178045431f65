"""Draw builds_on edges of a pwc-dev build, outside the answer key, for judging by hand.

Builds every page of ``../shared/corpora/pwc-dev/`` as a user would, keeps the ``builds_on``
edges the text states or names imply (concept -> concept and paper -> concept; paper ->
paper edges are derived from those and left out) whose evidence lies in no entry of the
answer key (``tests/data/lineage/sample.jsonl``) nor of the scorer's training abstracts
(``train_sample.jsonl``), and draws ``--n`` of them with
``random.Random(SEED)``. Each is written with what a judge needs: the child (for a paper, its
title), the parent, the kind of link, whether it is inferred, the evidence sentence and the
entry's full text. Judges add ``verdict`` ("right" or "wrong") and ``why``.

Run:  python benchmarks/draw_judged_edges.py [--n 80] [--out tests/data/lineage/judged_edges.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.pipeline import build  # noqa: E402

SEED = int(__import__("os").environ.get("KG_JUDGE_SEED", "80"))
PWC = ROOT.parent / "shared" / "corpora" / "pwc-dev"
OUT = ROOT / "tests" / "data" / "lineage" / "judged_edges.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=80)
    parser.add_argument("--corpus", type=Path, default=PWC)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    sample = [json.loads(x) for x in (ROOT / "tests/data/lineage/sample.jsonl").open()]
    training = ROOT / "tests/data/lineage/train_sample.jsonl"
    sample += [json.loads(x) for x in training.open()] if training.exists() else []
    keyed = {(r["file"], line) for r in sample for line in range(r["start"], r["end"] + 1)}
    graph = build([args.corpus], n_process=args.jobs).graph
    lines = {
        path.name: path.read_text("utf-8").splitlines() for path in args.corpus.glob("page_*.txt")
    }
    candidates = []
    for child, parent, data in graph.edges(data=True):
        if data.get("relation") != "builds_on" or graph.nodes[parent].get("kind") == "paper":
            continue
        file, _, line = str(data.get("source", "")).rpartition(":")
        if not line.isdigit() or (file, int(line)) in keyed:
            continue
        number = int(line)
        page = lines.get(file, [])
        start = number - 1 if number >= 2 and page[number - 1 - 1].strip() else number
        entry = "\n".join(page[start - 1 : start + 1])
        child_data = graph.nodes[child]
        candidates.append(
            {
                "child": child_data.get("title") or child_data.get("label")
                if child_data.get("kind") == "paper"
                else child_data.get("label"),
                "child_is_paper": child_data.get("kind") == "paper",
                "parent": graph.nodes[parent].get("label"),
                "kind_of_link": data.get("kind_of_link"),
                "inferred": bool(data.get("inferred")),
                "evidence": data.get("evidence"),
                "source": data.get("source"),
                "entry": entry,
            }
        )
    candidates.sort(key=lambda c: (c["source"], c["child"], c["parent"]))
    drawn = random.Random(SEED).sample(candidates, min(args.n, len(candidates)))
    with args.out.open("w", encoding="utf-8") as handle:
        for row in drawn:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(candidates)} edges outside the answer key; drew {len(drawn)} into {args.out}")


if __name__ == "__main__":
    main()
