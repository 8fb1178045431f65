"""The HTML map in a real headless Chromium with the network blocked.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` package
(used only to drive that browser; no browser is downloaded). Skipped without Chromium,
unless ``KG_REQUIRE_BROWSER=1`` (CI), where it fails instead. Screenshots go to the test's
temporary folder, or to ``KG_SCREENSHOTS`` when set; with ``KG_SCREENSHOT_CORPUS`` set to a
folder of pages, one more test builds it and screenshots both views (off by default: slow).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.layout import FONT_SIZE
from kg.viewer import DEFAULT_MAX_NODES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("KG_REQUIRE_BROWSER") == "1"
# The flags the machine needs: no sandbox as root, and no background connections.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("KG_REQUIRE_BROWSER=1 but no chromium on PATH")
        pytest.skip("no chromium on PATH")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Visit:
    """A page opened from file:// with every other request refused and recorded."""

    def __init__(self, browser, path, fragment=""):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.left_file = []
        self.errors = []
        self.dialogs = []

        def route(route):
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                self.left_file.append(route.request.url)
                route.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on(
            "dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss())
        )
        self.page.goto(path.as_uri() + fragment)
        self.page.wait_for_selector('body[data-ready="1"]', state="attached", timeout=60_000)

    def count_nodes(self) -> int:
        return self.page.evaluate("window.kgNetwork.body.data.nodes.length")

    def overview(self):
        self.page.click("#view-overview")
        self.page.wait_for_selector('body[data-overview-ready="1"]', state="attached")

    def visible_labels(self) -> set[str]:
        return set(
            self.page.evaluate(
                "window.kgNetwork.body.data.nodes.get().filter(n => !n.hidden).map(n => n.label)"
            )
        )

    def wait_until(self, expression: str, timeout: float = 30.0) -> None:
        """Poll `expression` until it is truthy.

        Playwright's wait_for_function evals its predicate inside the page, which the map's
        Content-Security-Policy (no 'unsafe-eval') refuses; page.evaluate is not bound by it.
        """
        deadline = time.monotonic() + timeout
        while not self.page.evaluate(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout:.0f} s: {expression}")
            self.page.wait_for_timeout(100)

    def close(self):
        self.context.close()


def _shots(tmp_path) -> Path:
    folder = Path(os.environ.get("KG_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_seed_map_opens_offline_without_errors(browser, seeds_graph, tmp_path):
    graph, out = seeds_graph
    shots = _shots(tmp_path)
    visit = Visit(browser, out / "graph.html")
    try:
        # The lineage view opens first, then the overview: neither asks the network for anything.
        assert visit.page.get_attribute("body", "data-view") == "lineage"
        assert visit.count_nodes() == int(visit.page.get_attribute("body", "data-lineage-count"))
        assert visit.count_nodes() > 20
        assert "model" in visit.page.inner_text("#legend")
        assert "fine-tunes" in visit.page.inner_text("#links")
        visit.page.screenshot(path=str(shots / "seeds-lineage.png"))
        visit.overview()
        shown = min(DEFAULT_MAX_NODES, graph.number_of_nodes())
        assert visit.count_nodes() == shown
        assert visit.page.get_attribute("body", "data-node-count") == str(shown)
        visit.page.screenshot(path=str(shots / "seeds-overview.png"))
        assert visit.left_file == []
        assert visit.errors == []
        # Search finds a node and the panel shows its lineage; an absent name says what to run.
        visit.page.fill("#search", "Transformer")
        visit.page.dispatch_event("#search", "change")
        panel = visit.page.inner_text("#panel")
        assert panel.startswith("Transformer") and "Built upon by" in panel and "BERT" in panel
        visit.page.fill("#search", "no such thing at all")
        visit.page.dispatch_event("#search", "change")
        assert "not on this map" in visit.page.inner_text("#panel")
        assert "kg html NAME" in visit.page.inner_text("#panel")
        assert (shots / "seeds-lineage.png").stat().st_size > 10_000
        assert visit.errors == []
    finally:
        visit.close()


def test_lineage_view_is_a_readable_time_axis(browser, seeds_graph):
    _, out = seeds_graph
    visit = Visit(browser, out / "graph.html")
    try:
        drawn = visit.page.evaluate(
            """() => { const pos = kgNetwork.getPositions();
                return kgData.lineage.nodes.map(n => ({id: n.id, year: n.year, x: pos[n.id].x,
                  box: kgNetwork.getBoundingBox(n.id)})); }"""
        )
        # x follows the year (read from the page's positions); no year stands left of all years.
        for first in drawn:
            for second in drawn:
                a, b = first["year"], second["year"]
                if (a is None and b is not None) or (None not in (a, b) and a < b):
                    assert first["x"] < second["x"], (first["id"], second["id"])
        # No two label boxes overlap, as vis-network measured them on the canvas.
        boxes = sorted((d["box"] for d in drawn), key=lambda b: b["left"])
        for i, one in enumerate(boxes):
            for other in boxes[i + 1 :]:
                if other["left"] >= one["right"]:
                    break
                assert not (one["top"] < other["bottom"] and other["top"] < one["bottom"])
        # Labels are at least 11 px on screen at the first view.
        assert visit.page.evaluate("kgNetwork.getScale()") * FONT_SIZE >= 11 - 1e-6
        assert visit.errors == []
    finally:
        visit.close()


def test_click_highlights_the_lineage_and_lists_the_evidence(browser, seeds_graph):
    graph, out = seeds_graph
    ids = {d["label"]: n for n, d in graph.nodes(data=True) if d.get("kind") != "paper"}
    visit = Visit(browser, out / "graph.html")
    try:
        bert = ids["BERT"]
        point = visit.page.evaluate(
            """(id) => { kgNetwork.moveTo({position: kgNetwork.getPositions([id])[id]});
                const at = kgNetwork.canvasToDOM(kgNetwork.getPositions([id])[id]);
                const box = document.getElementById("network-lineage").getBoundingClientRect();
                return [box.left + at.x, box.top + at.y]; }""",
            bert,
        )
        visit.page.mouse.click(*point)
        colours = visit.page.evaluate(
            "Object.fromEntries(kgNetwork.body.data.nodes.get().map(n => [n.label, n.color]))"
        )
        dim = "rgba(200,205,210,0.35)"
        assert colours["RoBERTa"] != dim and colours["Transformer"] != dim
        assert dim in colours.values()
        panel = visit.page.inner_text("#panel")
        assert panel.startswith("BERT")
        assert "Transformer" in panel and "RoBERTa" in panel
        assert "“" in panel and ".txt:" in panel  # evidence sentences with FILE:LINE
        assert "Introduced by" in panel and "Mentioned by" in panel
        assert visit.errors == []
    finally:
        visit.close()


def test_umbrella_terms_hidden_until_asked_for(browser, seeds_graph):
    _, out = seeds_graph
    visit = Visit(browser, out / "graph.html")
    try:
        visit.overview()
        assert "fine-tuning" not in visit.visible_labels()
        assert "Transformer" in visit.visible_labels()
        visit.page.check("#umbrella")
        assert "fine-tuning" in visit.visible_labels()
        visit.page.fill("#min-papers", "30")
        visit.page.dispatch_event("#min-papers", "input")
        labels = visit.visible_labels()
        assert "Transformer" in labels and "GPT-4" not in labels
        # Papers get their short labels once the reader zooms in.
        papers = "kgNetwork.body.data.nodes.get().filter(n => n.shape === 'square' && n.label)"
        assert visit.page.evaluate(papers + ".length") == 0
        box = visit.page.locator("#network-overview").bounding_box()
        visit.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        # How far one wheel step zooms is vis-network's business; wheel until the scale is readable.
        for _ in range(60):
            if visit.page.evaluate("kgNetwork.getScale()") >= 1.3:
                break
            visit.page.mouse.wheel(0, -400)
            visit.page.wait_for_timeout(20)
        visit.wait_until(papers + ".length > 0")
        assert visit.errors == []
    finally:
        visit.close()


def test_url_fragment_opens_a_view_on_a_node(browser, seeds_graph):
    _, out = seeds_graph
    for view, name in (("lineage", "RoBERTa"), ("overview", "Transformer")):
        visit = Visit(browser, out / "graph.html", f"#node={name}&view={view}")
        try:
            visit.wait_until(f"document.getElementById('panel').innerText.startsWith('{name}')")
            assert visit.page.get_attribute("body", "data-view") == view
            selected = visit.page.evaluate("kgNetwork.getSelectedNodes()")
            assert len(selected) == 1
            assert visit.errors == [] and visit.left_file == []
        finally:
            visit.close()


@pytest.mark.skipif(
    not os.environ.get("KG_SCREENSHOT_CORPUS"), reason="KG_SCREENSHOT_CORPUS not set"
)
def test_screenshots_of_a_real_build(browser, tmp_path):
    corpus = Path(os.environ["KG_SCREENSHOT_CORPUS"])
    pages = sorted(str(p) for p in corpus.glob("*.txt"))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", *pages, "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    shots = _shots(tmp_path)
    visit = Visit(browser, out / "graph.html")
    try:
        visit.page.screenshot(path=str(shots / f"{corpus.name}-lineage.png"))
        visit.overview()
        visit.page.screenshot(path=str(shots / f"{corpus.name}-overview.png"))
        assert visit.errors == [] and visit.left_file == []
    finally:
        visit.close()


PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(2)>',
    "javascript:alert(3)",
]


def test_script_like_titles_show_as_text_and_run_nothing(browser, tmp_path):
    lines = []
    for number, payload in enumerate(PAYLOADS, start=1):
        lines.append(f"{payload}: Evil Model {number}")
        lines.append(
            f"We present EvilNet{number}, a model whose name is {payload} and whose abstract "
            "tries to run code in the reader's browser, and we show that a careful viewer "
            "prints it as plain text instead of running it, on three benchmarks."
        )
    page = tmp_path / "evil.txt"
    page.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(page), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(out / "graph.graphml")
    assert any(PAYLOADS[0] in d.get("title", "") for _, d in graph.nodes(data=True))

    visit = Visit(browser, out / "graph.html")
    try:
        assert visit.dialogs == []
        assert visit.left_file == []
        assert visit.errors == []
        assert visit.page.evaluate("document.querySelectorAll('img, svg, iframe').length") == 0
        assert visit.page.evaluate("document.querySelectorAll('[onerror], [onload]').length") == 0
        # The payload reaches the screen as text: in the search list and the side panel.
        label = next(
            d["label"] for _, d in graph.nodes(data=True) if PAYLOADS[0] in d.get("title", "")
        )
        visit.page.fill("#search", label)
        visit.page.dispatch_event("#search", "change")
        assert PAYLOADS[0] in visit.page.inner_text("#panel")
        assert visit.page.evaluate("document.querySelectorAll('img, svg').length") == 0
        assert visit.dialogs == []
    finally:
        visit.close()
