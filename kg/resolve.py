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

How it runs: each batch of entries is summarised on its own (:func:`summarise`): a record
per entry, kept until its paper is made, and the batch's facts. Everything that needs the
whole corpus is a group-by over those facts (:mod:`kg.groupby`): concept keys by spelling,
each concept's spellings and kinds by its key, distinct labels by label, and the candidates
for paper merging by blocking key (a title, a shared 5-gram, an introduced name, a rare
word). Only the union of entries into papers is one pass, over the candidates, in entry
order. The group-bys run in this process (:func:`resolve_stream`) or as Dask tasks on the
workers that summarised the batches (:func:`resolve_parts`, :class:`kg.cluster.OnCluster`),
and give the same answer either way.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import math
import re
import zlib
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from kg.groupby import GroupBy, InProcess, bucket_of
from kg.model import Concept, Corpus, Entry, ExtractedEntry, Link, Mention, Paper
from kg.vocab import Vocabulary, name_key

__all__ = [
    "MIN_SHARED_SHINGLES",
    "RecordStore",
    "Resolution",
    "concept_keys",
    "key_of",
    "merge_facts",
    "paper_label",
    "resolve",
    "resolve_parts",
    "resolve_stream",
    "slug",
    "summarise",
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


class _Keys(dict):
    """``{node: concept key}`` for the nodes that joined a group; any other node ("n:" or
    "v:" + its name key or vocabulary id) is its own concept, keyed by what follows the
    prefix. Kept this way, the map grows with the merged names, not with every concept."""

    def __missing__(self, node: str) -> str:
        return node[2:]


@dataclass(slots=True)
class _Spelling:
    """What a part of the corpus says about one node: was it used, which vocabulary ids claim
    its spelling, and which long forms an entry defines it as (and where first)."""

    registered: bool = False
    owners: set[str] = field(default_factory=set)
    longs: set[str] = field(default_factory=set)
    defined_at: tuple[int, int] | None = None


def _node(mention: Mention) -> str:
    return f"v:{mention.key}" if mention.key else f"n:{name_key(mention.text)}"


def _long_node(long_form: str, vocabulary: Vocabulary) -> str:
    """The node of a long form: its vocabulary id, else its name key."""
    term = vocabulary.lookup(long_form)
    return f"v:{term.id}" if term else f"n:{name_key(long_form)}"


class _EntryNodes:
    """Turns one entry's mentions into nodes, noting in ``spellings`` what the keys need.

    An acronym an entry defines means its long form in that entry only: there its mentions go
    to the long form's node, so two entries' "DR" are one concept only when their long forms
    are. Elsewhere a spelling joins the vocabulary id its mentions carry, unless two ids claim
    it ("LLaMA", "Llama"), and an acronym used without a definition joins the one long form
    the corpus defines for it, if it defines exactly one (:func:`_group_keys`).
    """

    def __init__(
        self,
        mentions: Iterable[Mention],
        number: int,
        vocabulary: Vocabulary,
        spellings: dict[str, _Spelling],
    ) -> None:
        self.spellings = spellings
        self.definitions: dict[str, str] = {}
        for mention in mentions:
            short, long = mention.text, mention.long_form
            if not long or len(short) >= len(long):
                continue  # the long form's own mention, or no definition
            self.definitions.setdefault(name_key(short), _long_node(long, vocabulary))
        for position, (short, node) in enumerate(self.definitions.items()):
            spelling = self._spelling(f"n:{short}")
            spelling.longs.add(node)
            if spelling.defined_at is None:
                spelling.defined_at = (number, position)

    def _spelling(self, node: str) -> _Spelling:
        spelling = self.spellings.get(node)
        if spelling is None:
            spelling = self.spellings[node] = _Spelling()
        return spelling

    def node(self, mention: Mention) -> str:
        """The mention's node ("v:" + vocabulary id or "n:" + name key)."""
        scoped = self.definitions.get(name_key(mention.text))
        if scoped is not None:
            self._spelling(scoped).registered = True
            return scoped
        node = _node(mention)
        self._spelling(node).registered = True
        if mention.key:
            self._spelling(f"n:{name_key(mention.text)}").owners.add(mention.key)
        return node


def _split_spellings(facts: _ConceptFacts, buckets: int) -> list[dict[str, _Spelling]]:
    pieces: list[dict[str, _Spelling]] = [{} for _ in range(buckets)]
    for node, spelling in facts.spellings.items():
        pieces[bucket_of(node, buckets)][node] = spelling
    return pieces


def _reduce_spellings(
    pieces: list[dict[str, _Spelling]],
) -> tuple[list[tuple[str, str]], list[tuple[tuple[int, int], str, str, bool]]]:
    """What the keys need of one bucket of nodes: ``(vocabulary id, node)`` for spellings one
    id claims, and ``(where first defined, acronym node, long form node, used)`` for acronyms
    defined as exactly one long form."""
    merged: dict[str, _Spelling] = {}
    for piece in pieces:
        for node, part in piece.items():
            _merge_spelling(merged, node, part)
    owned = [(next(iter(s.owners)), node) for node, s in merged.items() if len(s.owners) == 1]
    defined = [
        (s.defined_at, node, next(iter(s.longs)), s.registered)
        for node, s in merged.items()
        if len(s.longs) == 1 and s.defined_at is not None
    ]
    return owned, defined


def _merge_spelling(merged: dict[str, _Spelling], node: str, part: _Spelling) -> None:
    spelling = merged.get(node)
    if spelling is None:
        spelling = merged[node] = _Spelling()
    spelling.registered |= part.registered
    spelling.owners |= part.owners
    spelling.longs |= part.longs
    if part.defined_at is not None and (
        spelling.defined_at is None or part.defined_at < spelling.defined_at
    ):
        spelling.defined_at = part.defined_at


def _group_keys(
    owned: Iterable[tuple[str, str]], defined: Iterable[tuple[tuple[int, int], str, str, bool]]
) -> _Keys:
    """The keys of the nodes that join a group: a spelling one vocabulary id claims joins
    that id; then, in the order the corpus first defines them, a used acronym joins its one
    long form (two vocabulary concepts never merge)."""
    groups = _UnionFind()
    for ident, node in owned:
        groups.union(f"v:{ident}", node)
    for _, bare, long, used in sorted(defined):
        if not used and bare not in groups.parent:
            continue
        root_a, root_b = groups.find(bare), groups.find(long)
        if root_a.startswith("v:") and root_b.startswith("v:") and root_a != root_b:
            continue  # two vocabulary concepts never merge
        groups.union(bare, long)
    keys = _Keys()
    for item in list(groups.parent):
        key = groups.find(item)[2:]
        if key != item[2:]:
            keys[item] = key
    return keys


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
    mentions = list(mentions)
    spellings: dict[str, _Spelling] = {}
    entry = _EntryNodes(mentions, 0, vocabulary, spellings)
    nodes = [entry.node(mention) for mention in mentions]
    keys = _group_keys(*_reduce_spellings([spellings]))
    found = {node: keys[node] for node in spellings if spellings[node].registered}
    found |= {node: keys[node] for node in nodes}
    return found | {f"n:{short}": keys[node] for short, node in entry.definitions.items()}


def key_of(mention: Mention, keys: dict[str, str]) -> str:
    """The concept key of one mention, given :func:`concept_keys`."""
    node = _node(mention)
    # A known acronym the entry defines otherwise was registered under its definition.
    return keys.get(node) or keys.get(f"n:{name_key(mention.text)}") or name_key(mention.text)


def _split_stats(
    facts: _ConceptFacts, buckets: int, keys: _Keys, vocabulary: Vocabulary
) -> list[dict[str, _ConceptStats]]:
    pieces: list[dict[str, _ConceptStats]] = [{} for _ in range(buckets)]
    for node, stats in facts.stats.items():
        pieces[bucket_of(keys[node], buckets)][node] = stats
    return pieces


def _reduce_stats(
    pieces: list[dict[str, _ConceptStats]], keys: _Keys, vocabulary: Vocabulary
) -> list[tuple[Concept, _ConceptStats]]:
    """One bucket's concepts, each with the spellings and kinds of all its nodes (merged in
    the order the corpus first uses them, so a tie is broken the same way however the corpus
    was cut)."""
    by_node: dict[str, _ConceptStats] = {}
    for piece in pieces:
        for node, part in piece.items():
            _merge_stats(by_node, node, part)
    stats: dict[str, _ConceptStats] = {}
    for node, record in by_node.items():
        _merge_stats(stats, keys[node], record)
    terms = {term.id: term for term in vocabulary.terms}
    for key, record in stats.items():
        if key in terms:
            record.vocab_kind, record.vocab_label = terms[key].kind, terms[key].label
    return [(_make_concept(key, record), record) for key, record in stats.items()]


def _merge_stats(merged: dict[str, _ConceptStats], key: str, part: _ConceptStats) -> None:
    """Add ``part``'s spellings and kinds to ``merged[key]`` (made if new), in their order."""
    record = merged.get(key)
    if record is None:
        record = merged[key] = _ConceptStats()
    record.spellings.update(part.spellings)
    record.kinds.update(part.kinds)


def _split_labels(
    concepts: list[tuple[Concept, _ConceptStats]], buckets: int
) -> list[list[tuple[Concept, _ConceptStats]]]:
    pieces: list[list[tuple[Concept, _ConceptStats]]] = [[] for _ in range(buckets)]
    for concept, stats in concepts:
        pieces[bucket_of(name_key(concept.label), buckets)].append((concept, stats))
    return pieces


def _reduce_labels(pieces: list[list[tuple[Concept, _ConceptStats]]]) -> dict[str, Concept]:
    """One bucket of labels' concepts, with no two sharing a label (:func:`_distinct_labels`)."""
    concepts = {concept.key: concept for piece in pieces for concept, _ in piece}
    stats = {concept.key: record for piece in pieces for concept, record in piece}
    return _distinct_labels(concepts, stats)


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


def _spelled_as_name(label: str) -> bool:
    """A capital or a digit: "QuuxFormer", "GPT-4", "Transformer", not "topic modeling".

    Examples
    --------
    >>> _spelled_as_name("LoRA"), _spelled_as_name("recurrent neural network")
    (True, False)
    """
    return any(ch.isupper() or ch.isdigit() for ch in label)


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
    """What resolution keeps of one entry until its paper is made."""

    entry: Entry
    uses: dict[str, _Use]
    introduced: list[str]
    claims: list[tuple[str | None, str | None, str, str, str]]
    title_names: list[str] = field(default_factory=list)


@dataclass
class _ConceptFacts:
    """What the concepts are made of, in one part of the corpus (a batch of entries, or all).

    Attributes
    ----------
    stats : dict
        ``{node: spellings and kinds}``, in the order the part first uses each node.
    spellings : dict
        ``{node: _Spelling}``: what the concept keys need.
    """

    stats: dict[str, _ConceptStats] = field(default_factory=dict)
    spellings: dict[str, _Spelling] = field(default_factory=dict)


@dataclass
class _PaperFacts:
    """What paper merging compares, in one part of the corpus, by entry number.

    Attributes
    ----------
    titles : list
        ``(name_key(title), entry)`` of the titled entries.
    shingle_entries, shingle_ends, shingle_data : array
        Each entry's sampled 5-gram hashes (:func:`_shingles`), packed.
    words : array
        Every entry's content words (:func:`_terms`), packed: counted to weigh words.
    kept : list
        ``(entry, file, titled, words)`` of the entries word matching compares: those
        without a title, and listings (a title and no abstract).
    names : list
        ``(entry, introduced nodes, title-name nodes)`` of the entries that have some.
    """

    titles: list[tuple[str, int]] = field(default_factory=list)
    shingle_entries: array = field(default_factory=lambda: array("q"))
    shingle_ends: array = field(default_factory=lambda: array("q"))
    shingle_data: array = field(default_factory=lambda: array("I"))
    words: array = field(default_factory=lambda: array("I"))
    kept: list[tuple[int, str, bool, array]] = field(default_factory=list)
    names: list[tuple[int, list[str], list[str]]] = field(default_factory=list)


@dataclass
class _Facts:
    """What the group-bys of resolution read of one part of the corpus: the concepts' facts
    and the papers' (two, so the first can be let go once the concepts are made)."""

    concepts: _ConceptFacts = field(default_factory=_ConceptFacts)
    papers: _PaperFacts = field(default_factory=_PaperFacts)

    def add(self, item: ExtractedEntry, number: int, vocabulary: Vocabulary) -> _EntryRecord:
        """Note what the group-bys need of entry ``number``; return what its paper needs."""
        entry, papers = item.entry, self.papers
        nodes = _EntryNodes(item.mentions, number, vocabulary, self.concepts.spellings)
        uses: dict[str, _Use] = {}
        introduced: list[str] = []
        for mention in item.mentions:
            node = nodes.node(mention)
            record = self.concepts.stats.get(node)
            if record is None:
                record = self.concepts.stats[node] = _ConceptStats()
            record.spellings[mention.text] += 1
            # A kind read from context outweighs a kind guessed from a name's shape.
            record.kinds[mention.kind] += 0.5 if mention.origin == "shape" else 1
            use = uses.get(node)
            if use is None:
                use = uses[node] = _Use(mention.sentence, mention.source)
            if mention.introduced:
                if not use.introduced:
                    # The evidence of an introduction is the sentence that introduces it.
                    use.evidence, use.source, use.introduced = (
                        mention.sentence,
                        mention.source,
                        True,
                    )
                if node not in introduced:
                    introduced.append(node)
            if mention.size and mention.size not in use.sizes:
                use.sizes.append(mention.size)
        claims = [
            (
                nodes.node(claim.child) if claim.child is not None else None,
                nodes.node(claim.parent) if claim.parent is not None else None,
                claim.link,
                claim.evidence,
                claim.source,
            )
            for claim in item.claims
        ]
        title_source = f"{entry.file}:{entry.title_line}"
        # What a title names as its subject: the name it opens with, or its head "X: ...".
        head_end = entry.title.find(":")
        title_names = list(
            dict.fromkeys(
                nodes.node(m)
                for m in item.mentions
                if entry.title
                and m.source == title_source
                and (m.start == 0 or 0 <= m.end <= head_end)
            )
        )
        if entry.title:
            papers.titles.append((name_key(entry.title), number))
        text = " ".join(p.text for p in entry.paragraphs if p.role != "blurb")
        shingles = _shingles(text)
        if shingles:
            papers.shingle_entries.append(number)
            papers.shingle_data.extend(shingles)
            papers.shingle_ends.append(len(papers.shingle_data))
        words = _terms(" ".join([entry.title, *(p.text for p in entry.paragraphs)]))
        papers.words.extend(words)
        if not entry.title or _is_listing(entry):
            papers.kept.append((number, entry.file, bool(entry.title), words))
        if introduced or title_names:
            papers.names.append((number, introduced, title_names))
        return _EntryRecord(_slim(entry), uses, introduced, claims, title_names)


def _is_listing(entry: Entry) -> bool:
    """A title, maybe a line about it, and no abstract of its own."""
    return bool(entry.title) and not any(p.role == "abstract" for p in entry.paragraphs)


def summarise(
    items: Iterable[ExtractedEntry], first: int, vocabulary: Vocabulary
) -> tuple[list[_EntryRecord], tuple[_ConceptFacts, _PaperFacts]]:
    """What resolution needs of a batch of entries numbered from ``first``: each entry's
    record (its paper's evidence, kept until the paper is made), and the batch's facts (what
    the group-bys read): the concepts' and the papers'. On a cluster a worker runs it beside
    extraction, and only the records travel to the building process.

    Examples
    --------
    >>> from kg.model import Entry, ExtractedEntry, Mention
    >>> m = Mention("FooNet", "model", "", "shape", "We propose FooNet.", "a.txt:1", 11, 17,
    ...             introduced=True)
    >>> records, (concepts, papers) = summarise([ExtractedEntry(Entry("a.txt", 1, 1), (m,))],
    ...                                         0, Vocabulary(()))
    >>> records[0].introduced, list(concepts.stats), papers.names
    (['n:foonet'], ['n:foonet'], [(0, ['n:foonet'], [])])
    """
    facts = _Facts()
    records = [facts.add(item, number, vocabulary) for number, item in enumerate(items, first)]
    return records, (facts.concepts, facts.papers)


def merge_facts(
    parts: Sequence[tuple[_ConceptFacts, _PaperFacts]],
) -> tuple[_ConceptFacts, _PaperFacts]:
    """Consecutive parts' facts as one part's (fewer, bigger parts make fewer group-by
    tasks); the group-bys give the same answers either way.

    Examples
    --------
    >>> from kg.model import Entry, ExtractedEntry
    >>> items = [ExtractedEntry(Entry("a.txt", n, n, title=f"T{n}"), ()) for n in (1, 2)]
    >>> _, one = summarise(items[:1], 0, Vocabulary(()))
    >>> _, two = summarise(items[1:], 1, Vocabulary(()))
    >>> merge_facts([one, two])[1].titles
    [('t1', 0), ('t2', 1)]
    """
    concepts, papers = _ConceptFacts(), _PaperFacts()
    for part_concepts, part_papers in parts:
        for node, part in part_concepts.stats.items():
            _merge_stats(concepts.stats, node, part)
        for node, spelling in part_concepts.spellings.items():
            _merge_spelling(concepts.spellings, node, spelling)
        offset = len(papers.shingle_data)
        papers.titles += part_papers.titles
        papers.shingle_entries.extend(part_papers.shingle_entries)
        papers.shingle_ends.extend(end + offset for end in part_papers.shingle_ends)
        papers.shingle_data.extend(part_papers.shingle_data)
        papers.words.extend(part_papers.words)
        papers.kept += part_papers.kept
        papers.names += part_papers.names
    return concepts, papers


def _slim(entry: Entry) -> Entry:
    """The entry without the text resolution no longer needs (its blurb and abstract stay)."""
    blurb = [p for p in entry.paragraphs if p.role == "blurb"][:1]
    first = [p for p in entry.paragraphs if p.role != "blurb"][:1]
    return replace(entry, paragraphs=tuple(blurb + first))


#: Bit of :attr:`_Listings.flags`: the entry has a title.
_TITLED = 1


@dataclass
class _Listings:
    """What the guards of paper merging check of each entry, packed by entry number: a few
    numbers an entry, so a big corpus's entries fit in memory while their text waits on disk.
    """

    files: list[str] = field(default_factory=list)
    file_numbers: dict[str, int] = field(default_factory=dict)
    file_of: array = field(default_factory=lambda: array("i"))
    start: array = field(default_factory=lambda: array("q"))
    #: Each entry's years (low, high) when it has any.
    years: dict[int, tuple[int, int]] = field(default_factory=dict)
    flags: bytearray = field(default_factory=bytearray)

    def __len__(self) -> int:
        return len(self.flags)

    def add(self, entry: Entry) -> None:
        number = len(self.flags)
        file = self.file_numbers.setdefault(entry.file, len(self.files))
        if file == len(self.files):
            self.files.append(entry.file)
        self.file_of.append(file)
        self.start.append(entry.start)
        if entry.year_min is not None:
            high = entry.year_max if entry.year_max is not None else entry.year_min
            self.years[number] = (entry.year_min, high)
        self.flags.append(_TITLED if entry.title else 0)

    def titled(self, number: int) -> bool:
        return bool(self.flags[number] & _TITLED)

    def years_overlap(self, a: list[int], b: list[int]) -> bool:
        """Do the year spans of two groups of entries overlap (or either have none)?"""

        def span(members: list[int]) -> tuple[int, int] | None:
            known = [self.years[i] for i in members if i in self.years]
            return (min(y[0] for y in known), max(y[1] for y in known)) if known else None

        sa, sb = span(a), span(b)
        return sa is None or sb is None or (sa[0] <= sb[1] and sb[0] <= sa[1])


#: A proposal that two entries are one paper: ``(entry, step, rank, order, other entry)``.
#: Sorted, they are in the order a single pass over the entries would try them: by entry,
#: then by the kind of evidence (:data:`_BY_TITLE` ... :data:`_BY_TITLE_NAME`), then by rank.
Candidate = tuple[int, int, int, int, int]
_BY_TITLE, _BY_SHINGLES, _BY_INTRODUCTION, _BY_TITLE_NAME = range(4)


def _packed(found: list[Candidate]) -> Any:
    """Candidates as rows of a numpy array: a few bytes each, not a tuple each."""
    import numpy as np

    return np.array(found, dtype=np.int64).reshape(-1, 5)


def _split_titles(facts: _PaperFacts, buckets: int) -> list[list[tuple[str, int]]]:
    pieces: list[list[tuple[str, int]]] = [[] for _ in range(buckets)]
    for title, number in facts.titles:
        pieces[bucket_of(title, buckets)].append((title, number))
    return pieces


def _reduce_titles(pieces: list[list[tuple[str, int]]]) -> list[tuple[int, int]]:
    """``(entry, first entry with the same title)`` for the entries whose title an earlier
    entry has."""
    first: dict[str, int] = {}
    found = []
    for piece in pieces:
        for title, number in piece:
            earliest = first.setdefault(title, number)
            if earliest != number:
                found.append((number, earliest))
    return found


def _split_shingles(facts: _PaperFacts, buckets: int) -> list[tuple[Any, Any, Any]]:
    """Each bucket's 5-grams, as ``(5-gram << 32 | entry)`` numbers, with the part's entries
    and their 5-gram counts (numpy arrays)."""
    import numpy as np

    if not facts.shingle_entries:  # numpy reads no empty buffer
        nothing = np.zeros(0, dtype=np.int64)
        return [(nothing.astype(np.uint64), nothing, nothing) for _ in range(buckets)]
    entries = np.frombuffer(facts.shingle_entries, dtype=np.int64)
    sizes = np.diff(np.frombuffer(facts.shingle_ends, dtype=np.int64), prepend=0)
    hashes = np.frombuffer(facts.shingle_data, dtype=np.uint32)
    keys = (hashes.astype(np.uint64) << np.uint64(32)) | np.repeat(entries, sizes).astype(np.uint64)
    where = hashes % buckets
    return [(keys[where == b], entries, sizes) for b in range(buckets)]


def _reduce_shingles(pieces: list[tuple[Any, Any, Any]]) -> list[tuple[int, list, Any]]:
    """``(5-gram, [(entry, its 5-gram count), ...] of the first MAX_SHINGLE_POSTINGS entries
    to have it, all the entries that have it)`` for each 5-gram more than one entry has: a
    5-gram in many abstracts is boilerplate, so later entries are compared with the first few
    only."""
    import numpy as np

    if not pieces:
        return []
    keys = np.sort(np.concatenate([p[0] for p in pieces]))
    entry_ids = np.concatenate([p[1] for p in pieces])  # in order: parts are
    entry_sizes = np.concatenate([p[2] for p in pieces])
    hashes = keys >> np.uint64(32)
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    shared = ends - starts > 1
    entries = (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
    found = []
    for low, high in zip(starts[shared].tolist(), ends[shared].tolist(), strict=True):
        head = entries[low : min(high, low + MAX_SHINGLE_POSTINGS)]
        sizes = entry_sizes[np.searchsorted(entry_ids, head)]
        found.append(
            (
                int(hashes[low]),
                list(zip(head.tolist(), sizes.tolist(), strict=True)),
                entries[low:high],
            )
        )
    return found


def _split_heads(found: list[tuple[int, list, Any]], buckets: int) -> list[list]:
    """Each shared 5-gram's first entries, to the buckets of the entries that have it."""
    pieces: list[list] = [[] for _ in range(buckets)]
    for shingle, head, members in found:
        targets = range(1) if buckets == 1 else set((members % buckets).tolist())
        for b in targets:
            pieces[b].append((shingle, head))
    return pieces


def _split_own(facts: _PaperFacts, buckets: int) -> list[list[tuple[int, array]]]:
    """Each bucket's entries with their sampled 5-grams."""
    pieces: list[list[tuple[int, array]]] = [[] for _ in range(buckets)]
    low = 0
    for number, high in zip(facts.shingle_entries, facts.shingle_ends, strict=True):
        pieces[number % buckets].append((number, facts.shingle_data[low:high]))
        low = high
    return pieces


def _reduce_copies(head_pieces: list[list], own_pieces: list[list]) -> Any:
    """Each entry's near copies among the entries before it: of the first entries to have
    each of its 5-grams, the three that share most of its sampled 5-grams, if they share at
    least :data:`MIN_SHARED_SHINGLES` of the smaller sample."""
    heads: dict[int, list[int]] = {}
    size_of: dict[int, int] = {}
    for piece in head_pieces:
        for shingle, head in piece:
            heads[shingle] = [number for number, _ in head]
            size_of.update(head)
    found: list[Candidate] = []
    nothing: list[int] = []
    for piece in own_pieces:
        for number, own in piece:
            # Counted in the order of the entry's own 5-grams, then of the earlier entries:
            # ties among the most shared go to the first counted.
            counts = Counter(
                other for s in own for other in heads.get(s, nothing) if other < number
            )
            for rank, (other, common) in enumerate(counts.most_common(3)):
                if common / (min(len(own), size_of[other]) or 1) >= MIN_SHARED_SHINGLES:
                    found.append((number, _BY_SHINGLES, rank, 0, other))
    return _packed(found)


def _split_names(facts: _PaperFacts, buckets: int, keys: _Keys) -> list[list]:
    """Each bucket's ``(concept key, entry, step, position)``: the keys an entry introduces,
    and those its title names, in the entry's order."""
    pieces: list[list] = [[] for _ in range(buckets)]
    for number, introduced, title_names in facts.names:
        for step, nodes in ((_BY_INTRODUCTION, introduced), (_BY_TITLE_NAME, title_names)):
            for position, key in enumerate(dict.fromkeys(keys[node] for node in nodes)):
                pieces[bucket_of(key, buckets)].append((key, number, step, position))
    return pieces


def _split_concepts(concepts: dict[str, Concept], buckets: int, keys: _Keys) -> list[dict]:
    """Each bucket's ``{concept key: (of a kind that identifies a paper, spelled as a
    name)}``: only a name a paper introduces says which paper it is ("topic modeling" and
    "fine-tuning" do not)."""
    pieces: list[dict] = [{} for _ in range(buckets)]
    for key, concept in concepts.items():
        kind = concept.kind in _IDENTIFYING_KINDS
        pieces[bucket_of(key, buckets)][key] = (kind, _spelled_as_name(concept.label))
    return pieces


def _reduce_names(name_pieces: list[list], concept_pieces: list[dict], keys: _Keys) -> Any:
    """Entries that are one paper because they introduce the same named artifact, or one's
    title names what the other introduces, if few entries introduce it (a name many entries
    "introduce" is a generic term, not a paper's own)."""
    kinds: dict[str, tuple[bool, bool]] = {}
    for piece in concept_pieces:
        kinds.update(piece)
    by_key: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for piece in name_pieces:
        for key, number, step, position in piece:
            if kinds[key][0]:  # a model, not "fine-tuning": it can identify a paper
                by_key[key].append((number, step, position))
    found: list[Candidate] = []
    for key, events in by_key.items():
        introducers = len({number for number, step, _ in events if step == _BY_INTRODUCTION})
        if introducers > MAX_LISTINGS or not introducers or not kinds[key][1]:
            continue
        introduced_by: list[int] = []
        titled_by: list[int] = []
        for number, step, position in sorted(events):
            if step == _BY_INTRODUCTION:
                earlier = introduced_by + titled_by
                introduced_by.append(number)
            else:
                earlier = list(introduced_by)
                titled_by.append(number)
            found += [(number, step, position, order, o) for order, o in enumerate(earlier)]
    return _packed(found)


def _split_words(facts: _PaperFacts, buckets: int) -> list[tuple[Any, set[int]]]:
    """Each bucket's words with the number of the part's entries that have them, and the
    words of the entries word matching compares."""
    import numpy as np

    words = np.frombuffer(facts.words, dtype=np.uint32) if facts.words else np.zeros(0, "u4")
    values, counts = np.unique(words, return_counts=True)
    wanted = [
        {w for _, _, _, kept in facts.kept for w in kept if w % buckets == b}
        for b in range(buckets)
    ]
    where = values % buckets
    return [((values[where == b], counts[where == b]), wanted[b]) for b in range(buckets)]


def _reduce_words(pieces: list[tuple[Any, set[int]]]) -> dict[int, int]:
    """``{word: entries that have it}`` for the words of the entries word matching compares."""
    wanted = set().union(*(piece[1] for piece in pieces)) if pieces else set()
    frequency: Counter[int] = Counter()
    for (values, counts), _ in pieces:
        for word, count in zip(values.tolist(), counts.tolist(), strict=True):
            if word in wanted:
                frequency[word] += count
    return dict(frequency)


def _split_first(part: dict[int, int], buckets: int, total: int) -> list[dict[int, int]]:
    """All of a part into the first bucket (a reduction that needs everything in one place)."""
    return [part] + [{} for _ in range(buckets - 1)]


def _split_kept(facts: _PaperFacts, buckets: int, total: int) -> list[list]:
    """The part's entries that word matching compares, all into the first bucket."""
    return [facts.kept] + [[] for _ in range(buckets - 1)]


def _reduce_text_matches(
    kept_pieces: list[list[tuple[int, str, bool, array]]],
    frequency_pieces: list[dict[int, int]],
    total: int,
) -> list[tuple[int, int]]:
    kept = [item for piece in kept_pieces for item in piece]
    frequency: dict[int, int] = {}
    for piece in frequency_pieces:
        frequency.update(piece)
    return _text_matches(kept, frequency, total) if kept else []


def _text_matches(
    kept: list[tuple[int, str, bool, array]], frequency: dict[int, int], total: int
) -> list[tuple[int, int]]:
    """Pairs (entry without a title, titled entry on another page) whose words say they are
    one paper: each is the other's best match on all the other pages, the longer holds at
    least :data:`MIN_TEXT_MATCH` of the shorter's content words (weighted by idf, so rare
    words count most), and the next best of either scores at most :data:`TEXT_MATCH_MARGIN`
    of it (record linkage by mutual best match with a margin: a title is found in its own
    abstract far better than in any other). Strongest first.

    ``kept`` holds ``(entry, file, titled, words)`` of the entries without a title and of the
    listings, ``frequency`` in how many of the ``total`` entries each of their words is found.
    Only pairs that share a word found in at most :data:`MAX_TERM_POSTINGS` entries are
    scored, so the cost grows with the entries without titles, not with the corpus squared.
    """
    terms = {number: words for number, _, _, words in kept}
    file_of = {number: file for number, file, _, _ in kept}
    untitled = [number for number, _, titled, _ in kept if not titled]
    # Smoothed, so that a word every entry has still counts a little in a tiny corpus.
    idf = {t: math.log(1 + total / n) for t, n in frequency.items()}
    weights = {i: sum(idf[t] ** 2 for t in words) or 1.0 for i, words in terms.items()}
    postings: dict[int, list[int]] = defaultdict(list)
    for number, _, titled, words in kept:
        # A listing: a title, maybe a line about it; an entry with its own abstract is
        # matched to copies of that abstract (shingles), not to other texts.
        if titled:
            for t in words:
                if frequency[t] <= MAX_TERM_POSTINGS:
                    postings[t].append(number)
    scores: dict[tuple[int, int], float] = {}
    for a in untitled:
        file = file_of[a]
        own = set(terms[a])
        for b in {b for t in own if t in postings for b in postings[t]}:
            if file_of[b] != file:
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


def _merge_papers(
    listings: _Listings, candidates: Iterable[tuple[int, int]], title_of: dict[int, int]
) -> list[list[int]]:
    """Union entries that are the same paper, trying ``candidates`` ``(entry, other)`` in
    order, guarded: never two entries of one page, two different titles, or years that do
    not overlap. ``title_of`` maps an entry to the first entry with its title, when that is
    another.

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
        titles_a = {title_of.get(i, i) for i in ma if listings.titled(i)}
        titles_b = {title_of.get(i, i) for i in mb if listings.titled(i)}
        if titles_a and titles_b and not titles_a & titles_b:
            return
        if not listings.years_overlap(ma, mb):
            return
        parent[rb] = ra
        members[ra] = ma + members.pop(rb, [rb])

    for number, other in candidates:
        merge(other, number)
    papers = [
        sorted(members[root]) if root in members else [root]
        for root in range(count)
        if parent[root] == root
    ]
    papers.sort(key=lambda p: (listings.files[listings.file_of[p[0]]], listings.start[p[0]]))
    return papers


def _same_papers(
    parts: list[Any], listings: _Listings, keys: Any, concepts: list[Any], engine: GroupBy
) -> list[list[int]]:
    """Which entries are one paper (see the module docstring): candidates found by blocking
    keys in group-bys (the same title, shared 5-grams, the same introduced name; then the
    words of entries without titles), tried in entry order by :func:`_merge_papers`."""
    import numpy as np

    group = engine.group
    titles = group([parts], [_split_titles], _reduce_titles)
    shingles = group([parts], [_split_shingles], _reduce_shingles)
    copies = group([shingles, parts], [_split_heads, _split_own], _reduce_copies)
    names = group([parts, concepts], [_split_names, _split_concepts], _reduce_names, (keys,))
    title_of: dict[int, int] = {}
    found = []
    for pairs in engine.gather(titles):
        title_of.update(pairs)
        found.append(_packed([(number, _BY_TITLE, 0, 0, first) for number, first in pairs]))
    found += engine.gather(copies) + engine.gather(names)
    candidates = np.concatenate(found)
    del found
    order = np.lexsort(candidates.T[::-1])  # by entry, then step, rank, order, other
    numbers, others = (
        array("q", candidates[order, 0].tobytes()),
        array("q", candidates[order, 4].tobytes()),
    )
    del candidates, order
    untitled = sum(1 for flags in listings.flags if not flags & _TITLED)
    if 0 < untitled < len(listings):
        # The weakest evidence last: the words of an untitled entry and a listing elsewhere.
        words = group([parts], [_split_words], _reduce_words)
        total = len(listings)
        matched = group([parts, words], [_split_kept, _split_first], _reduce_text_matches, (total,))
        for a, b in itertools.chain.from_iterable(engine.gather(matched)):
            numbers.append(max(a, b))
            others.append(min(a, b))
    return _merge_papers(listings, zip(numbers, others, strict=True), title_of)


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
    ``records`` (a new list when not given); the group-bys run in this process
    (:func:`resolve_parts` with :class:`~kg.groupby.InProcess`).

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
    facts = _Facts()

    def batches() -> Iterator[tuple[list[_EntryRecord], tuple[_ConceptFacts, _PaperFacts]]]:
        # One part for the whole corpus: in this process, parts would only be overhead.
        for number, item in enumerate(extracted):
            yield [facts.add(item, number, vocabulary)], (facts.concepts, facts.papers)

    return resolve_parts(batches(), vocabulary, InProcess(), records=records)


def resolve_parts(
    batches: Iterable[tuple[list[Any], Any]],
    vocabulary: Vocabulary,
    engine: GroupBy,
    *,
    records: RecordStore | None = None,
) -> Resolution:
    """:func:`resolve_stream` over entries already summarised (:func:`summarise`), with the
    group-bys run by ``engine``.

    ``batches`` yields each batch's records, in entry order, and handles on its concept facts
    and its paper facts (:class:`_Facts`' two halves, or Dask futures on the worker that made
    them); handles seen again are the same part. This process keeps the records in
    ``records``, and per entry only what the guards of paper merging check
    (:class:`_Listings`); it holds the concepts, and the keys of the names that merged; what
    the concepts and the papers are made of stays in the parts.
    """
    store: RecordStore = [] if records is None else records
    listings = _Listings()
    parts: list[Any] = []  # each part's concept facts
    paper_parts: list[Any] = []  # and its paper facts
    for batch, (concept_facts, paper_facts) in batches:
        for record in batch:
            store.append(record)
            listings.add(record.entry)
        if not parts or parts[-1] is not concept_facts:
            parts.append(concept_facts)
            paper_parts.append(paper_facts)
    shared_vocabulary = engine.share(vocabulary)
    owned: list[tuple[str, str]] = []
    defined: list[tuple[tuple[int, int], str, str, bool]] = []
    for bucket_owned, bucket_defined in engine.gather(
        engine.group([parts], [_split_spellings], _reduce_spellings)
    ):
        owned += bucket_owned
        defined += bucket_defined
    keys = _group_keys(owned, defined)
    del owned, defined
    shared_keys = engine.share(keys)
    made = engine.group([parts], [_split_stats], _reduce_stats, (shared_keys, shared_vocabulary))
    labelled = engine.group([made], [_split_labels], _reduce_labels)
    concepts: dict[str, Concept] = {}
    for bucket in engine.gather(labelled):
        concepts.update(bucket)
    del parts, made  # the concepts are made: their facts can go
    papers = _same_papers(paper_parts, listings, shared_keys, labelled, engine)
    del listings, paper_parts, labelled
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
