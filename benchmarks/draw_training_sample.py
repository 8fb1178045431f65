"""Draw more pwc-dev abstracts to train the lineage scorer on (``train_sample.jsonl``).

The answer key's tuning half (100 abstracts) is too small to fit a scorer on: this draws
more abstracts from ``../shared/corpora/pwc-dev/abstracts.jsonl`` in :data:`ROUNDS` (each
round ``random.Random(seed).sample`` of the abstracts neither in the answer key,
``sample.jsonl``, nor drawn by an earlier round). They belong
to the tuning side: the scorer is fitted on them and on the tuning half, and the test half
is never read. Each was labelled by one annotator under the rules of ``docs/annotation.md``
(``train_gold.jsonl``); no second annotator, no adjudication.

Each line has the fields of ``sample.jsonl`` with ``set`` = "train" and ``batch`` (which
annotator's batch of :data:`BATCH` it was in).

Run:  python benchmarks/draw_training_sample.py
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from draw_lineage_sample import pwc_rows  # noqa: E402

#: (seed, how many) per round of drawing; a round was added when more labels were wanted.
ROUNDS = ((21, 200), (22, 200), (23, 400))
BATCH = 50
DATA = ROOT / "tests" / "data" / "lineage"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpora/pwc-dev")
    args = parser.parse_args()
    taken = {json.loads(line)["id"] for line in (DATA / "sample.jsonl").open(encoding="utf-8")}
    drawn: list[dict] = []
    for seed, size in ROUNDS:
        pool = [row for row in pwc_rows(args.corpus) if row["id"] not in taken]
        drawn += random.Random(seed).sample(pool, size)
        taken |= {row["id"] for row in drawn}
    out = DATA / "train_sample.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for number, row in enumerate(drawn):
            ordered = {k: row[k] for k in ("id", "file", "start", "end", "text")}
            ordered = {"id": row["id"], "set": "train", "batch": number // BATCH, **ordered}
            handle.write(json.dumps(ordered, ensure_ascii=False) + "\n")
    print(f"wrote {len(drawn)} entries to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
