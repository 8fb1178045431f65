"""Extraction throughput against spaCy's bare tokenizer, on the same text in one run.

Texts are every title and paragraph of the seed entries (markup cleaned, as the extractor
sees them); the large corpus repeats them ten times. For each corpus it times:

* ``tokenizer``: ``nlp.tokenizer.pipe`` — the floor any spaCy pipeline pays;
* ``pipeline``: ``nlp.pipe`` with every kg component (sentencizer, vocabulary rulers,
  discovery, merge);
* ``extraction``: ``extract_entries``, the pipeline plus turning spans into Mention records;

and prints words per second and each one's time as a multiple of the tokenizer's (aim ≤ 3).
Each figure is the best of three runs.

Run:  python benchmarks/extraction_speed.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.extract import build_pipeline, clean_markup, extract_entries  # noqa: E402
from kg.pipeline import segment_paths  # noqa: E402

REPEATS = 3


def best_of(run) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    pages, _ = segment_paths([ROOT / "seeds"])
    entries = [entry for page in pages for entry in page.entries]
    nlp = build_pipeline()
    header = ("corpus", "entries", "words", "step", "seconds", "words/s", "x tokenizer")
    print("{:14} {:>8} {:>9} {:>11} {:>8} {:>10} {:>12}".format(*header))
    for name, factor in (("seeds", 1), ("seeds x 10", 10)):
        corpus = entries * factor
        texts = [clean_markup(text) for entry in corpus for _, text in entry.lines()]
        words = sum(len(doc) for doc in nlp.tokenizer.pipe(texts))
        list(nlp.pipe(texts[:50]))  # warm caches before timing
        tokenizer = best_of(lambda texts=texts: [None for _ in nlp.tokenizer.pipe(texts)])
        pipeline = best_of(lambda texts=texts: [None for _ in nlp.pipe(texts)])
        extraction = best_of(lambda corpus=corpus: list(extract_entries(corpus, nlp)))
        for step, seconds in (
            ("tokenizer", tokenizer),
            ("pipeline", pipeline),
            ("extraction", extraction),
        ):
            print(
                f"{name:14} {len(corpus):8} {words:9} {step:>11} {seconds:8.2f} "
                f"{words / seconds:10,.0f} {seconds / tokenizer:12.2f}"
            )


if __name__ == "__main__":
    main()
