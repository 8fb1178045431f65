"""Time from load to the first settled frame of graph.html in Chromium, on 1k, 10k, 100k entries.

Each size is the synthetic corpus of ``benchmarks/scale.py`` (recombined seed sentences),
built with ``kg build -j 2 --quiet`` in a temporary folder. The page is opened from file:// in
headless Chromium (``/usr/bin/chromium``, driven by playwright, network refused), 1600x1000.

Prints, per size: entries, graph nodes, page size, nodes drawn in the lineage view, the time
from navigation start to the lineage view's first settled frame (the page's own
``performance.now()`` when it marks itself ready), and the time from a click on "Overview" to
the overview's settled frame (physics stabilised, or drawn when physics is off). Target: the
lineage view settles in <= 2 s at every size (the page caps what it draws).

Run:  python benchmarks/html_render.py [--sizes 1000 10000 100000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scale import make_corpus  # noqa: E402

TARGET_S = 2.0
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def measure(browser, page_path: Path) -> dict:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort()
    )
    page = context.new_page()
    page.goto(page_path.as_uri())
    page.wait_for_selector('body[data-ready="1"]', state="attached", timeout=120_000)
    lineage = page.evaluate("window.kglineageReadyAt") / 1000
    drawn = page.evaluate("window.kgNetwork.body.data.nodes.length")
    clicked = page.evaluate("performance.now()")
    page.click("#view-overview")
    page.wait_for_selector('body[data-overview-ready="1"]', state="attached", timeout=120_000)
    overview = (page.evaluate("window.kgoverviewReadyAt") - clicked) / 1000
    context.close()
    return {"lineage": lineage, "overview": overview, "drawn": drawn}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    kg = Path(sys.executable).parent / "kg"
    print(
        f"{'entries':>8} {'build s':>8} {'nodes':>8} {'page MB':>8} {'drawn':>6} "
        f"{'lineage s':>10} {'overview s':>11} {'<= 2 s':>7}"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        for size in args.sizes:
            with tempfile.TemporaryDirectory() as work:
                folder, out = Path(work) / "pages", Path(work) / "out"
                folder.mkdir()
                make_corpus(size, folder)
                started = time.perf_counter()
                subprocess.run(
                    [
                        str(kg),
                        "build",
                        str(folder),
                        "-o",
                        str(out),
                        "-j",
                        str(args.jobs),
                        "--quiet",
                    ],
                    check=True,
                    capture_output=True,
                )
                built = time.perf_counter() - started
                import networkx as nx

                nodes = nx.read_graphml(out / "graph.graphml").number_of_nodes()
                result = measure(browser, out / "graph.html")
                ok = "yes" if result["lineage"] <= TARGET_S else "no"
                print(
                    f"{size:8} {built:8.1f} {nodes:8,} "
                    f"{(out / 'graph.html').stat().st_size / 2**20:8.1f} {result['drawn']:6} "
                    f"{result['lineage']:10.2f} {result['overview']:11.2f} {ok:>7}",
                    flush=True,
                )
        browser.close()


if __name__ == "__main__":
    main()
