"""The ``kg`` command line: a thin shell over the library.

Each command checks its options, calls one library function and formats the result. Library
errors (:class:`~kg.errors.KgError`) become one line, ``Error: ...``, and exit code 1.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kg.errors import KgError

if TYPE_CHECKING:  # networkx is imported only where a command needs it (fast queries)
    import networkx as nx

DEFAULT_INPUT = "seeds"
DEFAULT_OUTPUT = "output"


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into ``Error: ...`` and exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KgError as error:
            raise click.ClickException(str(error)) from error
        except sqlite3.DatabaseError as error:  # a graph.db damaged after it was opened
            raise click.ClickException(f"the graph database: {error}; run kg build again") from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; nothing was written") from None
        except MemoryError:
            raise click.ClickException("out of memory; try fewer files at a time") from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kg")
def main() -> None:
    """kg: a knowledge graph of ML papers and concepts.

    Build a graph from pages of paper listings, then ask it where ideas come from.

    \b
    Example:
        kg build seeds/ -o output/
        kg lineage RoBERTa
    """


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _page_line(report: Any) -> str:
    if not report.read:
        return f"{report.name}: not read"
    line = f"{report.name}: {_plural(report.entries, 'entry').replace('entrys', 'entries')}"
    if report.declared is not None:
        line += f" (page says {report.declared} papers)"
    skipped = sum(report.skipped.values())
    if skipped:
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(report.skipped.items()))
        line += f"; skipped {_plural(skipped, 'line')}: {reasons}"
    return line


class _DaskTarget(click.ParamType):
    """``local:N`` (N >= 1 worker processes, returned as int) or a scheduler address."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.startswith("local:"):
            count = text[len("local:") :]
            if not count.isdigit() or int(count) < 1:
                self.fail(f"{text!r}: local:N needs a number of workers N >= 1", param, ctx)
            return int(count)
        if not text or any(c.isspace() for c in text):
            self.fail(f"{text!r} is not a scheduler address (tcp://host:8786) or local:N")
        return text


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Folder for graph.graphml, graph.json, graph.gexf, graph.html.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=None,
    help="Cap on nodes drawn in graph.html (default 800, the most connected).",
)
@click.option(
    "--focus",
    metavar="NAME",
    default=None,
    help="Draw graph.html around this paper or concept only.",
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="With --focus: steps around the focus node.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes for extraction.",
)
@click.option(
    "--dask",
    "dask_target",
    metavar="ADDRESS|local:N",
    type=_DaskTarget(),
    default=None,
    help="Extract on a Dask cluster: a scheduler address (tcp://host:8786), or local:N to "
    "start N worker processes here (needs: pip install 'kg[dask]').",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors and warnings.")
@_reports_errors
def build(
    paths: tuple[Path, ...],
    out: Path,
    max_nodes: int | None,
    focus: str | None,
    depth: int,
    jobs: int,
    dask_target: str | int | None,
    quiet: bool,
) -> None:
    """Build the graph from pages of paper listings.

    Reads every file under PATHS (default: seeds/), splits each page into paper entries,
    extracts concepts and lineage, and writes graph.graphml, graph.json, graph.gexf,
    graph.html and graph.db (what the queries read) into the output folder. Files appear
    whole or not at all.

    \b
    Example:
        kg build
        kg build seeds/ more-pages/ -o output/
        kg build --focus RoBERTa --depth 2
        kg build pages/ --dask local:2
        kg build pages/ --dask tcp://scheduler:8786
    """
    from kg.export import write_outputs
    from kg.pipeline import build as build_graph
    from kg.viewer import DEFAULT_MAX_NODES, neighbourhood, render_html

    if dask_target is not None and jobs > 1:
        raise click.UsageError("use just one of --dask and -j/--jobs")
    started = time.perf_counter()
    inputs = list(paths) or [Path(DEFAULT_INPUT)]
    show_progress = not quiet and sys.stderr.isatty()
    bar = _progress_bar() if show_progress else None
    cap = max_nodes or DEFAULT_MAX_NODES
    if dask_target is not None:
        _build_on_dask(inputs, out, dask_target, bar, cap, focus, depth, quiet, started)
        return
    result = build_graph(inputs, n_process=jobs, progress=bar)
    if bar is not None:
        bar(0, 0, finish=True)
    for notice in result.notices:
        click.echo(f"warning: {notice}", err=True)
    graph = result.graph
    if graph.number_of_nodes() == 0:
        raise click.ClickException(_NOTHING_FOUND)
    html_graph, note, focus_node = graph, "", None
    if focus:
        from kg.query import find_node

        node = find_node(graph, focus)
        html_graph, focus_node = neighbourhood(graph, node, depth), node
        note = f"Around {graph.nodes[node]['label']}, {depth} steps."

    def page() -> str:
        return render_html(html_graph, max_nodes=cap, note=note, focus=focus_node)

    written = write_outputs(graph, out, writers=_writers(page))
    if not quiet:
        _report_build(result.pages, _counts(graph), started, written)


_NOTHING_FOUND = "no paper entries found in the input; nothing was written"


def _report_build(
    pages: Iterable[Any], counts: dict[str, int], started: float, written: list[Path]
) -> None:
    for report in pages:
        click.echo(_page_line(report))
    click.echo(
        f"Built {counts['papers']} papers, {counts['concepts']} concepts, "
        f"{counts['edges']} edges ({counts['builds_on']} builds_on) in "
        f"{time.perf_counter() - started:.1f} s -> {', '.join(str(p) for p in written)}"
    )


class _ExitTwo(click.ClickException):
    exit_code = 2


def _build_on_dask(
    inputs: list[Path],
    out: Path,
    target: str | int,
    progress: Callable[..., None] | None,
    max_nodes: int,
    focus: str | None,
    depth: int,
    quiet: bool,
    started: float,
) -> None:
    """The build with extraction on a Dask cluster (imports Dask only here), streamed: the
    graph goes into a staged graph.db (:func:`kg.pipeline.build_stored`), and the other
    files are written from it, so this process never holds the whole graph."""
    try:
        from kg.cluster import OnCluster, connect
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("dask", "distributed"):
            raise
        raise _ExitTwo(
            "--dask needs Dask, which is not installed: pip install 'kg[dask]'"
        ) from None
    from kg.export import staged
    from kg.pipeline import build_stored

    created = not out.exists()
    try:
        with staged(out / "graph.db") as built:
            with connect(target) as client:
                result = build_stored(
                    inputs,
                    built,
                    workers=OnCluster(client),
                    progress=progress,
                    scratch=out,
                )
            if progress is not None:
                progress(0, 0, finish=True)
            for notice in result.notices:
                click.echo(f"warning: {notice}", err=True)
            if result.entries == 0:
                raise click.ClickException(_NOTHING_FOUND)
            written, counts = _write_from_store(built, out, max_nodes, focus, depth)
    except BaseException:
        if created:  # a failed build leaves no trace, not even the folder
            with contextlib.suppress(OSError):
                out.rmdir()
        raise
    if not quiet:
        _report_build(result.pages, counts, started, written)


def _write_from_store(
    built: str, out: Path, max_nodes: int, focus: str | None, depth: int
) -> tuple[list[Path], dict[str, int]]:
    """Write every output from the database ``built`` (moved into place as graph.db)."""
    from kg.export import write_outputs
    from kg.lookup import find_node, neighbourhood
    from kg.store import StoredGraph, open_db
    from kg.viewer import render_html, render_view, stored_view

    db = open_db(built)
    try:

        def page() -> str:
            if not focus:
                return render_view(stored_view(db, max_nodes))
            node = find_node(db, focus)
            (label,) = db.execute("SELECT label FROM nodes WHERE id = ?", (node,)).fetchone()
            note = f"Around {label}, {depth} steps."
            part = neighbourhood(db, node, depth)
            return render_html(part, max_nodes=max_nodes, note=note, focus=node)

        writers = _writers(page)
        # The database is built already: writing it is moving it into place.
        writers["graph.db"] = lambda _, tmp: os.replace(built, tmp)
        written = write_outputs(StoredGraph(db), out, writers=writers)
        return written, _stored_counts(db)
    finally:
        db.close()


def _stored_counts(db: Any) -> dict[str, int]:
    kinds = dict(db.execute("SELECT key, count FROM counts WHERE what = 'nodes'").fetchall())
    relations = dict(db.execute("SELECT key, count FROM counts WHERE what = 'edges'").fetchall())
    papers = kinds.get("paper", 0)
    return {
        "papers": papers,
        "concepts": sum(kinds.values()) - papers,
        "edges": sum(relations.values()),
        "builds_on": relations.get("builds_on", 0),
    }


def _writers(page: Callable[[], str]) -> dict[str, Callable[[Any, str], object]]:
    """The output files and how to write each (see :func:`kg.export.write_outputs`);
    ``page()`` makes graph.html."""
    from kg.export import gexf_to, graphml_to, json_to
    from kg.store import write_db

    def html(graph: Any, path: str) -> None:
        Path(path).write_text(page(), "utf-8")

    return {
        "graph.graphml": graphml_to,
        "graph.json": json_to,
        "graph.gexf": gexf_to,
        "graph.html": html,
        "graph.db": write_db,
    }


def _counts(graph: nx.DiGraph) -> dict[str, int]:
    papers = sum(1 for _, kind in graph.nodes(data="kind") if kind == "paper")
    builds_on = sum(1 for *_, r in graph.edges(data="relation") if r == "builds_on")
    return {
        "papers": papers,
        "concepts": graph.number_of_nodes() - papers,
        "edges": graph.number_of_edges(),
        "builds_on": builds_on,
    }


def _progress_bar() -> Callable[..., None]:
    """A progress line on stderr: entries done / total and the rate."""
    started = time.perf_counter()
    state = {"last": 0.0}

    def update(done: int, total: int, *, finish: bool = False) -> None:
        now = time.perf_counter()
        if finish:
            click.echo("", err=True)
            return
        if now - state["last"] < 0.2 and done != total:
            return
        state["last"] = now
        rate = done / max(now - started, 1e-9)
        width = 30
        filled = int(width * done / max(total, 1))
        click.echo(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} entries, {rate:,.0f}/s",
            err=True,
            nl=False,
        )

    return update


def _graph_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--graph",
        "graph_path",
        type=click.Path(path_type=Path),
        default=Path(DEFAULT_OUTPUT) / "graph.db",
        show_default=True,
        help="The graph to query (graph.db, or a graph.graphml, written by kg build).",
    )(command)


def _json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(command)


def query_command(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every query shares: ``--graph`` and ``--json``; errors as one line."""
    return _graph_option(_json_option(_reports_errors(command)))


def _emit(as_json: bool, data: Any, render: Callable[[Any], list[str]]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in render(data):
            click.echo(line)


def _load(graph_path: Path) -> sqlite3.Connection:
    from kg.store import open_db

    return open_db(graph_path)


def _render_tree(tree: dict, *, descendants: bool) -> list[str]:
    year = _years(tree)
    lines = [f"{tree['node']} [{tree['kind']}]{year}"]
    if not tree["children"]:
        relation = "builds on it" if descendants else "it builds on"
        lines.append(f"  (nothing in the graph says what {relation})")

    def walk(steps: list[dict], indent: str) -> None:
        for index, step in enumerate(steps):
            last = index == len(steps) - 1
            branch = "└── " if last else "├── "
            link = step["kind_of_link"] or "builds on"
            if step["inferred"]:
                link += ", inferred"
            when = _years(step)
            lines.append(f"{indent}{branch}{step['node']} [{step['kind']}]{when}  <{link}>")
            pad = indent + ("    " if last else "│   ")
            lines.append(f"{pad}  “{_clip(step['evidence'])}” {step['source']}")
            walk(step["children"], pad)

    walk(tree["children"], "")
    return lines


def _years(step: dict) -> str:
    """`` (2017)``, or `` (2017–2020)`` for a range, or nothing."""
    if not step.get("year"):
        return ""
    last = step.get("year_max")
    return f" ({step['year']}–{last})" if last and last != step["year"] else f" ({step['year']})"


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


@main.command("lineage")
@click.argument("name")
@click.option(
    "--descendants", is_flag=True, help="Show what grew from NAME instead of its ancestors."
)
@click.option(
    "--depth", type=click.IntRange(min=1), default=None, help="Steps to follow (all by default)."
)
@query_command
def lineage_command(
    name: str, descendants: bool, depth: int | None, graph_path: Path, as_json: bool
) -> None:
    """Show where NAME comes from (or, with --descendants, what came of it).

    Each step gives the kind of link (extends, improves, fine-tunes, uses, replaces,
    distills, scales), the sentence that says so and where it was read. Parents are listed
    oldest first.

    \b
    Example:
        kg lineage RoBERTa
        kg lineage Transformer --descendants --depth 2 --json
    """
    from kg.lookup import lineage, offspring

    graph = _load(graph_path)
    tree = offspring(graph, name, depth=depth) if descendants else lineage(graph, name, depth=depth)
    _emit(as_json, tree, lambda t: _render_tree(t, descendants=descendants))


@main.command("show")
@click.argument("name")
@query_command
def show_command(name: str, graph_path: Path, as_json: bool) -> None:
    """Show NAME's card: kind, years, aliases, papers, lineage neighbours.

    \b
    Example:
        kg show LoRA
        kg show "Attention Is All You Need" --json
    """
    from kg.lookup import card

    _emit(as_json, card(_load(graph_path), name), _render_card)


def _render_card(data: dict) -> list[str]:
    years = ""
    if data.get("year_min"):
        years = f", {data['year_min']}"
        if data.get("year_max") and data["year_max"] != data["year_min"]:
            years += f"–{data['year_max']}"
    lines = [f"{data['label']} [{data['kind']}{years}]"]
    if data.get("title"):
        lines.append(f"  title: {data['title']}")
    if data.get("sources"):
        lines.append(f"  listed at: {', '.join(data['sources'])}")
    if data["aliases"]:
        lines.append(f"  also written: {', '.join(data['aliases'])}")
    for key, heading in (("introduces", "introduces"), ("mentions", "mentions")):
        if data.get(key):
            lines.append(f"  {heading}: {', '.join(data[key])}")
    for key, heading in (("introduced_by", "introduced by"), ("mentioned_by", "mentioned by")):
        records = data.get(key) or []
        if records:
            lines.append(f"  {heading} {len(records)} paper(s):")
            for record in records[:8]:
                lines.append(
                    f"    {record['paper']}: “{_clip(record['evidence'], 120)}” {record['source']}"
                )
            if len(records) > 8:
                lines.append(f"    … and {len(records) - 8} more")
    for key, heading, side in (
        ("builds_on", "builds on", "parent"),
        ("built_upon_by", "built upon by", "child"),
    ):
        for step in data.get(key, []):
            inferred = ", inferred" if step["inferred"] else ""
            link = f"<{step['kind_of_link'] or 'builds on'}{inferred}>"
            evidence = f"“{_clip(step['evidence'], 120)}” {step['source']}"
            lines.append(f"  {heading} {step[side]} {link}: {evidence}")
    return lines


@main.command("path")
@click.argument("source")
@click.argument("target")
@query_command
def path_command(source: str, target: str, graph_path: Path, as_json: bool) -> None:
    """Show how SOURCE and TARGET are connected: the shortest chain of edges.

    \b
    Example:
        kg path QLoRA Transformer
    """
    from kg.lookup import path_between

    def render(steps: list[dict]) -> list[str]:
        lines = []
        for step in steps:
            arrow = f"--{step['relation']}-->" if step["forward"] else f"<--{step['relation']}--"
            lines.append(f"{step['from']} {arrow} {step['to']}")
            if step["evidence"]:
                lines.append(f"    “{_clip(step['evidence'], 140)}” {step['source']}")
        return lines

    _emit(as_json, path_between(_load(graph_path), source, target), render)


@main.command("search")
@click.argument("text")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@query_command
def search_command(text: str, limit: int, graph_path: Path, as_json: bool) -> None:
    """Find nodes whose name, alias, title or abstract contains TEXT.

    \b
    Example:
        kg search diffusion
    """
    from kg.lookup import search

    def render(hits: list[dict]) -> list[str]:
        if not hits:
            return [f"nothing matches {text!r}"]
        return [
            f"{h['label']} [{h['kind']}] {h['papers']} papers (matched {h['matched']})"
            for h in hits
        ]

    _emit(as_json, search(_load(graph_path), text, limit=limit), render)


@main.command("stats")
@query_command
def stats_command(graph_path: Path, as_json: bool) -> None:
    """Count nodes and edges, list the most-mentioned concepts and biggest lineage trees.

    \b
    Example:
        kg stats --json
    """
    from kg.lookup import stats

    def render(data: dict) -> list[str]:
        lines = [f"{data['nodes']} nodes, {data['edges']} edges"]
        lines.append("nodes: " + ", ".join(f"{k} {v}" for k, v in data["nodes_by_kind"].items()))
        lines.append(
            "edges: " + ", ".join(f"{k} {v}" for k, v in data["edges_by_relation"].items())
        )
        lines.append(
            f"builds_on: {data['builds_on_explicit']} stated, {data['builds_on_inferred']} inferred"
        )
        lines.append("most mentioned:")
        lines += [
            f"  {c['label']} [{c['kind']}] {c['papers']} papers" for c in data["most_mentioned"]
        ]
        lines.append("biggest lineage trees (what builds on the root):")
        lines += [f"  {t['root']}: {t['size']}" for t in data["biggest_lineage_trees"]]
        return lines

    _emit(as_json, stats(_load(graph_path)), render)


@main.command("html")
@click.argument("name")
@click.option(
    "--depth", type=click.IntRange(min=0), default=2, show_default=True, help="Steps around NAME."
)
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write (default: output/NAME.html next to the graph).",
)
@_graph_option
@_reports_errors
def html_command(name: str, depth: int, out: Path | None, graph_path: Path) -> None:
    """Write an HTML map of NAME's neighbourhood (DEPTH steps in either direction).

    \b
    Example:
        kg html Mixtral --depth 2
    """
    from kg.lookup import find_node, neighbourhood
    from kg.resolve import slug
    from kg.viewer import write_html

    db = _load(graph_path)
    node = find_node(db, name)
    part = neighbourhood(db, node, depth)
    label = str(part.nodes[node].get("label", node))
    target = out or graph_path.parent / f"{slug(label)}.html"
    write_html(part, target, note=f"Around {label}, {depth} steps.", focus=node)
    click.echo(f"{part.number_of_nodes()} nodes around {label} -> {target}")


if __name__ == "__main__":  # pragma: no cover
    main()
