"""The HTML map in a real headless Chromium with the network blocked.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` package
(used only to drive that browser; no browser is downloaded). Skipped without Chromium,
unless ``KG_REQUIRE_BROWSER=1`` (CI), where it fails instead.
"""

from __future__ import annotations

import os
import shutil

import networkx as nx
import pytest
from click.testing import CliRunner

from kg.cli import main
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

    def __init__(self, browser, path):
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
        self.page.goto(path.as_uri())
        self.page.wait_for_selector('body[data-ready="1"]', state="attached", timeout=60_000)

    def count_nodes(self) -> int:
        return self.page.evaluate("window.kgNetwork.body.data.nodes.length")

    def close(self):
        self.context.close()


def test_seed_map_opens_offline_without_errors(browser, seeds_graph, tmp_path):
    graph, out = seeds_graph
    visit = Visit(browser, out / "graph.html")
    try:
        shown = min(DEFAULT_MAX_NODES, graph.number_of_nodes())
        assert visit.count_nodes() == shown
        assert visit.page.get_attribute("body", "data-node-count") == str(shown)
        assert visit.left_file == []
        assert visit.errors == []
        # The legend lists the kinds; search finds a node and the panel shows its lineage.
        assert "model" in visit.page.inner_text("#legend")
        visit.page.fill("#search", "Transformer")
        visit.page.dispatch_event("#search", "change")
        panel = visit.page.inner_text("#panel")
        assert panel.startswith("Transformer") and "Built upon by" in panel and "BERT" in panel
        visit.page.fill("#search", "no such thing at all")
        visit.page.dispatch_event("#search", "change")
        assert "not on this map" in visit.page.inner_text("#panel")
        visit.page.screenshot(path=str(tmp_path / "map.png"))
        assert (tmp_path / "map.png").stat().st_size > 10_000
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
