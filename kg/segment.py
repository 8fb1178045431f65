"""Split a page into paper entries.

Takes a :class:`~kg.model.Page`; returns a :class:`~kg.model.SegmentedPage`: the entries,
the lines left out (chrome, headings, noise) and the paper count the page declares, if any.

Two passes. First each line is classified by its *form and voice* alone:

========== ==========================================================================
form       what it looks like
========== ==========================================================================
noise      carries injected or corrupted text (``[system_override] ...``)
chrome     page furniture ("Get trending papers in your email inbox!")
era        a year-range heading ("2017 – 2020The architecture that changed everything")
short      one short line without a final full stop: a title or a heading
blurb      a short teaser ("Kaplan et al.; power-law tradeoffs")
abstract   prose in the authors' voice ("We propose ...", "Here we show ...")
self_ref.  prose opening "This paper presents ...": an abstract or a summary, by position
prose      other prose: a third-person summary, a review paragraph, a timeline note
========== ==========================================================================

Then the lines are grouped. An entry starts at a title, a blurb, or an abstract that does
not follow a bare title; prose joins the entry before it. A short line is a heading rather
than a title when an era line or another short line follows it. On pages whose entries are a
title and short notes (timelines), a title takes at most :data:`MAX_NOTES_PER_TITLE` notes: a
further note is a paper whose title the page lost.

Nothing here looks at line numbers or known titles. It does not check that an entry is
really about one paper, or that two entries are not the same paper (resolution merges those).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from importlib import resources

from kg.model import Entry, Notice, Page, Paragraph, SegmentedPage, Skip

__all__ = ["MAX_NOTES_PER_TITLE", "PageCues", "classify_line", "load_page_cues", "segment_page"]

#: A timeline title is followed by what the paper did and, optionally, what came of it.
MAX_NOTES_PER_TITLE = 2
#: Longest title or heading, in characters and words.
MAX_TITLE_CHARS = 250
MAX_TITLE_WORDS = 35
#: Longest heading without a colon, in words ("Pre-Transformer", "Research Papers").
MAX_HEADING_WORDS = 4
#: Prose shorter than this is a note, longer is a summary; abstracts are at least this long.
MIN_PARAGRAPH_CHARS = 200
#: Lines that are mostly not letters are noise (tables of numbers, mojibake, separators).
MIN_LETTER_SHARE = 0.4


class Form(Enum):
    """What a line looks like, before grouping."""

    BLANK = "blank"
    NOISE = "noise"
    CHROME = "chrome"
    ERA = "era"
    SHORT = "short"
    BLURB = "blurb"
    ABSTRACT = "abstract"
    SELF_REFERENCE = "self_reference"
    PROSE = "prose"


@dataclass(frozen=True)
class PageCues:
    """Compiled page-furniture and noise patterns (see ``kg/data/page_cues.json``).

    Attributes
    ----------
    chrome, preamble_chrome, noise : tuple of re.Pattern
    glued_prefix : re.Pattern
        Matches a button label glued to a capitalised word at the start of a line.
    declared_count : re.Pattern
    max_chrome_chars : int
    """

    chrome: tuple[re.Pattern[str], ...]
    preamble_chrome: tuple[re.Pattern[str], ...]
    noise: tuple[re.Pattern[str], ...]
    glued_prefix: re.Pattern[str]
    declared_count: re.Pattern[str]
    max_chrome_chars: int


def load_page_cues(data: dict | None = None) -> PageCues:
    """Compile the page cues, by default from the packaged ``page_cues.json``.

    Parameters
    ----------
    data : dict, optional
        Cues in the file's format, to use instead of the packaged ones.

    Returns
    -------
    PageCues

    Examples
    --------
    >>> cues = load_page_cues()
    >>> bool(cues.glued_prefix.match("SubscribeMobileLLM: Optimizing"))
    True
    """
    if data is None:
        text = resources.files("kg").joinpath("data/page_cues.json").read_text("utf-8")
        data = json.loads(text)

    def compile_all(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in patterns)

    prefixes = "|".join(re.escape(p) for p in data["glued_prefixes"])
    return PageCues(
        chrome=compile_all(data["chrome"]),
        preamble_chrome=compile_all(data["preamble_chrome"]),
        noise=compile_all(data["noise"]),
        glued_prefix=re.compile(rf"^(?:{prefixes})(?=[A-Z0-9])"),
        declared_count=re.compile(data["declared_count"], re.IGNORECASE),
        max_chrome_chars=int(data["max_chrome_chars"]),
    )


# Authors speak of themselves: "We propose", "..., we show", "Our method", "Here we". A summary
# says "The paper", "This work", "Introduces"; a generic "our understanding" or "how we think"
# inside a sentence is not the authors' voice.
_AUTHOR_VOICE = re.compile(
    r"(?:^|[.!?:;]\s+|,\s*)(?:we|our)\b|(?:^|[.!?]\s+)here,?\s+we\b",
    re.IGNORECASE,
)
# "This paper presents X" opening a paragraph: authors and reviewers both write it, so it is
# read as an abstract only where a new paper can start (see segment_page).
_SELF_REFERENCE = re.compile(
    r"^(?:in\s+)?this\s+(?:technical\s+)?(?:paper|report|note|article)\b[^.]{0,20}?"
    r"\b(?:introduces?|presents?|proposes?|describes?|explores?|shows?|studies|investigates?"
    r"|reports?|develops?|addresses|examines?|demonstrates?)\b",
    re.IGNORECASE,
)
# Short teaser lines: "Kaplan et al.; ...", "X — the precursor to Y", "Established depth as ...".
_BLURB_MARK = re.compile(r";|\bet al\.|\s[—–]\s|\s-\s")
_BLURB_START = re.compile(
    r"^(?:established|kicked|introduced|proposed|showed|demonstrated|pioneered|invented"
    r"|developed|launched|made|brought|popularized|popularised|enabled|defined|became"
    r"|set|first|early|classic|seminal|standard)\b",
    re.IGNORECASE,
)
_ERA = re.compile(
    r"^\s*((?:1[89]|2[01])\d\d)\s*(?:[-–—]|to)\s*((?:1[89]|2[01])\d\d|present|today|now)\s*(.*)$",
    re.IGNORECASE,
)
_BARE_YEAR = re.compile(r"^\s*((?:1[89]|2[01])\d\d)\s*$")
_SENTENCE_END = re.compile(r"[.…][\"'”’)\]]*$")
_INNER_SENTENCE = re.compile(r"[a-z0-9)\]][.!?]\s+[A-Z]")
_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s+")


def _letter_share(text: str) -> float:
    letters = sum(map(str.isalpha, text))
    return letters / max(1, len(text.replace(" ", "")))


def classify_line(text: str, cues: PageCues, *, in_preamble: bool = False) -> tuple[Form, str]:
    """Classify one line by its form and voice.

    Parameters
    ----------
    text : str
        The line, without its line end.
    cues : PageCues
    in_preamble : bool
        True before the page's first entry, where page introductions are chrome too.

    Returns
    -------
    (Form, str)
        The form and a short reason (the pattern or rule that decided).

    Examples
    --------
    >>> cues = load_page_cues()
    >>> classify_line("Kaplan et al.; power-law compute/data tradeoffs", cues)[0].value
    'blurb'
    >>> classify_line("We propose a new model. It is better than the old one in every way, "
    ...               "as our experiments on many benchmarks show." * 3, cues)[0].value
    'abstract'
    >>> classify_line("Attention Is All You Need", cues)[0].value
    'short'
    """
    stripped = text.strip()
    if not stripped:
        return Form.BLANK, ""
    for pattern in cues.noise:
        found = pattern.search(stripped)
        if found:
            return Form.NOISE, f"injected or corrupted text ({found.group(0)[:40].strip()})"
    if len(stripped) > 20 and _letter_share(stripped) < MIN_LETTER_SHARE:
        return Form.NOISE, "mostly not letters"
    if len(stripped) <= cues.max_chrome_chars:
        for pattern in cues.chrome + (cues.preamble_chrome if in_preamble else ()):
            if pattern.search(stripped):
                return Form.CHROME, "page chrome"
    if _ERA.match(stripped) or _BARE_YEAR.match(stripped):
        return Form.ERA, "year heading"
    is_short = (
        len(stripped) <= MAX_TITLE_CHARS
        and len(stripped.split()) <= MAX_TITLE_WORDS
        and not _SENTENCE_END.search(stripped)
        and not _INNER_SENTENCE.search(stripped)
    )
    if is_short:
        first_word = stripped.split()[0]
        lowercase_start = first_word.isalpha() and first_word.islower()
        if lowercase_start or _BLURB_MARK.search(stripped) or _BLURB_START.match(stripped):
            return Form.BLURB, "short teaser"
        return Form.SHORT, "short line"
    if len(stripped) >= MIN_PARAGRAPH_CHARS and _AUTHOR_VOICE.search(stripped):
        return Form.ABSTRACT, "authors' voice"
    if len(stripped) >= MIN_PARAGRAPH_CHARS and _SELF_REFERENCE.match(stripped):
        return Form.SELF_REFERENCE, "opens with 'this paper'"
    return Form.PROSE, "prose"


@dataclass
class _Draft:
    """An entry being assembled."""

    title: str = ""
    title_line: int = 0
    paragraphs: list[Paragraph] | None = None
    section: str = ""
    year_min: int | None = None
    year_max: int | None = None

    def body(self) -> list[Paragraph]:
        if self.paragraphs is None:
            self.paragraphs = []
        return self.paragraphs


def _heading_years(text: str) -> tuple[int | None, int | None, str]:
    match = _ERA.match(text)
    if match:
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2).isdigit() else None
        return first, last, match.group(3).strip()
    year = int(_BARE_YEAR.match(text).group(1))  # type: ignore[union-attr]
    return year, year, ""


def segment_page(page: Page, cues: PageCues | None = None) -> SegmentedPage:
    """Group a page's lines into paper entries.

    Parameters
    ----------
    page : Page
    cues : PageCues, optional
        Defaults to the packaged cues.

    Returns
    -------
    SegmentedPage
        Entries in page order; every chrome, heading and noise line in ``skipped``; noise
        lines also as notices naming ``FILE:LINE``.

    Examples
    --------
    >>> page = Page("p.txt", "p.txt", (
    ...     "Get trending papers in your email inbox!",
    ...     "SubscribeTinyNet: A Small Network",
    ...     "We present TinyNet, a small network. " * 6,
    ...     "Big Model Scaling",
    ...     "We study how big models scale with data; our results show that they do. " * 3,
    ... ))
    >>> result = segment_page(page)
    >>> [(e.title, e.start, e.end) for e in result.entries]
    [('TinyNet: A Small Network', 2, 3), ('Big Model Scaling', 4, 5)]
    >>> [(s.source, s.reason) for s in result.skipped]
    [('p.txt:1', 'chrome')]
    """
    cues = cues or load_page_cues()
    name = page.name
    entries: list[Entry] = []
    skipped: list[Skip] = []
    notices: list[Notice] = list(page.notices)
    declared: int | None = None

    classified: list[tuple[Form, str, str]] = []
    in_preamble = True
    previous_form = Form.BLANK
    for text in page.lines:
        stripped = text.strip()
        glued = cues.glued_prefix.match(stripped)
        if glued and (previous_form is Form.CHROME or in_preamble):
            stripped = stripped[glued.end() :]
        form, reason = classify_line(stripped, cues, in_preamble=in_preamble)
        if glued and stripped != text.strip():
            reason = f"{reason}; dropped button label {glued.group(0)!r}"
        if form in (Form.SHORT, Form.BLURB, Form.ABSTRACT, Form.SELF_REFERENCE, Form.PROSE):
            in_preamble = False
        classified.append((form, stripped, reason))
        if form is not Form.BLANK:
            previous_form = form

    def next_form(index: int) -> Form | None:
        for form, _, _ in classified[index + 1 :]:
            if form not in (Form.BLANK, Form.CHROME, Form.NOISE):
                return form
        return None

    draft: _Draft | None = None
    section, year_min, year_max = "", None, None
    fresh_heading = False  # a heading was just read; an era line under it keeps its name

    def close() -> None:
        nonlocal draft
        if draft is not None and (draft.title or draft.paragraphs):
            body = tuple(draft.body())
            lines = [p.line for p in body] + ([draft.title_line] if draft.title else [])
            entries.append(
                Entry(
                    file=name,
                    start=min(lines),
                    end=max(lines),
                    title=draft.title,
                    title_line=draft.title_line,
                    paragraphs=body,
                    section=draft.section,
                    year_min=draft.year_min,
                    year_max=draft.year_max,
                )
            )
        draft = None

    def open_draft() -> _Draft:
        return _Draft(section=section, year_min=year_min, year_max=year_max)

    for index, (form, text, reason) in enumerate(classified):
        number = index + 1
        where = f"{name}:{number}"
        if form is Form.BLANK:
            continue
        if form not in (Form.ERA, Form.SHORT, Form.CHROME, Form.NOISE):
            fresh_heading = False
        if form is Form.NOISE:
            skipped.append(Skip(where, "noise", reason))
            notices.append(Notice(where, f"dropped a line of {reason}"))
            continue
        if form is Form.CHROME:
            skipped.append(Skip(where, "chrome", text[:60]))
            count = cues.declared_count.search(text)
            if count and declared is None:
                declared = int(count.group(1).replace(",", ""))
            continue
        if form is Form.ERA:
            close()
            year_min, year_max, rest = _heading_years(text)
            if not fresh_heading:
                section = rest
            skipped.append(Skip(where, "heading", text[:60]))
            continue
        if form is Form.SHORT:
            following = next_form(index)
            words = len(text.split())
            is_heading = (
                _MARKDOWN_HEADING.match(text) is not None
                or text.endswith(":")
                or following is Form.ERA
                or (
                    words <= MAX_HEADING_WORDS
                    and ":" not in text
                    and following in (Form.SHORT, None)
                )
            )
            if is_heading:
                close()
                section, year_min, year_max = (
                    _MARKDOWN_HEADING.sub("", text).rstrip(":"),
                    None,
                    None,
                )
                fresh_heading = True
                skipped.append(Skip(where, "heading", text[:60]))
                continue
            close()
            draft = open_draft()
            draft.title, draft.title_line = text, number
            continue
        if form is Form.BLURB:
            close()
            draft = open_draft()
            draft.body().append(Paragraph(text, number, "blurb"))
            continue
        if form is Form.ABSTRACT:
            # An abstract completes a bare title; anywhere else it opens a new entry
            # (after a blurb too: a blurb stands in for an abstract on cards that lack one).
            if draft is None or not draft.title or draft.paragraphs:
                close()
                draft = open_draft()
            draft.body().append(Paragraph(text, number, "abstract"))
            continue
        if form is Form.SELF_REFERENCE:
            # Under a bare title it is the abstract; where a paper could end (after a
            # summary or a note, or at the start) it opens the next paper; right after an
            # abstract it is that paper's summary.
            if draft is not None and draft.title and not draft.paragraphs:
                draft.body().append(Paragraph(text, number, "abstract"))
                continue
            if draft is None or any(p.role != "abstract" for p in draft.body()):
                close()
                draft = open_draft()
                draft.body().append(Paragraph(text, number, "abstract"))
                continue
        # Prose: joins the entry before it, unless that entry is a title with its notes
        # complete, in which case it is the note of a paper whose title is missing.
        role = "summary" if len(text) >= MIN_PARAGRAPH_CHARS else "description"
        if draft is not None and draft.title and role == "description":
            notes = draft.body()
            if len(notes) >= MAX_NOTES_PER_TITLE and all(p.role == "description" for p in notes):
                close()
                notices.append(Notice(where, "a note without a title; read as a separate paper"))
        if draft is None:
            draft = open_draft()
        draft.body().append(Paragraph(text, number, role))
    close()
    if declared is not None and declared != len(entries):
        notices.append(Notice(name, f"page says {declared} papers; found {len(entries)} entries"))
    return SegmentedPage(
        name=name,
        entries=tuple(entries),
        skipped=tuple(skipped),
        declared_count=declared,
        notices=tuple(notices),
    )
