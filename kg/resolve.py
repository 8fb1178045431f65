"""Decide which mentions are one concept and which entries are one paper.

Takes :class:`~kg.model.ExtractedEntry` records (and the vocabulary); returns a
:class:`~kg.model.Corpus`: one :class:`~kg.model.Concept` per concept however it is spelled,
one :class:`~kg.model.Paper` per paper however many pages list it, and the ``introduces`` /
``mentions`` links between them, each with its evidence sentence.

Concepts are the same when they share a vocabulary id, when their names differ only in case,
hyphens, spaces or a plural ``s`` (:func:`~kg.vocab.name_key`), or when the text defines one
as the acronym of the other. Nothing else merges them: GPT-4 and GPT-4o stay two.

Entries are the same paper when their titles match, their abstracts are near copies, they
introduce the same named concept (spelled as a name, with a capital or a digit: not "topic
modeling"), or one has no title and its words clearly best match a
listing's on another page (:func:`_text_matches`); never when they are on the same page or
their years do not overlap. It does not clean lineage up (see :func:`kg.lineage.add_lineage`).
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
import zlib
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from kg.model import Concept, Corpus, Entry, ExtractedEntry, Link, Mention, Paper
from kg.vocab import Vocabulary, name_key

__all__ = [
    "MIN_SHARED_SHINGLES",
    "RecordStore",
    "Resolution",
    "concept_keys",
    "key_of",
    "paper_label",
    "resolve",
    "resolve_stream",
    "slug",
]

#: Share of word 5-grams two abstracts must have in common to be copies of each other.
MIN_SHARED_SHINGLES = 0.5
SHINGLE_WORDS = 5
#: Entries indexed under one 5-gram; more than this and it tells copies apart from nothing.
MAX_SHINGLE_POSTINGS = 20
#: One word 5-gram in this many is kept to compare abstracts.
SHINGLE_SAMPLE = 4
#: Pages one paper is listed on, at most: a name introduced by more entries than this is a
#: generic term, and it does not make its entries one paper.
MAX_LISTINGS = 3
#: Longest paper label taken whole from a title, in characters.
MAX_LABEL_CHARS = 60
#: Kinds whose introduction identifies a paper (a paper is not known by "fine-tuning").
_IDENTIFYING_KINDS = frozenset({"model", "method", "benchmark", "dataset"})
#: Share of the shorter entry's content words (idf-weighted) the longer must hold for an entry
#: without a title and an entry on another page to be one paper (a listing's title and its
#: abstract, say).
MIN_TEXT_MATCH = 0.3
#: ... and the next best match of either, on any other page, scores at most this share of it.
TEXT_MATCH_MARGIN = 0.8
#: Entries a word may be found in and still propose candidates: rarer words name a paper.
MAX_TERM_POSTINGS = 25
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_TITLE_NAME_HEAD = re.compile(r"^([^:]{1,40}?)\s*:\s+\S")


def slug(text: str) -> str:
    """A lower-case id fragment.

    Examples
    --------
    >>> slug("RoBERTa: A Robustly Optimized BERT")
    'roberta-a-robustly-optimized-bert'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "x"


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # Keep vocabulary ids as roots so a group is named after its vocabulary entry.
            if rb.startswith("v:") and not ra.startswith("v:"):
                ra, rb = rb, ra
            self.parent[rb] = ra


class _ConceptIndex:
    """Spellings and vocabulary ids, joined as mentions arrive; keys are read at the end.

    A spelling joins the vocabulary id its mentions carry, unless two ids claim it
    ("LLaMA", "Llama"). An acronym an entry defines means its long form in that entry only:
    there its mentions go to the long form's node, so two entries' "DR" are one concept only
    when their long forms are. An acronym used without a definition joins the one long form
    the corpus defines for it, if it defines exactly one.
    """

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.groups = _UnionFind()
        self.owners: dict[str, set[str]] = defaultdict(set)
        self.defined: dict[str, set[str]] = defaultdict(set)

    def long_node(self, long_form: str) -> str:
        """The node of a long form: its vocabulary id, else its name key."""
        term = self.vocabulary.lookup(long_form)
        return f"v:{term.id}" if term else f"n:{name_key(long_form)}"

    def definitions(self, mentions: Iterable[Mention]) -> dict[str, str]:
        """``{name_key(acronym): long form's node}`` for the acronyms these mentions (one
        entry's) define; registers each definition corpus-wide."""
        found: dict[str, str] = {}
        for mention in mentions:
            short, long = mention.text, mention.long_form
            if not long or len(short) >= len(long):
                continue  # the long form's own mention, or no definition
            node = self.long_node(long)
            found.setdefault(name_key(short), node)
        for short, node in found.items():
            self.defined[short].add(node)
        return found

    def add(self, mention: Mention, definitions: dict[str, str] | None = None) -> str:
        """Register a mention; return its node ("v:" + id or "n:" + name key)."""
        scoped = (definitions or {}).get(name_key(mention.text))
        if scoped is not None:
            self.groups.find(scoped)
            return scoped
        node = _node(mention)
        self.groups.find(node)
        if mention.key:
            self.owners[name_key(mention.text)].add(mention.key)
        return node

    def keys(self) -> dict[str, str]:
        """``{node: concept key}`` for every node seen."""
        for spelling, ids in self.owners.items():
            if len(ids) == 1:
                self.groups.union(f"v:{next(iter(ids))}", f"n:{spelling}")
        for short, longs in self.defined.items():
            bare = f"n:{short}"
            if len(longs) != 1 or bare not in self.groups.parent:
                continue
            root_a, root_b = self.groups.find(bare), self.groups.find(next(iter(longs)))
            if root_a.startswith("v:") and root_b.startswith("v:") and root_a != root_b:
                continue  # two vocabulary concepts never merge
            self.groups.union(bare, next(iter(longs)))
        return {item: self.groups.find(item)[2:] for item in list(self.groups.parent)}


def _node(mention: Mention) -> str:
    return f"v:{mention.key}" if mention.key else f"n:{name_key(mention.text)}"


def concept_keys(mentions: Iterable[Mention], vocabulary: Vocabulary) -> dict[str, str]:
    """Map mentions' spellings and vocabulary ids to concept keys.

    Parameters
    ----------
    mentions : iterable of Mention
    vocabulary : Vocabulary

    Returns
    -------
    dict
        ``{"n:" + name_key(spelling) or "v:" + vocabulary id: concept key}``. A concept key
        is a vocabulary id, or ``name_key`` of a spelling in the group; use :func:`key_of`.
        The mentions are taken as one entry's (an acronym means what they define it as).

    Examples
    --------
    >>> from kg.model import Mention
    >>> m = lambda text, long="": Mention(text, "method", "", "acronym", "", "f:1", 0, 0,
    ...                                   long_form=long)
    >>> keys = concept_keys([m("LoRA", "Low-Rank Adaptation"), m("low-rank adaptation")],
    ...                     Vocabulary(()))
    >>> keys["n:lora"] == keys["n:lowrankadaptation"]
    True
    """
    index = _ConceptIndex(vocabulary)
    mentions = list(mentions)
    definitions = index.definitions(mentions)
    for mention in mentions:
        index.add(mention, definitions)
    keys = index.keys()
    return keys | {f"n:{short}": keys[node] for short, node in definitions.items()}


def key_of(mention: Mention, keys: dict[str, str]) -> str:
    """The concept key of one mention, given :func:`concept_keys`."""
    node = _node(mention)
    # A known acronym the entry defines otherwise was registered under its definition.
    return keys.get(node) or keys.get(f"n:{name_key(mention.text)}") or name_key(mention.text)


def paper_label(entry: Entry, introduced_labels: list[str]) -> str:
    """A short display name for a paper.

    The name before a title's colon ("RoBERTa: A Robustly ..."), a short title whole, else
    what the paper introduces, else the head of its blurb, else the opening of its abstract.

    Examples
    --------
    >>> paper_label(Entry("f", 1, 2, title="LoRA: Low-Rank Adaptation of LLMs"), [])
    'LoRA'
    >>> paper_label(Entry("f", 1, 2), ["LLaMA"])
    'LLaMA'
    """
    if entry.title:
        head = _TITLE_NAME_HEAD.match(entry.title)
        if head and len(head.group(1).split()) <= 4:
            return head.group(1).strip()
        if len(entry.title) <= MAX_LABEL_CHARS:
            return entry.title
        if introduced_labels:
            return introduced_labels[0]
        return _shorten(entry.title)
    if introduced_labels:
        return introduced_labels[0]
    for paragraph in entry.paragraphs:
        if paragraph.role == "blurb":
            return _shorten(paragraph.text.split(";")[0])
    return _shorten(entry.abstract)


def _shorten(text: str, limit: int = 48) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _shingles(text: str) -> array:
    """A sample of the text's word 5-grams (about one in :data:`SHINGLE_SAMPLE`), hashed,
    sorted, each once.

    Sampling by hash value keeps the same 5-grams of two copies, so copies still share
    most of their sample; it and the packed array keep memory per entry small on big corpora.

    Examples
    --------
    >>> text = "We train a model on ten thousand images of cats and dogs, then test it."
    >>> _shingles(text) == _shingles(text.upper()), _shingles(text).typecode
    (True, 'I')
    """
    words = re.findall(r"[a-z0-9]+", text.lower())
    grams = (" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1))
    hashes = {zlib.crc32(gram.encode()) for gram in grams}
    return array("I", sorted(h for h in hashes if h % SHINGLE_SAMPLE == 0))


@functools.cache
def _stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from spaCy's own list without importing spaCy, so a
    process that only resolves (``kg build --dask``'s) does not load it (about 60 MB)."""
    spec = importlib.util.find_spec("spacy")
    assert spec is not None and spec.origin is not None, "spaCy is a dependency of kg"
    path = Path(spec.origin).parent / "lang" / "en" / "stop_words.py"
    if not path.is_file():  # a spaCy laid out otherwise: import it the usual way
        from spacy.lang.en.stop_words import STOP_WORDS

        return frozenset(STOP_WORDS)
    module_spec = importlib.util.spec_from_file_location("kg._spacy_stop_words", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


def _terms(text: str) -> array:
    """The entry's content words, hashed: sorted, each once (stopwords and numbers out, a
    plural ``s`` off), to tell which entry on another page is the same paper.

    Examples
    --------
    >>> len(_terms("Diffusion models: we train the model."))  # diffusion, model, train
    3
    """
    words = set(_WORD.findall(text.lower()))
    words.difference_update(_stop_words())
    hashes = {
        zlib.crc32((w[:-1] if w[-1] == "s" and w[-2] != "s" and len(w) > 4 else w).encode())
        for w in words
        if len(w) > 2 and not w.isdigit()
    }
    return array("I", sorted(hashes))


@dataclass
class _Words:
    """What matching untitled entries by their words needs: in how many entries each word
    is found, and the words of the entries that can take part (untitled ones and listings
    without an abstract); the other entries' words are counted, not kept."""

    frequency: Counter[int] = field(default_factory=Counter)
    kept: dict[int, array] = field(default_factory=dict)

    def add(self, number: int, words: array, *, keep: bool) -> None:
        self.frequency.update(words)
        if keep:
            self.kept[number] = words


#: Bits of :attr:`_Listings.flags`: the entry has a title; it is a listing (a title, maybe
#: a line about it, and no abstract of its own).
_TITLED, _LISTING = 1, 2


@dataclass
class _Listings:
    """What paper merging compares of each entry, packed by entry number: a few numbers an
    entry rather than a record, so a big corpus's entries fit in memory while their text
    waits on disk (titles are compared by hash, then checked against the text).
    """

    files: list[str] = field(default_factory=list)
    file_numbers: dict[str, int] = field(default_factory=dict)
    file_of: array = field(default_factory=lambda: array("i"))
    start: array = field(default_factory=lambda: array("q"))
    #: Each entry's years (low, high) when it has any.
    years: dict[int, tuple[int, int]] = field(default_factory=dict)
    flags: bytearray = field(default_factory=bytearray)
    title_hash: array = field(default_factory=lambda: array("q"))
    shingle_data: array = field(default_factory=lambda: array("I"))
    shingle_end: array = field(default_factory=lambda: array("q"))
    #: Keys of the named concepts each entry introduces / its title names, when it has any.
    introduced: dict[int, tuple[str, ...]] = field(default_factory=dict)
    title_names: dict[int, tuple[str, ...]] = field(default_factory=dict)
    words: _Words = field(default_factory=_Words)

    def __len__(self) -> int:
        return len(self.flags)

    def add(
        self,
        entry: Entry,
        shingles: array,
        terms: array,
        introduced: list[str],
        title_names: list[str],
    ) -> None:
        number = len(self.flags)
        file = self.file_numbers.setdefault(entry.file, len(self.files))
        if file == len(self.files):
            self.files.append(entry.file)
        self.file_of.append(file)
        self.start.append(entry.start)
        if entry.year_min is not None:
            high = entry.year_max if entry.year_max is not None else entry.year_min
            self.years[number] = (entry.year_min, high)
        listing = bool(entry.title) and not any(p.role == "abstract" for p in entry.paragraphs)
        self.flags.append((_TITLED if entry.title else 0) | (_LISTING if listing else 0))
        self.title_hash.append(hash(name_key(entry.title)) if entry.title else 0)
        self.shingle_data.extend(shingles)
        self.shingle_end.append(len(self.shingle_data))
        if introduced:
            self.introduced[number] = tuple(introduced)
        if title_names:
            self.title_names[number] = tuple(title_names)
        self.words.add(number, terms, keep=not entry.title or listing)

    def shingles(self, number: int) -> array:
        low = self.shingle_end[number - 1] if number else 0
        return self.shingle_data[low : self.shingle_end[number]]

    def shingle_count(self, number: int) -> int:
        low = self.shingle_end[number - 1] if number else 0
        return self.shingle_end[number] - low

    def titled(self, number: int) -> bool:
        return bool(self.flags[number] & _TITLED)

    def years_overlap(self, a: list[int], b: list[int]) -> bool:
        """Do the year spans of two groups of entries overlap (or either have none)?"""

        def span(members: list[int]) -> tuple[int, int] | None:
            known = [self.years[i] for i in members if i in self.years]
            return (min(y[0] for y in known), max(y[1] for y in known)) if known else None

        sa, sb = span(a), span(b)
        return sa is None or sb is None or (sa[0] <= sb[1] and sb[0] <= sa[1])


def _text_matches(listings: _Listings) -> list[tuple[int, int]]:
    """Pairs (entry without a title, titled entry on another page) whose words say they are
    one paper: each is the other's best match on all the other pages, the longer holds at
    least :data:`MIN_TEXT_MATCH` of the shorter's content words (weighted by idf, so rare
    words count most), and the next best of either scores at most :data:`TEXT_MATCH_MARGIN`
    of it (record linkage by mutual best match with a margin: a title is found in its own
    abstract far better than in any other). Strongest first.

    Only pairs that share a word found in at most :data:`MAX_TERM_POSTINGS` entries are
    scored, so the cost grows with the entries without titles, not with the corpus squared.
    """
    untitled = [i for i in range(len(listings)) if not listings.titled(i)]
    if not untitled or len(untitled) == len(listings):
        return []
    terms, frequency = listings.words.kept, listings.words.frequency
    total = len(listings)
    # Smoothed, so that a word every entry has still counts a little in a tiny corpus.
    idf = {t: math.log(1 + total / n) for t, n in frequency.items()}
    weights = {i: sum(idf[t] ** 2 for t in kept) or 1.0 for i, kept in terms.items()}
    postings: dict[int, list[int]] = defaultdict(list)
    for index, kept in terms.items():
        # A listing: a title, maybe a line about it; an entry with its own abstract is
        # matched to copies of that abstract (shingles), not to other texts.
        if listings.flags[index] & _LISTING:
            for t in kept:
                if frequency[t] <= MAX_TERM_POSTINGS:
                    postings[t].append(index)
    scores: dict[tuple[int, int], float] = {}
    for a in untitled:
        file = listings.file_of[a]
        own = set(terms[a])
        for b in {b for t in own if t in postings for b in postings[t]}:
            if listings.file_of[b] != file:
                shared = sum(idf[t] ** 2 for t in own.intersection(terms[b]))
                scores[(a, b)] = shared / min(weights[a], weights[b])
    # Each entry's two best scores.
    best: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (a, b), score in scores.items():
        for one in (a, b):
            top = best[one]
            if score > top[0]:
                top[:] = [score, top[0]]
            elif score > top[1]:
                top[1] = score

    def clear_best(one: int, score: float) -> bool:
        first, second = best[one]
        return score >= first and second <= TEXT_MATCH_MARGIN * score

    matches = [
        (score, a, b)
        for (a, b), score in scores.items()
        if score >= MIN_TEXT_MATCH and clear_best(a, score) and clear_best(b, score)
    ]
    return [(a, b) for _, a, b in sorted(matches, key=lambda m: (-m[0], m[1], m[2]))]


def _spelled_as_name(label: str) -> bool:
    """A capital or a digit: "QuuxFormer", "GPT-4", "Transformer", not "topic modeling".

    Examples
    --------
    >>> _spelled_as_name("LoRA"), _spelled_as_name("recurrent neural network")
    (True, False)
    """
    return any(ch.isupper() or ch.isdigit() for ch in label)


def _shared(shingles: array) -> set[int]:
    """The 5-gram hashes found in more than one entry, given every entry's (each entry's
    are distinct).

    Examples
    --------
    >>> sorted(_shared(array("I", [1, 2, 2, 3, 4])))
    [2]
    """
    import numpy as np

    every = np.frombuffer(shingles, dtype=f"=u{shingles.itemsize}")
    values, counts = np.unique(every, return_counts=True)
    return set(values[counts > 1].tolist())


def _merge_papers(
    listings: _Listings,
    named: frozenset[str],
    title_key: Callable[[int], str],
) -> list[list[int]]:
    """Union entries that are the same paper (see module docstring), guarded.

    ``listings`` holds what is compared of each entry; ``named`` the concept keys spelled as
    names (only a name a paper introduces says which paper it is: "topic modeling" does
    not); ``title_key(i)`` is ``name_key`` of entry ``i``'s title, read when titles are
    compared (they are indexed by hash).

    Returns
    -------
    list of list of int
        Each paper's entry numbers, in order; papers in the order of their first entry's
        page and line.
    """
    count = len(listings)
    # Union-find over entry numbers; member lists only for groups of more than one entry.
    parent = array("q", range(count))
    members: dict[int, list[int]] = {}
    by_title: dict[int, int] = {}
    same_hash: dict[str, int] = {}  # titles whose hash another title had first
    by_intro: dict[str, list[int]] = {}
    by_title_name: dict[str, list[int]] = {}
    introducers = Counter(key for keys in listings.introduced.values() for key in set(keys))
    # Only 5-grams that two entries share can tell copies apart; the rest need no postings.
    shingle_index: dict[int, list[int]] = {s: [] for s in _shared(listings.shingle_data)}

    def find(item: int) -> int:
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def merge(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        if {listings.file_of[i] for i in ma} & {listings.file_of[i] for i in mb}:
            return  # a page lists each paper once
        titles_a = {title_key(i) for i in ma if listings.titled(i)}
        titles_b = {title_key(i) for i in mb if listings.titled(i)}
        if titles_a and titles_b and not titles_a & titles_b:
            return
        if not listings.years_overlap(ma, mb):
            return
        parent[rb] = ra
        members[ra] = ma + members.pop(rb, [rb])

    no_postings: list[int] = []
    for index in range(count):
        if listings.titled(index):
            first = by_title.setdefault(listings.title_hash[index], index)
            if first != index:
                title = title_key(index)
                if title_key(first) == title:
                    merge(first, index)
                elif title in same_hash:
                    merge(same_hash[title], index)
                else:
                    same_hash[title] = index
        own = listings.shingles(index)
        counts: Counter[int] = Counter(
            other for s in own for other in shingle_index.get(s, no_postings)
        )
        for other, shared in counts.most_common(3):
            smaller = min(len(own), listings.shingle_count(other)) or 1
            if shared / smaller >= MIN_SHARED_SHINGLES:
                merge(other, index)
        for shingle in own:
            postings = shingle_index.get(shingle)
            # A 5-gram found in many abstracts is boilerplate, not a sign of a copy.
            if postings is not None and len(postings) < MAX_SHINGLE_POSTINGS:
                postings.append(index)
        # The same named artifact introduced by two entries, or named in one's title and
        # introduced by the other, makes them one paper, if few entries introduce it (a name
        # many entries "introduce" is a generic term, not a paper's own).
        for key in listings.introduced.get(index, ()):
            if introducers[key] > MAX_LISTINGS or key not in named:
                continue
            for other in by_intro.get(key, []) + by_title_name.get(key, []):
                merge(other, index)
            by_intro.setdefault(key, []).append(index)
        for key in listings.title_names.get(index, ()):
            if introducers[key] > MAX_LISTINGS or not introducers[key] or key not in named:
                continue
            for other in by_intro.get(key, []):
                merge(other, index)
            by_title_name.setdefault(key, []).append(index)
    # The weakest evidence last: the words of an untitled entry and a listing elsewhere.
    for a, b in _text_matches(listings):
        merge(min(a, b), max(a, b))
    papers = [
        sorted(members[root]) if root in members else [root]
        for root in range(count)
        if parent[root] == root
    ]
    papers.sort(key=lambda p: (listings.files[listings.file_of[p[0]]], listings.start[p[0]]))
    return papers


@dataclass(slots=True)
class _ConceptStats:
    spellings: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    vocab_kind: str = ""
    vocab_label: str = ""


@dataclass
class _Use:
    """How one entry uses one concept: the evidence to keep for its edge."""

    evidence: str
    source: str
    introduced: bool = False
    sizes: list[str] = field(default_factory=list)


@dataclass
class _EntryRecord:
    """What resolution keeps of one entry while the others stream past."""

    entry: Entry
    shingles: array
    terms: array
    uses: dict[str, _Use]
    introduced: list[str]
    claims: list[tuple[str | None, str | None, str, str, str]]
    title_names: list[str] = field(default_factory=list)


def _slim(entry: Entry) -> Entry:
    """The entry without the text resolution no longer needs (its blurb and abstract stay)."""
    blurb = [p for p in entry.paragraphs if p.role == "blurb"][:1]
    first = [p for p in entry.paragraphs if p.role != "blurb"][:1]
    return replace(entry, paragraphs=tuple(blurb + first))


def _record(
    item: ExtractedEntry, index: _ConceptIndex, stats: dict[str, _ConceptStats]
) -> _EntryRecord:
    uses: dict[str, _Use] = {}
    introduced: list[str] = []
    definitions = index.definitions(item.mentions)
    for mention in item.mentions:
        node = index.add(mention, definitions)
        record = stats[node]
        record.spellings[mention.text] += 1
        # A kind read from context outweighs a kind guessed from a name's shape.
        record.kinds[mention.kind] += 0.5 if mention.origin == "shape" else 1
        use = uses.get(node)
        if use is None:
            use = uses[node] = _Use(mention.sentence, mention.source)
        if mention.introduced:
            if not use.introduced:
                # The evidence of an introduction is the sentence that introduces it.
                use.evidence, use.source, use.introduced = mention.sentence, mention.source, True
            if node not in introduced:
                introduced.append(node)
        if mention.size and mention.size not in use.sizes:
            use.sizes.append(mention.size)
    claims = [
        (
            index.add(claim.child, definitions) if claim.child is not None else None,
            index.add(claim.parent, definitions) if claim.parent is not None else None,
            claim.link,
            claim.evidence,
            claim.source,
        )
        for claim in item.claims
    ]
    text = " ".join(p.text for p in item.entry.paragraphs if p.role != "blurb")
    title_source = f"{item.entry.file}:{item.entry.title_line}"
    # What a title names as its subject: the name it opens with, or its head "X: ...".
    head_end = item.entry.title.find(":")
    title_names = [
        index.add(m, definitions)
        for m in item.mentions
        if item.entry.title
        and m.source == title_source
        and (m.start == 0 or 0 <= m.end <= head_end)
    ]
    return _EntryRecord(
        _slim(item.entry),
        _shingles(text),
        _terms(" ".join([item.entry.title, *(p.text for p in item.entry.paragraphs)])),
        uses,
        introduced,
        claims,
        list(dict.fromkeys(title_names)),
    )


def resolve(extracted: Iterable[ExtractedEntry], vocabulary: Vocabulary) -> Corpus:
    """Resolve mentions into concepts and entries into papers.

    Entries stream through once; of each, only its evidence sentences, a sample of its
    abstract's word 5-grams and its title, blurb and abstract are kept. It collects what
    :func:`resolve_stream` yields.

    Parameters
    ----------
    extracted : iterable of ExtractedEntry
    vocabulary : Vocabulary

    Returns
    -------
    Corpus
        Papers, concepts, the ``introduces``/``mentions`` links (paper -> concept), and raw
        ``builds_on`` links from the entries' lineage claims; a claim about the entry's own
        work has the paper's first introduced concept as its child, or the paper itself when
        it introduces nothing named.

    Examples
    --------
    >>> from kg.model import Entry, ExtractedEntry, Mention
    >>> m = lambda t, intro=False: Mention(t, "model", "", "shape", f"We use {t}.", "a.txt:1",
    ...                                    7, 7 + len(t), introduced=intro)
    >>> item = ExtractedEntry(Entry("a.txt", 1, 1), (m("FooNet", True), m("FooNets")))
    >>> corpus = resolve([item], Vocabulary(()))
    >>> [(c.label, c.aliases) for c in corpus.concepts]
    [('FooNet', ('FooNets',))]
    >>> [(link.relation, link.parent) for link in corpus.links]
    [('introduces', 'foonet')]
    """
    resolution = resolve_stream(extracted, vocabulary)
    papers: list[Paper] = []
    links: list[Link] = []
    for paper, paper_links in resolution.papers:
        papers.append(paper)
        links += paper_links
    return Corpus(papers=tuple(papers), concepts=resolution.concepts, links=tuple(links))


class RecordStore(Protocol):
    """Where :func:`resolve_stream` keeps what it needs of each entry until the papers are
    made: a list, or a store on disk (:class:`kg.spill.Spill`) for corpora bigger than memory.
    """

    def append(self, record: Any, /) -> None: ...
    def __getitem__(self, number: int, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...


@dataclass(frozen=True)
class Resolution:
    """Concepts, resolved, and the papers still to be made, one at a time.

    Attributes
    ----------
    concepts : tuple of Concept
        Sorted by key.
    papers : iterator of (Paper, list of Link)
        Each paper with its ``introduces``/``mentions`` links and its raw ``builds_on``
        claims, in the order :func:`resolve` lists them; made as it is taken, so a caller
        can write each away before the next.
    """

    concepts: tuple[Concept, ...]
    papers: Iterator[tuple[Paper, list[Link]]]


def resolve_stream(
    extracted: Iterable[ExtractedEntry],
    vocabulary: Vocabulary,
    *,
    records: RecordStore | None = None,
) -> Resolution:
    """:func:`resolve`, with papers yielded one at a time and the entries' records kept in
    ``records`` (a new list when not given).

    What stays in memory is per concept (spellings, kinds, keys) and per entry only what
    paper merging compares, packed (:class:`_Listings`: file, line, years, a hash of the
    title, introduced keys, hashed 5-grams; the words of untitled entries and listings);
    titles, evidence sentences and abstracts wait in ``records`` until they are needed.

    Examples
    --------
    >>> from kg.model import Entry, ExtractedEntry, Mention
    >>> m = Mention("FooNet", "model", "", "shape", "We propose FooNet.", "a.txt:1", 11, 17,
    ...             introduced=True)
    >>> resolution = resolve_stream([ExtractedEntry(Entry("a.txt", 1, 1), (m,))], Vocabulary(()))
    >>> [c.key for c in resolution.concepts]
    ['foonet']
    >>> [(paper.key, [link.relation for link in links]) for paper, links in resolution.papers]
    [('paper:foonet', ['introduces'])]
    """
    store: RecordStore = [] if records is None else records
    index = _ConceptIndex(vocabulary)
    node_stats: dict[str, _ConceptStats] = defaultdict(_ConceptStats)
    for item in extracted:
        store.append(_record(item, index, node_stats))
    keys = index.keys()

    terms = {term.id: term for term in vocabulary.terms}
    stats: dict[str, _ConceptStats] = {}
    for node, record in node_stats.items():
        merged = stats.get(keys[node])
        if merged is None:
            stats[keys[node]] = record  # most concepts are one node: no need for a copy
        else:
            merged.spellings.update(record.spellings)
            merged.kinds.update(record.kinds)
    del node_stats
    for key, record in stats.items():
        if key in terms:
            record.vocab_kind, record.vocab_label = terms[key].kind, terms[key].label
    concepts = _distinct_labels(
        {key: _make_concept(key, record) for key, record in stats.items()}, stats
    )
    del stats

    listings = _Listings()
    for record in store:
        listings.add(
            record.entry,
            record.shingles,
            record.terms,
            _identifying(record.introduced, keys, concepts),
            _identifying(record.title_names, keys, concepts),
        )
    named = frozenset(k for k, c in concepts.items() if _spelled_as_name(c.label))
    papers = _merge_papers(listings, named, lambda i: name_key(store[i].entry.title))
    del listings
    return Resolution(
        concepts=tuple(sorted(concepts.values(), key=lambda c: c.key)),
        papers=_papers(papers, store, keys, concepts),
    )


def _identifying(nodes: list[str], keys: dict[str, str], concepts: dict[str, Concept]) -> list[str]:
    """The keys of these nodes that can identify a paper (a model, not "fine-tuning"), once
    each, first first."""
    return [
        k for k in dict.fromkeys(keys[n] for n in nodes) if concepts[k].kind in _IDENTIFYING_KINDS
    ]


def _papers(
    papers: list[list[int]],
    records: RecordStore,
    keys: dict[str, str],
    concepts: dict[str, Concept],
) -> Iterator[tuple[Paper, list[Link]]]:
    """Each merged paper with its links (see :class:`Resolution`), given its entries'
    numbers."""
    used_keys: set[str] = set()
    # Taken from the front and dropped, so the lists are freed as papers are made.
    queue = deque(papers)
    papers.clear()
    while queue:
        parts = [records[number] for number in queue.popleft()]
        own = [_identifying(part.introduced, keys, concepts) for part in parts]
        labels = [
            paper_label(part.entry, [concepts[k].label for k in ids])
            for part, ids in zip(parts, own, strict=True)
        ]
        titled = [label for part, label in zip(parts, labels, strict=True) if part.entry.title]
        label = (titled or labels)[0]
        introduced = list(dict.fromkeys(k for ids in own for k in ids))
        key = _unique(f"paper:{slug(label)}", used_keys)
        links = _paper_links(key, parts, keys)
        primary = introduced[0] if introduced else key
        for part, ids in zip(parts, own, strict=True):
            # "We", "it", "the proposed model" mean what this entry introduces; an entry that
            # introduces nothing named speaks of the paper's first introduction, if any.
            focal = ids[0] if ids else primary
            for child_node, parent_node, link, evidence, source in part.claims:
                child = keys[child_node] if child_node else focal
                parent = keys[parent_node] if parent_node else focal
                if child != parent:
                    links.append(Link(child, parent, "builds_on", evidence, source, link))
        yield _paper(key, label, bool(introduced), parts, keys), links


def _paper(
    key: str, label: str, introduces: bool, parts: list[_EntryRecord], keys: dict[str, str]
) -> Paper:
    entries = [part.entry for part in parts]
    years = [e.year_min for e in entries if e.year_min is not None]
    years_max = [e.year_max or e.year_min for e in entries if e.year_min is not None]
    introduced = [keys[node] for part in parts for node in part.introduced]
    if not any(e.title for e in entries):
        # A listing without a title: what it introduces, if anything, and where it is read.
        where = f"untitled, {entries[0].file}:{entries[0].start}"
        label = f"{label} — {where}" if introduces else where
    return Paper(
        key=key,
        label=label,
        title=next((e.title for e in entries if e.title), ""),
        sources=tuple(e.source for e in entries),
        abstract=next((e.abstract for e in entries if e.paragraphs), ""),
        year_min=min(years) if years else None,
        year_max=max(y for y in years_max if y is not None) if years else None,
        introduces=tuple(dict.fromkeys(introduced)),
    )


def _paper_links(paper: str, parts: list[_EntryRecord], keys: dict[str, str]) -> list[Link]:
    """One ``introduces`` or ``mentions`` link per concept, with the best evidence."""
    best: dict[str, _Use] = {}
    sizes: dict[str, list[str]] = defaultdict(list)
    introduced_at: dict[str, list[str]] = defaultdict(list)
    for part in parts:
        for node, use in part.uses.items():
            key = keys[node]
            sizes[key] += [s for s in use.sizes if s not in sizes[key]]
            if use.introduced:
                introduced_at[key].append(use.source)
            if key not in best or (use.introduced and not best[key].introduced):
                best[key] = use
    return [
        Link(
            child=paper,
            parent=key,
            relation="introduces" if use.introduced else "mentions",
            evidence=use.evidence,
            source=use.source,
            size="|".join(sizes[key]),
            # Each entry merged into the paper that introduces it says so in its own words.
            stated_at=tuple(introduced_at[key]) if len(introduced_at[key]) > 1 else (),
        )
        for key, use in best.items()
    ]


def _make_concept(key: str, record: _ConceptStats) -> Concept:
    spellings = record.spellings
    if record.vocab_label:
        label = record.vocab_label
    else:
        # Prefer the singular, most frequent, shortest spelling: "LoRA" over "Low-Rank Adaptation".
        label = min(
            spellings,
            key=lambda s: (
                name_key(s) != re.sub(r"[\s\-_./·'’]+", "", s).lower(),
                -spellings[s],
                len(s),
            ),
        )
    kind = record.vocab_kind or (record.kinds.most_common(1)[0][0] if record.kinds else "model")
    aliases = tuple(sorted(s for s in spellings if s != label))
    return Concept(key=key, label=label, kind=kind, aliases=aliases)


def _distinct_labels(
    concepts: dict[str, Concept], stats: dict[str, _ConceptStats]
) -> dict[str, Concept]:
    """Concepts that would share a label ("DR" for diabetic retinopathy and for dimension
    reduction) are labelled by their most frequent long spelling instead; vocabulary
    concepts keep their names."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for key, concept in concepts.items():
        by_label[name_key(concept.label)].append(key)
    result = dict(concepts)
    for keys in by_label.values():
        if len(keys) < 2:
            continue
        for key in keys:
            concept, record = concepts[key], stats[key]
            longer = [s for s in record.spellings if len(s) > len(concept.label) and " " in s]
            if record.vocab_label or not longer:
                continue
            label = max(longer, key=lambda s: (record.spellings[s], -len(s)))
            aliases = tuple(sorted(s for s in record.spellings if s != label))
            result[key] = replace(concept, label=label, aliases=aliases)
    return result


def _unique(key: str, used: set[str]) -> str:
    candidate, number = key, 2
    while candidate in used:
        candidate, number = f"{key}-{number}", number + 1
    used.add(candidate)
    return candidate
