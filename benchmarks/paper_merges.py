"""Is the same paper on two pages one node? Merges on the seeds and on unseen abstracts.

Two measurements, printed as one table:

- **seeds**: the 44 pairs of seed entries that are one paper listed on two pages
  (``tests/data/lineage/seed_duplicates.jsonl``, labelled by hand) and 53 pairs that are not
  (``seed_not_duplicates.jsonl``: sequels, same page, look-alikes). A pair is merged when
  both lines fall in one paper node's sources.
- **pwc-dev listings**: real abstracts nobody here labelled, made into the case a user
  meets: a page of abstracts without titles and a reading list of titles, one per line, on
  another page, with 100 papers on both and 50 more on each page alone. Drawn at random
  (seed 11) from ``../shared/corpora/pwc-dev/abstracts.jsonl``, separately from each half
  (``crc32(arxiv_id) % 2``: 0 is the tuning half, 1 the test half). Recall is the share of
  the 100 shared papers whose two entries are one node; precision the share of the merges
  made that join an abstract to its own title. The second row of each half adds a third
  page: every other pwc-dev paper (about 2,400), title and abstract, that the two pages'
  entries must not be merged with ("false" counts merges of any wrong pair).

Run:  python benchmarks/paper_merges.py [--corpus ../shared/corpora/pwc-dev]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.pipeline import build  # noqa: E402

SHARED, ALONE = 100, 50


def paper_of(graph, file: str, line: int) -> str | None:
    """The paper node whose sources hold FILE:LINE."""
    for node, data in graph.nodes(data=True):
        if data.get("kind") != "paper":
            continue
        for source in data["sources"].split(";"):
            name, _, lines = source.rpartition(":")
            first, _, last = lines.partition("-")
            if Path(name).name == file and int(first) <= line <= int(last or first):
                return node
    return None


def seed_rows(graph) -> tuple[int, int, int, int]:
    """(pairs merged, pairs, false merges, negative pairs) on the seeds."""
    data = ROOT / "tests" / "data" / "lineage"
    found = []
    for name in ("seed_duplicates.jsonl", "seed_not_duplicates.jsonl"):
        pairs = [json.loads(line) for line in (data / name).read_text("utf-8").splitlines()]
        same = 0
        for pair in pairs:
            a = paper_of(graph, pair["a"]["file"], pair["a"]["line"])
            b = paper_of(graph, pair["b"]["file"], pair["b"]["line"])
            same += a is not None and a == b
        found.append((same, len(pairs)))
    return found[0][0], found[0][1], found[1][0], found[1][1]


def listing_pages(rows: list[dict], folder: Path) -> tuple[list[int], list[int]]:
    """Write the two pages; return, per shared paper, its abstract's and its title's line."""
    shared, only_abstract, only_title = rows[:SHARED], rows[SHARED : SHARED + ALONE], rows[-ALONE:]
    abstracts = shared + only_abstract
    titles = shared + only_title
    random.Random(3).shuffle(abstracts)
    random.Random(4).shuffle(titles)
    (folder / "abstracts.txt").write_text(
        "\n\n".join(" ".join(row["abstract"].split()) for row in abstracts) + "\n", "utf-8"
    )
    (folder / "reading_list.txt").write_text(
        "\n".join(" ".join(row["title"].split()) for row in titles) + "\n", "utf-8"
    )
    abstract_line = {row["arxiv_id"]: 1 + 2 * i for i, row in enumerate(abstracts)}
    title_line = {row["arxiv_id"]: 1 + i for i, row in enumerate(titles)}
    ids = [row["arxiv_id"] for row in shared]
    return [abstract_line[i] for i in ids], [title_line[i] for i in ids]


def listing_row(rows: list[dict], distractors: list[dict]) -> tuple[int, int, int]:
    """(right merges, merges made across pages, shared papers)."""
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        abstract_lines, title_lines = listing_pages(rows, folder)
        if distractors:
            (folder / "others.txt").write_text(
                "\n\n".join(
                    " ".join(r["title"].split()) + "\n" + " ".join(r["abstract"].split())
                    for r in distractors
                )
                + "\n",
                "utf-8",
            )
        graph = build([folder]).graph
        right = sum(
            (a := paper_of(graph, "abstracts.txt", al)) is not None
            and a == paper_of(graph, "reading_list.txt", tl)
            for al, tl in zip(abstract_lines, title_lines, strict=True)
        )
        made = sum(
            len(data["sources"].split(";")) - 1
            for _, data in graph.nodes(data=True)
            if data.get("kind") == "paper"
        )
    return right, made, SHARED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpora" / "pwc-dev"))
    args = parser.parse_args()
    merged, pairs, false, negatives = seed_rows(build([ROOT / "seeds"]).graph)
    print(f"{'set':<28} {'merged':>8} {'of':>5} {'precision':>10} {'recall':>7} {'false':>6}")
    print(
        f"{'seeds (hand-labelled pairs)':<28} {merged:8} {pairs:5} {'':>10} "
        f"{merged / pairs:7.2f} {false:3}/{negatives}"
    )
    path = Path(args.corpus) / "abstracts.jsonl"
    if not path.exists():
        print(f"(no {path}: pwc-dev rows skipped)")
        return
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    for half, name in ((0, "tuning"), (1, "test")):
        pool = [r for r in rows if zlib.crc32(r["arxiv_id"].encode()) % 2 == half]
        drawn = random.Random(11).sample(pool, SHARED + 2 * ALONE)
        ids = {r["arxiv_id"] for r in drawn}
        others = [r for r in rows if r["arxiv_id"] not in ids]
        for label, distractors in ((f"{name} half", []), (f"{name} half + others", others)):
            right, made, shared = listing_row(drawn, distractors)
            precision = right / made if made else 1.0
            print(
                f"{'pwc-dev, ' + label:<28} {right:8} {shared:5} "
                f"{precision:10.2f} {right / shared:7.2f} {made - right:6}"
            )


if __name__ == "__main__":
    main()
