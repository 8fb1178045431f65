"""Draw names one discovery rule finds on the pwc-dev pages, for judging by hand.

Extracts every entry of ``../shared/corpora/pwc-dev/page_*.txt``, keeps the mentions of one
origin (``--origin``, e.g. ``eponym``: "Markov chain", "Bonferroni correction"), and draws
``--n`` of them with ``random.Random(--seed)`` into ``--out`` with their sentence. Judges add
``verdict`` ("right": the name, exactly as cut, is a concept by ``docs/annotation.md``;
"wrong" otherwise) and ``why``. With ``--judged FILE`` it prints what the judges said.

Run:  python benchmarks/draw_mentions.py --origin eponym --n 60 --seed 85 --out FILE
      python benchmarks/draw_mentions.py --judged tests/data/eponym_judged.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.extract import build_pipeline, extract_entries  # noqa: E402
from kg.pipeline import segment_paths  # noqa: E402

PWC = ROOT.parent / "shared" / "corpora" / "pwc-dev"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--origin", default="eponym")
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=85)
    parser.add_argument("--corpus", type=Path, default=PWC)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--judged", type=Path, help="report the verdicts of a judged file")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    if args.judged:
        rows = [json.loads(x) for x in args.judged.read_text("utf-8").splitlines() if x]
        right = sum(1 for r in rows if r["verdict"] == "right")
        agreed = sum(1 for r in rows if r["judge_a"] == r["judge_b"])
        print(f"{args.judged.name}: right {right}/{len(rows)} ({right / len(rows):.2f});")
        print(f"  the two judges agreed on {agreed}/{len(rows)}")
        return
    pages, _ = segment_paths(sorted(args.corpus.glob("page_*.txt")))
    entries = [e for page in pages for e in page.entries]
    found = [
        {"name": m.text, "kind": m.kind, "sentence": m.sentence, "source": m.source}
        for item in extract_entries(entries, build_pipeline(), n_process=args.jobs)
        for m in item.mentions
        if m.origin == args.origin
    ]
    print(f"{len(found)} mentions of origin {args.origin!r} in {len(entries)} entries")
    random.Random(args.seed).shuffle(found)
    if args.out:
        with args.out.open("w", encoding="utf-8") as handle:
            for n, row in enumerate(found[: args.n]):
                handle.write(json.dumps({"n": n, **row}, ensure_ascii=False) + "\n")
        print(f"drew {min(args.n, len(found))} into {args.out}")


if __name__ == "__main__":
    main()
