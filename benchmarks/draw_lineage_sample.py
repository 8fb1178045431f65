"""Draw the entries of the lineage answer key (``tests/data/lineage/sample.jsonl``).

* 200 abstracts of ``../shared/corpora/pwc-dev/abstracts.jsonl`` drawn with
  ``random.Random(SEED)``; the first 100 drawn are the tuning half, the next 100 the test
  half;
* the 40 seed entries of ``tests/data/gold_concepts.jsonl`` (themselves a random sample of the
  seed pages), as the seed set.

Each line: ``id``, ``set`` ("tune", "test" or "seed"), ``file``, ``start``, ``end`` (the
entry's lines in its page) and ``text`` (the entry's lines, one per line, as the page has
them). The annotators see only ``id`` and ``text``.

Run:  python benchmarks/draw_lineage_sample.py [--corpus ../shared/corpora/pwc-dev]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 9
PER_HALF = 100
#: Lines per abstract on a pwc-dev page (title, abstract, blank) and abstracts per page.
LINES_PER_ENTRY, ENTRIES_PER_PAGE = 3, 500
OUT = ROOT / "tests" / "data" / "lineage" / "sample.jsonl"


def pwc_rows(corpus: Path) -> list[dict]:
    """Every abstract, with the page file and lines it sits on."""
    rows = []
    with (corpus / "abstracts.jsonl").open(encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            row = json.loads(line)
            start = (index % ENTRIES_PER_PAGE) * LINES_PER_ENTRY + 1
            rows.append(
                {
                    "id": f"pwc:{row['arxiv_id']}",
                    "file": f"page_{index // ENTRIES_PER_PAGE:02d}.txt",
                    "start": start,
                    "end": start + 1,
                    "text": f"{row['title']}\n{row['abstract']}",
                }
            )
    return rows


def seed_rows() -> list[dict]:
    """The 40 sampled seed entries, with their text as the page has it."""
    rows = []
    for line in (ROOT / "tests" / "data" / "gold_concepts.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        lines = (ROOT / "seeds" / record["file"]).read_text("utf-8").splitlines()
        text = "\n".join(lines[record["start"] - 1 : record["end"]])
        rows.append(
            {
                "id": f"seed:{record['file']}:{record['start']}-{record['end']}",
                "set": "seed",
                "file": record["file"],
                "start": record["start"],
                "end": record["end"],
                "text": text,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpora/pwc-dev")
    args = parser.parse_args()
    drawn = random.Random(SEED).sample(pwc_rows(args.corpus), 2 * PER_HALF)
    sample = [dict(row, set="tune") for row in drawn[:PER_HALF]]
    sample += [dict(row, set="test") for row in drawn[PER_HALF:]]
    sample += seed_rows()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as handle:
        for row in sample:
            ordered = {k: row[k] for k in ("id", "set", "file", "start", "end", "text")}
            handle.write(json.dumps(ordered, ensure_ascii=False) + "\n")
    print(f"wrote {len(sample)} entries to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
