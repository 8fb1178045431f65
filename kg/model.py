"""Records passed between the pipeline stages.

read -> :class:`Page`; segment -> :class:`Entry` (+ :class:`Skip`); extract ->
:class:`Mention` and :class:`Claim` per entry (:class:`ExtractedEntry`); resolve ->
:class:`Paper`, :class:`Concept`, :class:`Link` (a :class:`Corpus`); graph -> ``networkx``.

Every record that comes from text carries ``source`` = ``"FILE:LINE"`` (file name only,
1-based line), and every link carries the ``evidence`` sentence it was read from. The records
are frozen: a stage returns new records and never edits the ones it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "KINDS",
    "LINK_KINDS",
    "Claim",
    "Concept",
    "Corpus",
    "Entry",
    "ExtractedEntry",
    "Link",
    "Mention",
    "Notice",
    "Page",
    "Paper",
    "Paragraph",
    "SegmentedPage",
    "Skip",
]

#: Concept kinds; the first four are the core kinds.
KINDS = ("model", "method", "benchmark", "dataset", "metric", "task", "org")

#: How a child concept builds on its parent.
LINK_KINDS = ("extends", "improves", "fine-tunes", "uses", "replaces", "distills", "scales")


@dataclass(frozen=True)
class Notice:
    """Something about the input the user should know; the run goes on.

    Attributes
    ----------
    source : str
        ``"FILE"`` or ``"FILE:LINE"``.
    message : str
        One line, saying what happened and what was done about it.
    """

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass(frozen=True)
class Page:
    """A decoded input file, split into lines.

    Attributes
    ----------
    name : str
        The file name (no folders); it is what ``sources`` name.
    path : str
        The path as found.
    lines : tuple of str
        The text lines, without line ends; line ``n`` is ``lines[n - 1]``. A line that could
        not be kept (too long) is an empty string, so numbering still matches the file.
    notices : tuple of Notice
        What reading had to say about this file (encoding guessed, HTML converted ...).
    """

    name: str
    path: str
    lines: tuple[str, ...]
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Paragraph:
    """One line of an entry's body.

    Attributes
    ----------
    text : str
    line : int
        1-based line number in the page.
    role : str
        ``"abstract"`` (the authors' voice), ``"summary"`` (third-person summary or review),
        ``"description"`` (a short timeline note) or ``"blurb"`` (a short teaser line).
    """

    text: str
    line: int
    role: str


@dataclass(frozen=True)
class Entry:
    """One paper as listed on one page.

    Attributes
    ----------
    file : str
        File name of the page.
    start, end : int
        First and last line (1-based, inclusive) of the entry in the page.
    title : str
        The title line, or ``""`` when the page gives none.
    title_line : int
        Line number of the title, 0 when there is none.
    paragraphs : tuple of Paragraph
        The body lines in page order.
    section : str
        The page heading the entry is listed under, ``""`` if none.
    year_min, year_max : int or None
        The year range of an era heading the entry is listed under.
    """

    file: str
    start: int
    end: int
    title: str = ""
    title_line: int = 0
    paragraphs: tuple[Paragraph, ...] = ()
    section: str = ""
    year_min: int | None = None
    year_max: int | None = None

    @property
    def source(self) -> str:
        """``"FILE:START-END"``."""
        return f"{self.file}:{self.start}-{self.end}"

    @property
    def abstract(self) -> str:
        """The first body paragraph that is not a blurb (the blurb when there is nothing else)."""
        for paragraph in self.paragraphs:
            if paragraph.role != "blurb":
                return paragraph.text
        return self.paragraphs[0].text if self.paragraphs else ""

    def lines(self) -> list[tuple[int, str]]:
        """``(line number, text)`` for the title and every paragraph, in page order."""
        pairs = [(self.title_line, self.title)] if self.title else []
        pairs += [(p.line, p.text) for p in self.paragraphs]
        return pairs


@dataclass(frozen=True)
class Skip:
    """A page line that is not part of any entry.

    Attributes
    ----------
    source : str
        ``"FILE:LINE"``.
    reason : str
        ``"chrome"``, ``"heading"``, ``"noise"`` or ``"unreadable"``.
    detail : str
        Why, in a few words (the pattern that matched, the heading text ...).
    """

    source: str
    reason: str
    detail: str


@dataclass(frozen=True)
class SegmentedPage:
    """The entries of one page and the lines that were left out.

    Attributes
    ----------
    name : str
        File name.
    entries : tuple of Entry
    skipped : tuple of Skip
    declared_count : int or None
        The number of papers the page says it lists ("98 papers"), when it says so.
    notices : tuple of Notice
        Notices from reading and segmenting this page.
    """

    name: str
    entries: tuple[Entry, ...]
    skipped: tuple[Skip, ...] = ()
    declared_count: int | None = None
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Mention:
    """A concept name found in an entry's text.

    Attributes
    ----------
    text : str
        The name as written, without a size suffix ("Llama 2" for "Llama 2 70B").
    kind : str
        One of :data:`KINDS`.
    key : str
        The vocabulary id when the name is known, else ``""`` (resolution picks a key).
    origin : str
        How it was found: ``"vocab"``, ``"acronym"``, ``"introduced"``, ``"shape"``,
        ``"context"`` or ``"eponym"`` (named after a person: "Markov chain").
    sentence : str
        The sentence it was found in (the evidence).
    source : str
        ``"FILE:LINE"``.
    start, end : int
        Character offsets of ``text`` within ``sentence``.
    introduced : bool
        True when the entry's paper introduces it.
    size : str
        A size written after the name ("70B", "8x7B"), else ``""``.
    long_form : str
        For an acronym defined in the text, its long form ("Low-Rank Adaptation").
    """

    text: str
    kind: str
    key: str
    origin: str
    sentence: str
    source: str
    start: int
    end: int
    introduced: bool = False
    size: str = ""
    long_form: str = ""


@dataclass(frozen=True)
class Claim:
    """A sentence saying one concept builds on another.

    Attributes
    ----------
    child : Mention or None
        The concept that builds on the parent; ``None`` when the sentence speaks of "it",
        "this model", "we": it then means what the entry introduces.
    parent : Mention or None
        The concept built on; ``None`` for "on top of it": what the entry introduces.
    link : str
        One of :data:`LINK_KINDS`.
    evidence : str
        The sentence.
    source : str
        ``"FILE:LINE"``.
    cue : str
        The cue phrase that matched ("based on", "fine-tuned from" ...).
    """

    child: Mention | None
    parent: Mention | None
    link: str
    evidence: str
    source: str
    cue: str = ""


@dataclass(frozen=True)
class ExtractedEntry:
    """An entry with what the extractor found in it.

    Attributes
    ----------
    entry : Entry
    mentions : tuple of Mention
    claims : tuple of Claim
    """

    entry: Entry
    mentions: tuple[Mention, ...] = ()
    claims: tuple[Claim, ...] = ()


@dataclass(frozen=True)
class Concept:
    """One concept node, however it is spelled.

    Attributes
    ----------
    key : str
        Stable id (the vocabulary id, or a normalised form of a discovered name).
    label : str
        Display name.
    kind : str
        One of :data:`KINDS`.
    aliases : tuple of str
        Other spellings seen, sorted.
    """

    key: str
    label: str
    kind: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Paper:
    """One paper node, possibly listed on several pages.

    Attributes
    ----------
    key : str
        Stable id.
    label : str
        Short display name.
    title : str
        The title, ``""`` when no page gives one.
    sources : tuple of str
        ``"FILE:START-END"`` of every entry merged into this paper.
    abstract : str
        First paragraph of the first entry that has one.
    year_min, year_max : int or None
    introduces : tuple of str
        Keys of the concepts the paper introduces.
    """

    key: str
    label: str
    title: str
    sources: tuple[str, ...]
    abstract: str = ""
    year_min: int | None = None
    year_max: int | None = None
    introduces: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    """An edge between two nodes, with its evidence.

    Attributes
    ----------
    child, parent : str
        Node keys. For ``introduces``/``mentions`` the child is the paper and the parent the
        concept; for ``builds_on`` the child builds on the parent.
    relation : str
        ``"introduces"``, ``"mentions"`` or ``"builds_on"``.
    evidence : str
        The sentence that supports the edge.
    source : str
        ``"FILE:LINE"``.
    kind_of_link : str
        For ``builds_on``: one of :data:`LINK_KINDS`; else ``""``.
    inferred : bool
        True for a ``builds_on`` edge inferred rather than stated.
    size : str
        For a mention of a sized variant ("70B"), the size.
    stated_at : tuple of str
        Every ``"FILE:LINE"`` whose sentence states the link (``source`` among them), when
        several entries do; empty when ``source`` is the only one.
    """

    child: str
    parent: str
    relation: str
    evidence: str
    source: str
    kind_of_link: str = ""
    inferred: bool = False
    size: str = ""
    stated_at: tuple[str, ...] = ()


@dataclass(frozen=True)
class Corpus:
    """Everything resolution produced; the graph is made from it.

    Attributes
    ----------
    papers : tuple of Paper
    concepts : tuple of Concept
    links : tuple of Link
    notices : tuple of Notice
    """

    papers: tuple[Paper, ...]
    concepts: tuple[Concept, ...]
    links: tuple[Link, ...]
    notices: tuple[Notice, ...] = field(default=())
