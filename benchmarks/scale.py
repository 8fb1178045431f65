"""Build time, throughput and peak memory on 1k, 10k and 100k abstract-like entries.

Corpora are made by recombining sentences of the seed pages' abstracts and summaries: each
entry is a title line and an abstract of 5 to 9 sentences drawn at random, so no two entries
are the same (checked). Pages of 1,000 entries are written to a temporary folder, and each
size is built in a fresh process running exactly what ``kg build -j 2 --quiet`` runs, so peak
memory (the build process plus its extraction workers) is the build's own.

Prints, per size: entries, wall time, entries/s, peak memory, and the time to write the
GraphML file (and the other outputs) on their own.

With ``--dask local:N`` (or a scheduler address) each size is also built with extraction on
Dask, as ``kg build --dask`` runs it (the graph streamed into graph.db, the other files
written from it: :func:`kg.pipeline.build_stored`), on the row after the local one. Its build
time counts starting the cluster (for ``local:N``) and ends when graph.db is written; "all
outputs s" is then the other files, written from graph.db (GraphML is not timed alone). "client
MB" is the build process's peak (VmHWM; for ``local:N`` the scheduler runs in it too), "worker
MB" the largest worker's peak (VmHWM read on each worker at the end of the build). On the
local rows "worker MB" is the largest pool worker's ru_maxrss (which counts the pages it
shares with its parent), and "peak MB" is client + largest worker on both.

Run:  python benchmarks/scale.py [--sizes 1000 10000 100000] [--jobs 2] [--dask local:2]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE_SIZE = 1000
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from kg.cli import _write_from_store, _writers
from kg.export import write_outputs
from kg.pipeline import build, build_stored
from kg.viewer import DEFAULT_MAX_NODES, render_html

folder, out, jobs, dask = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def vmhwm_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

started = time.perf_counter()
timings = {}
if dask:
    # What kg build --dask runs: the graph streamed into graph.db, the other files from it.
    from kg.cluster import OnCluster, connect, worker_peak_memory
    target = int(dask[len("local:"):]) if dask.startswith("local:") else dask
    out.mkdir(parents=True, exist_ok=True)
    built_db = str(out / ".built.db")
    with connect(target) as client:
        result = build_stored([folder], built_db, workers=OnCluster(client), scratch=out)
        worker_kb = max(worker_peak_memory(client).values())
    built = time.perf_counter()
    _, counts = _write_from_store(built_db, out, DEFAULT_MAX_NODES, None, 2)
    timings["graph.graphml"] = float("nan")  # written with the others, not timed alone
    nodes, edges = counts["papers"] + counts["concepts"], counts["edges"]
    entries = result.entries
else:
    result = build([folder], n_process=jobs)
    worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    built = time.perf_counter()
    page = lambda: render_html(result.graph, max_nodes=DEFAULT_MAX_NODES)
    for name, writer in _writers(page).items():
        begun = time.perf_counter()
        write_outputs(result.graph, out, writers={name: writer})
        timings[name] = time.perf_counter() - begun
    nodes, edges = result.graph.number_of_nodes(), result.graph.number_of_edges()
    entries = sum(page.entries for page in result.pages)
done = time.perf_counter()
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "build": built - started, "write": done - built, "total": done - started,
    "writers": timings, "peak_kb": own + worker_kb, "client_kb": vmhwm_kb(),
    "worker_kb": worker_kb, "nodes": nodes, "edges": edges, "entries": entries,
    "html_bytes": (out / "graph.html").stat().st_size,
    "graphml_bytes": (out / "graph.graphml").stat().st_size,
}))
"""


def sentence_pool() -> tuple[list[str], list[str]]:
    """Sentences of the seed abstracts and summaries, and seed titles for title words."""
    from kg.pipeline import segment_paths

    pages, _ = segment_paths([ROOT / "seeds"])
    sentences, titles = [], []
    for page in pages:
        for entry in page.entries:
            if entry.title:
                titles.append(entry.title)
            for paragraph in entry.paragraphs:
                if paragraph.role != "blurb":
                    sentences += [s for s in _SENTENCE.split(paragraph.text) if len(s) > 40]
    return sentences, titles


def make_corpus(size: int, folder: Path, seed: int = 7) -> None:
    sentences, titles = sentence_pool()
    rng = random.Random(seed)
    seen: set[int] = set()
    lines: list[str] = []
    page = 0
    while len(seen) < size:
        abstract = " ".join(rng.sample(sentences, rng.randint(5, 9)))
        if hash(abstract) in seen:
            continue
        seen.add(hash(abstract))
        words = rng.choice(titles).split(":")[-1].split()
        title = f"{rng.choice(titles).split(':')[0]}-{len(seen)}: {' '.join(words[:8])}"
        lines += [title, abstract, ""]
        if len(seen) % PAGE_SIZE == 0 or len(seen) == size:
            (folder / f"page_{page:04d}.txt").write_text("\n".join(lines), "utf-8")
            lines, page = [], page + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--dask", default="", metavar="ADDRESS|local:N", help="also build on this Dask cluster"
    )
    args = parser.parse_args()
    modes = [f"-j {args.jobs}"] + ([f"--dask {args.dask}"] if args.dask else [])
    print(
        f"{'entries':>8} {'mode':>15} {'build s':>8} {'entries/s':>10} {'peak MB':>8} "
        f"{'client MB':>10} {'worker MB':>10} {'GraphML s':>10} {'all outputs s':>14} "
        f"{'total s':>8} {'nodes':>8} {'edges':>9} {'GraphML MB':>11}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work) / "pages"
            folder.mkdir()
            make_corpus(size, folder)
            for mode in modes:
                dask = args.dask if mode.startswith("--dask") else ""
                out = Path(work) / f"out{'-dask' if dask else ''}"
                started = time.perf_counter()
                child = subprocess.run(
                    [sys.executable, "-c", CHILD, str(folder), str(out), str(args.jobs), dask],
                    capture_output=True,
                    text=True,
                    check=False,
                    cwd=ROOT,
                )
                wall = time.perf_counter() - started
                if child.returncode != 0:
                    print(f"{size:8} {mode:>15} failed: {child.stderr.strip().splitlines()[-1:]}")
                    continue
                data = json.loads(child.stdout.strip().splitlines()[-1])
                rate = data["entries"] / data["build"]
                print(
                    f"{data['entries']:8} {mode:>15} {data['build']:8.1f} {rate:10,.0f} "
                    f"{data['peak_kb'] / 1024:8,.0f} {data['client_kb'] / 1024:10,.0f} "
                    f"{data['worker_kb'] / 1024:10,.0f} "
                    f"{data['writers']['graph.graphml']:10.1f} {data['write']:14.1f} "
                    f"{wall:8.1f} {data['nodes']:8,} {data['edges']:9,} "
                    f"{data['graphml_bytes'] / 2**20:11,.0f}"
                )


if __name__ == "__main__":
    main()
