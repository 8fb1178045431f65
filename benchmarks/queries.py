"""Query time on graph.db at 1k, 10k and 100k entries: in-process, as a CLI process, memory.

Each size is a corpus of ``benchmarks/scale.py``'s synthetic entries; from 10k on it also
holds the real pages of ``../shared/corpora/pwc-dev/`` (their entries count towards the
size). It is built with ``kg build -j JOBS --quiet`` into a temporary folder, then:

- in-process: one fresh Python process opens ``graph.db`` and runs each query type
  (lineage, descendants, show, path, search, stats) on REPEAT names drawn from the graph,
  reporting the median and p95 time of each and the process' peak memory (VmHWM);
- CLI: ``kg <query> ... --graph graph.db --json`` run as a whole process CLI_REPEAT times
  per query type, median and p95 wall time.

Run:  python benchmarks/queries.py [--sizes 1000,10000,100000] [--jobs 2] [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REAL_PAGES = ROOT.parent / "shared" / "corpora" / "pwc-dev"

from benchmarks.scale import make_corpus  # noqa: E402

CHILD = r"""
import json, random, sys, time
from kg import lookup
from kg.errors import KgError
from kg.store import open_db

db, repeat = open_db(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)
rows = db.execute("SELECT label FROM nodes WHERE kind IS NOT 'paper' AND label IS NOT NULL")
concepts = [r[0] for r in rows]
names = rng.sample(concepts, min(repeat, len(concepts)))
pairs = list(zip(names, names[1:] + names[:1]))
words = [n.split()[0] for n in names if len(n.split()[0]) >= 3][:repeat]
queries = {
    "lineage": lambda i: lookup.lineage(db, names[i % len(names)]),
    "descendants": lambda i: lookup.offspring(db, names[i % len(names)]),
    "show": lambda i: lookup.card(db, names[i % len(names)]),
    "path": lambda i: lookup.path_between(db, *pairs[i % len(pairs)]),
    "search": lambda i: lookup.search(db, words[i % len(words)]),
    "stats": lambda i: lookup.stats(db),
}
times = {}
for kind, run in queries.items():
    spent = []
    for i in range(repeat):
        begun = time.perf_counter()
        try:
            run(i)
        except KgError:
            pass
        spent.append(time.perf_counter() - begun)
    times[kind] = spent
# ru_maxrss survives exec (it would be the parent's); VmHWM is this process' own.
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0])
print(json.dumps({"times": times, "peak_kb": peak, "names": names[:5], "words": words[:5]}))
"""


def real_entries() -> int:
    from kg.pipeline import segment_paths

    pages, _ = segment_paths(sorted(REAL_PAGES.glob("page_*.txt")))
    return sum(len(page.entries) for page in pages)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def build(size: int, folder: Path, out: Path, jobs: int, kg: list[str]) -> float:
    folder.mkdir()
    synthetic = size
    if size >= 10_000 and REAL_PAGES.is_dir():
        for page in sorted(REAL_PAGES.glob("page_*.txt")):
            shutil.copy(page, folder / f"real_{page.name}")
        synthetic = size - real_entries()
    make_corpus(synthetic, folder)
    started = time.perf_counter()
    subprocess.run(
        [*kg, "build", str(folder), "-o", str(out), "-j", str(jobs), "--quiet"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def cli_times(kg: list[str], db: Path, names: list[str], words: list[str], n: int) -> dict:
    commands = {
        "lineage": lambda i: ["lineage", names[i % len(names)]],
        "descendants": lambda i: ["lineage", names[i % len(names)], "--descendants"],
        "show": lambda i: ["show", names[i % len(names)]],
        "path": lambda i: ["path", names[i % len(names)], names[(i + 1) % len(names)]],
        "search": lambda i: ["search", words[i % len(words)]],
        "stats": lambda i: ["stats"],
    }
    times = {}
    for kind, args in commands.items():
        spent = []
        for i in range(n):
            begun = time.perf_counter()
            subprocess.run(
                [*kg, *args(i), "--graph", str(db), "--json"], capture_output=True, check=False
            )
            spent.append(time.perf_counter() - begun)
        times[kind] = spent
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=50, help="in-process runs per query")
    parser.add_argument("--cli-repeat", type=int, default=10, help="CLI runs per query")
    args = parser.parse_args()
    script = Path(sys.executable).parent / "kg"
    kg = [str(script)] if script.exists() else [sys.executable, "-m", "kg.cli"]
    print(
        f"{'entries':>8} {'nodes':>8} {'db MB':>6} {'build s':>8} {'query':>12} "
        f"{'median ms':>10} {'p95 ms':>8} {'CLI median s':>13} {'CLI p95 s':>10} {'peak MB':>8}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as work:
            folder, out = Path(work) / "pages", Path(work) / "out"
            built = build(size, folder, out, args.jobs, kg)
            db = out / "graph.db"
            child = subprocess.run(
                [sys.executable, "-c", CHILD, str(db), str(args.repeat)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            data = json.loads(child.stdout)
            names = data["names"]
            rng = random.Random(7)
            rng.shuffle(names)
            cli = cli_times(kg, db, names, data["words"], args.cli_repeat)
            (nodes,) = sqlite3.connect(db).execute("select count(*) from nodes").fetchone()
            for kind, spent in data["times"].items():
                print(
                    f"{size:8} {nodes:8,} {db.stat().st_size / 2**20:6.0f} {built:8.1f} "
                    f"{kind:>12} {statistics.median(spent) * 1000:10.1f} "
                    f"{p95(spent) * 1000:8.1f} {statistics.median(cli[kind]):13.2f} "
                    f"{p95(cli[kind]):10.2f} {data['peak_kb'] / 1024:8.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
