"""Run the stages in order: read -> segment -> extract -> claims -> resolve -> lineage ->
graph.

Takes input paths. :func:`build` returns a :class:`BuildResult` with the graph and, per input
file, what segmentation found and left out; it writes nothing (see :mod:`kg.export`).
:func:`build_stored` runs the same stages for corpora bigger than memory: pages are read one at
a time, resolution keeps its per-entry records on disk (:class:`kg.spill.Spill`) and the graph
goes straight into a database file (:class:`kg.store.StoreWriter`) instead of a networkx graph;
given :class:`Workers` (a Dask cluster), extraction and the group-bys of resolution and
lineage run there. It returns the same reports. Neither prints anything: the caller reports.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import networkx as nx

from kg.claims import read_claims
from kg.graph import build_graph
from kg.groupby import GroupBy
from kg.lineage import add_lineage
from kg.model import Corpus, Entry, ExtractedEntry, Link, Notice, Page, Paper, SegmentedPage
from kg.read import read_pages
from kg.resolve import resolve, resolve_parts, resolve_stream
from kg.segment import load_page_cues, segment_page
from kg.spill import Spill
from kg.store import StoreWriter
from kg.vocab import Vocabulary, load_vocabulary

if TYPE_CHECKING:  # spaCy is imported only where this process extracts
    from spacy.language import Language

__all__ = [
    "BuildResult",
    "Extractor",
    "PageReport",
    "StoredBuild",
    "Workers",
    "build",
    "build_stored",
    "segment_paths",
]

#: What turns entries into extracted entries with their claims read, in order: by default
#: :func:`kg.extract.extract_entries` then :func:`kg.claims.read_claims` in this process
#: (and its ``n_process`` pool).
Extractor = Callable[[Iterable[Entry]], Iterable[ExtractedEntry]]


class Workers(GroupBy, Protocol):
    """Somewhere else to extract and resolve (:class:`kg.cluster.OnCluster`): it summarises
    batches of entries for resolution (:func:`kg.resolve.summarise`), yielding each batch's
    records and a handle on its facts, and runs resolution's group-bys over them."""

    def summarise(
        self, entries: Iterable[Entry], vocabulary: Vocabulary
    ) -> Iterable[tuple[list, Any]]: ...


@dataclass(frozen=True)
class PageReport:
    """What one input file yielded.

    Attributes
    ----------
    name : str
        File name.
    entries : int
        Paper entries found.
    declared : int or None
        The number of papers the page says it lists, if it says.
    skipped : dict
        ``{reason: lines}`` for lines left out of every entry.
    read : bool
        False when the file was not read at all (empty, binary ...).
    """

    name: str
    entries: int
    declared: int | None
    skipped: dict[str, int]
    read: bool = True


@dataclass(frozen=True)
class BuildResult:
    """The graph and what the build has to report.

    Attributes
    ----------
    graph : networkx.DiGraph
    pages : tuple of PageReport
    notices : tuple of Notice
        Warnings naming ``FILE[:LINE]``.
    """

    graph: nx.DiGraph
    pages: tuple[PageReport, ...]
    notices: tuple[Notice, ...]


def segment_paths(paths: Iterable[str | Path]) -> tuple[list[SegmentedPage], list[Notice]]:
    """Read and segment every file under ``paths``.

    Returns
    -------
    (list of SegmentedPage, list of Notice)
        The segmented pages, and notices about files that could not be read.
    """
    cues = load_page_cues()
    pages: list[SegmentedPage] = []
    skipped_files: list[Notice] = []
    for item in read_pages(paths):
        if isinstance(item, Page):
            pages.append(segment_page(item, cues))
        else:
            skipped_files.append(item)
    return pages, skipped_files


def build(
    paths: Iterable[str | Path],
    *,
    nlp: Language | None = None,
    vocabulary: Vocabulary | None = None,
    n_process: int = 1,
    batch_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
    extractor: Extractor | None = None,
) -> BuildResult:
    """Build the knowledge graph from the pages under ``paths``.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders.
    nlp : Language, optional
        From :func:`kg.extract.build_pipeline`; built when not given.
    vocabulary : Vocabulary, optional
        Defaults to the packaged one.
    n_process, batch_size : int
        Passed to ``nlp.pipe``.
    progress : callable, optional
        Called as ``progress(entries_done, entries_total)`` while extracting.
    extractor : callable, optional
        Extraction and claims somewhere else (see :data:`Extractor`); ``nlp``,
        ``n_process`` and ``batch_size`` are then not used.

    Returns
    -------
    BuildResult

    Raises
    ------
    InputError
        A path does not exist or holds no files.
    """
    pages, skipped_files = segment_paths(paths)
    vocabulary = vocabulary or load_vocabulary()
    # Entries leave the queue as extraction takes them, so their text is freed as it goes.
    entries: deque[Entry] = deque(entry for page in pages for entry in page.entries)
    total = len(entries)
    reports = [_report(page) for page in pages]
    notices = [n for page in pages for n in page.notices] + skipped_files
    del pages

    def drain(queue: deque[Entry]) -> Iterator[Entry]:
        while queue:
            yield queue.popleft()

    def counted(stream: Iterable) -> Iterable:
        for done, item in enumerate(stream, start=1):
            if progress is not None:
                progress(done, total)
            yield item

    extract = extractor or _extract_here(nlp, n_process, batch_size)
    claimed = extract(drain(entries))
    corpus = add_lineage(resolve(counted(claimed), vocabulary))
    graph = build_graph(corpus)
    reports += [PageReport(n.source, 0, None, {}, read=False) for n in skipped_files]
    notices += list(corpus.notices)
    return BuildResult(graph=graph, pages=tuple(reports), notices=tuple(notices))


def _report(page: SegmentedPage) -> PageReport:
    return PageReport(
        name=page.name,
        entries=len(page.entries),
        declared=page.declared_count,
        skipped=dict(Counter(skip.reason for skip in page.skipped)),
    )


@dataclass(frozen=True)
class StoredBuild:
    """What :func:`build_stored` has to report.

    Attributes
    ----------
    entries : int
        Paper entries found; 0 means nothing was written.
    pages : tuple of PageReport
    notices : tuple of Notice
    """

    entries: int
    pages: tuple[PageReport, ...]
    notices: tuple[Notice, ...]


def build_stored(
    paths: Iterable[str | Path],
    path: str | Path,
    *,
    extractor: Extractor | None = None,
    workers: Workers | None = None,
    vocabulary: Vocabulary | None = None,
    n_process: int = 1,
    batch_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
    scratch: str | Path | None = None,
) -> StoredBuild:
    """Build the knowledge graph from the pages under ``paths`` into the database ``path``
    (:mod:`kg.store`), holding per entry only a few numbers (what paper merging's guards
    check) besides the concepts and lineage's input.

    The database is the one :func:`build` then :func:`kg.store.write_db` make of the same
    pages (a test compares them); :class:`kg.store.StoredGraph` and
    :func:`kg.viewer.stored_view` write the other outputs from it.

    Parameters
    ----------
    paths : iterable of str or Path
    path : str or Path
        The database file to write (replaced); not written when no entry is found, and
        removed if the build fails.
    extractor, vocabulary, n_process, batch_size
        As for :func:`build`.
    workers : Workers, optional
        Extract, and run resolution's group-bys, there (:class:`kg.cluster.OnCluster`)
        instead of in this process; ``extractor`` is then not used.
    progress : callable, optional
        ``progress(entries_done, entries_seen)``: pages are read as extraction goes, so the
        second number grows until the last page is read.
    scratch : str or Path, optional
        The folder for the records resolution keeps on disk (the system's temporary folder
        by default).

    Returns
    -------
    StoredBuild

    Raises
    ------
    InputError
        A path does not exist or holds no files.
    """
    vocabulary = vocabulary or load_vocabulary()
    reports: list[PageReport] = []
    notices: list[Notice] = []
    skipped_files: list[Notice] = []
    seen = [0]

    def entries() -> Iterator[Entry]:
        cues = load_page_cues()
        for item in read_pages(paths):
            if isinstance(item, Notice):
                skipped_files.append(item)
                continue
            page = segment_page(item, cues)
            reports.append(_report(page))
            notices.extend(page.notices)
            seen[0] += len(page.entries)
            yield from page.entries

    def finished(more: Iterable[Notice] = ()) -> StoredBuild:
        # As build() reports them: files not read last.
        pages = reports + [PageReport(n.source, 0, None, {}, read=False) for n in skipped_files]
        return StoredBuild(seen[0], tuple(pages), (*notices, *skipped_files, *more))

    stream = entries()
    # Reading errors (a missing path) surface here, before any extraction starts.
    first = next(stream, None)
    if first is None:
        return finished()
    queue = itertools.chain([first], stream)

    def counted(items: Iterable[ExtractedEntry]) -> Iterator[ExtractedEntry]:
        for done, item in enumerate(items, start=1):
            if progress is not None:
                progress(done, seen[0])
            yield item

    def counted_batches(batches: Iterable[tuple[list, Any]]) -> Iterator[tuple[list, Any]]:
        done = 0
        for batch in batches:
            done += len(batch[0])
            if progress is not None:
                progress(done, seen[0])
            yield batch

    writer: StoreWriter | None = None
    try:
        with Spill(scratch) as records:
            if workers is None:
                claimed = (extractor or _extract_here(None, n_process, batch_size))(queue)
                resolution = resolve_stream(counted(claimed), vocabulary, records=records)
            else:
                batches = counted_batches(workers.summarise(queue, vocabulary))
                resolution = resolve_parts(batches, vocabulary, workers, records=records)
            writer = StoreWriter(path)
            papers: list[Paper] = []
            lineage_links: list[Link] = []
            for paper, links in resolution.papers:
                writer.add_paper(paper)
                writer.add_links(link for link in links if link.relation != "builds_on")
                # Lineage reads the introductions and the claims; mentions stay in the file.
                lineage_links += [link for link in links if link.relation != "mentions"]
                papers.append(Paper(paper.key, "", "", (), "", paper.year_min, paper.year_max))
        corpus = add_lineage(
            Corpus(tuple(papers), resolution.concepts, tuple(lineage_links)),
            names=writer.names,
            engine=workers,
        )
        del papers, lineage_links
        writer.add_concepts(resolution.concepts)
        writer.add_links(link for link in corpus.links if link.relation == "builds_on")
        writer.finish()
    except BaseException:
        if writer is not None:
            writer.close()
        Path(path).unlink(missing_ok=True)
        raise
    return finished(corpus.notices)


def _extract_here(nlp: Language | None, n_process: int, batch_size: int) -> Extractor:
    """The default :data:`Extractor`: this process's pipeline (and its ``n_process`` pool),
    then the claims; spaCy is imported only when it runs."""

    def extract(entries: Iterable[Entry]) -> Iterator[ExtractedEntry]:
        from kg.extract import build_pipeline, extract_entries

        pipeline = nlp or build_pipeline()
        found = extract_entries(entries, pipeline, batch_size=batch_size, n_process=n_process)
        return (read_claims(item) for item in found)

    return extract
