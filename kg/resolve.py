"""Decide which mentions are one concept and which entries are one paper.

Takes :class:`~kg.model.ExtractedEntry` records (and the vocabulary); returns a
:class:`~kg.model.Corpus`: one :class:`~kg.model.Concept` per concept however it is spelled,
one :class:`~kg.model.Paper` per paper however many pages list it, and the ``introduces`` /
``mentions`` links between them, each with its evidence sentence.

Concepts are the same when they share a vocabulary id, when their names differ only in case,
hyphens, spaces or a plural ``s`` (:func:`~kg.vocab.name_key`), or when the text defines one
as the acronym of the other. Nothing else merges them: GPT-4 and GPT-4o stay two.

Entries are the same paper when their titles match, their abstracts are near copies, or they
introduce the same named concept; never when they are on the same page or their years do
not overlap. It does not clean lineage up (see :func:`kg.lineage.add_lineage`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.model import Concept, Corpus, Entry, ExtractedEntry, Link, Mention, Paper
from kg.vocab import Vocabulary, name_key

__all__ = [
    "MIN_SHARED_SHINGLES",
    "PaperDraft",
    "concept_keys",
    "key_of",
    "paper_label",
    "resolve",
    "slug",
]

#: Share of word 5-grams two abstracts must have in common to be copies of each other.
MIN_SHARED_SHINGLES = 0.5
SHINGLE_WORDS = 5
#: Longest paper label taken whole from a title, in characters.
MAX_LABEL_CHARS = 60
#: Kinds whose introduction identifies a paper (a paper is not known by "fine-tuning").
_IDENTIFYING_KINDS = frozenset({"model", "method", "benchmark", "dataset"})
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


def concept_keys(mentions: Iterable[Mention], vocabulary: Vocabulary) -> dict[str, str]:
    """Map the spellings of names the vocabulary does not know to concept keys.

    Parameters
    ----------
    mentions : iterable of Mention
    vocabulary : Vocabulary

    Returns
    -------
    dict
        ``{"n:" + name_key(spelling) or "v:" + vocabulary id: concept key}``. A concept key
        is a vocabulary id, or ``name_key`` of a spelling in the group; use :func:`key_of`.
        A spelling that two vocabulary ids share ("LLaMA", "Llama") is joined to neither.

    Examples
    --------
    >>> from kg.model import Mention
    >>> m = lambda text, long="", key="": Mention(text, "method", key, "acronym", "", "f:1", 0, 0,
    ...                                           long_form=long)
    >>> keys = concept_keys([m("LoRA", "Low-Rank Adaptation"), m("low-rank adaptation")],
    ...                     Vocabulary(()))
    >>> keys["n:lora"] == keys["n:lowrankadaptation"]
    True
    """
    mentions = list(mentions)
    groups = _UnionFind()
    owners: dict[str, set[str]] = defaultdict(set)
    for mention in mentions:
        if mention.key:
            owners[name_key(mention.text)].add(mention.key)
    for spelling, ids in owners.items():
        if len(ids) == 1:
            groups.union(f"v:{next(iter(ids))}", f"n:{spelling}")
    for mention in mentions:
        node = f"v:{mention.key}" if mention.key else f"n:{name_key(mention.text)}"
        groups.find(node)
        if not mention.long_form:
            continue
        term = vocabulary.lookup(mention.long_form)
        other = f"v:{term.id}" if term else f"n:{name_key(mention.long_form)}"
        root_a, root_b = groups.find(node), groups.find(other)
        if root_a.startswith("v:") and root_b.startswith("v:") and root_a != root_b:
            continue  # two vocabulary concepts never merge
        groups.union(node, other)
    return {item: groups.find(item)[2:] for item in list(groups.parent)}


def key_of(mention: Mention, keys: dict[str, str]) -> str:
    """The concept key of one mention, given :func:`concept_keys`."""
    if mention.key:
        return keys.get(f"v:{mention.key}", mention.key)
    return keys[f"n:{name_key(mention.text)}"]


@dataclass
class PaperDraft:
    """What resolution keeps of one entry: far less than the entry's text."""

    entries: list[Entry]
    introduced: list[str] = field(default_factory=list)
    label: str = ""


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


def _shingles(text: str) -> set[int]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {
        hash(tuple(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def _years_overlap(a: list[Entry], b: list[Entry]) -> bool:
    def span(entries: list[Entry]) -> tuple[int, int] | None:
        lows = [e.year_min for e in entries if e.year_min is not None]
        highs = [
            e.year_max if e.year_max is not None else e.year_min
            for e in entries
            if e.year_min is not None
        ]
        return (min(lows), max(h for h in highs if h is not None)) if lows else None

    sa, sb = span(a), span(b)
    return sa is None or sb is None or (sa[0] <= sb[1] and sb[0] <= sa[1])


def _merge_papers(drafts: list[PaperDraft]) -> list[PaperDraft]:
    """Union entries that are the same paper (see module docstring), guarded."""
    groups = _UnionFind()
    members: dict[str, list[int]] = defaultdict(list)
    files: dict[int, set[str]] = {}
    by_title: dict[str, int] = {}
    by_intro: dict[str, int] = {}
    shingle_index: dict[int, set[int]] = defaultdict(set)
    shingles: dict[int, set[int]] = {}

    def can_merge(a: int, b: int) -> bool:
        ra, rb = groups.find(str(a)), groups.find(str(b))
        if ra == rb:
            return False
        ea = [e for i in members[ra] for e in drafts[i].entries]
        eb = [e for i in members[rb] for e in drafts[i].entries]
        if {e.file for e in ea} & {e.file for e in eb}:
            return False
        titles_a = {name_key(e.title) for e in ea if e.title}
        titles_b = {name_key(e.title) for e in eb if e.title}
        if titles_a and titles_b and not titles_a & titles_b:
            return False
        return _years_overlap(ea, eb)

    def merge(a: int, b: int) -> None:
        if can_merge(a, b):
            ra, rb = groups.find(str(a)), groups.find(str(b))
            groups.union(ra, rb)
            root = groups.find(ra)
            other = rb if root == ra else ra
            members[root] += members.pop(other)

    for index, draft in enumerate(drafts):
        groups.find(str(index))
        members[str(index)] = [index]
        files[index] = {e.file for e in draft.entries}
    for index, draft in enumerate(drafts):
        entry = draft.entries[0]
        if entry.title:
            title = name_key(entry.title)
            if title in by_title:
                merge(by_title[title], index)
            else:
                by_title[title] = index
        text = " ".join(p.text for p in entry.paragraphs if p.role != "blurb")
        own = _shingles(text)
        shingles[index] = own
        counts: Counter[int] = Counter()
        for shingle in own:
            for other in shingle_index[shingle]:
                counts[other] += 1
        for other, shared in counts.most_common(3):
            smaller = min(len(own), len(shingles[other])) or 1
            if shared / smaller >= MIN_SHARED_SHINGLES:
                merge(other, index)
        for shingle in own:
            shingle_index[shingle].add(index)
        if draft.introduced:
            primary = draft.introduced[0]
            if primary in by_intro:
                merge(by_intro[primary], index)
            else:
                by_intro[primary] = index
    merged: list[PaperDraft] = []
    for root, indexes in members.items():
        del root
        ordered = sorted(indexes)
        entries = [e for i in ordered for e in drafts[i].entries]
        introduced = list(dict.fromkeys(k for i in ordered for k in drafts[i].introduced))
        labels = [drafts[i].label for i in ordered]
        titled = [drafts[i].label for i in ordered if drafts[i].entries[0].title]
        merged.append(PaperDraft(entries, introduced, (titled or labels)[0]))
    merged.sort(key=lambda d: (d.entries[0].file, d.entries[0].start))
    return merged


@dataclass
class _ConceptStats:
    spellings: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    vocab_kind: str = ""
    vocab_label: str = ""


def resolve(extracted: Iterable[ExtractedEntry], vocabulary: Vocabulary) -> Corpus:
    """Resolve mentions into concepts and entries into papers.

    Parameters
    ----------
    extracted : iterable of ExtractedEntry
    vocabulary : Vocabulary

    Returns
    -------
    Corpus
        Papers, concepts and the ``introduces``/``mentions`` links (paper -> concept).

    Examples
    --------
    >>> from kg.model import Entry, ExtractedEntry, Mention
    >>> m = lambda t, intro=False: Mention(t, "model", "", "shape", f"We use {t}.", "a.txt:1",
    ...                                    7, 7 + len(t), introduced=intro)
    >>> corpus = resolve([ExtractedEntry(Entry("a.txt", 1, 1), (m("FooNet", True), m("FooNets")))],
    ...                  Vocabulary(()))
    >>> [(c.label, c.aliases) for c in corpus.concepts]
    [('FooNet', ('FooNets',))]
    >>> [(link.relation, link.parent) for link in corpus.links]
    [('introduces', 'foonet')]
    """
    items = list(extracted)
    all_mentions = [m for item in items for m in item.mentions]
    all_mentions += [c.child for item in items for c in item.claims if c.child is not None]
    all_mentions += [c.parent for item in items for c in item.claims if c.parent is not None]
    keys = concept_keys(all_mentions, vocabulary)
    terms = {term.id: term for term in vocabulary.terms}

    stats: dict[str, _ConceptStats] = defaultdict(_ConceptStats)
    for mention in all_mentions:
        key = key_of(mention, keys)
        record = stats[key]
        record.spellings[mention.text] += 1
        record.kinds[mention.kind] += 1 if mention.origin != "shape" else 0.5
        if key in terms:
            record.vocab_kind = terms[key].kind
            record.vocab_label = terms[key].label
    concepts = {key: _make_concept(key, record) for key, record in stats.items()}

    drafts: list[PaperDraft] = []
    for item in items:
        introduced = list(dict.fromkeys(key_of(m, keys) for m in item.mentions if m.introduced))
        identifying = [k for k in introduced if concepts[k].kind in _IDENTIFYING_KINDS]
        label = paper_label(item.entry, [concepts[k].label for k in identifying])
        drafts.append(PaperDraft([item.entry], identifying, label))
    papers_drafts = _merge_papers(drafts)

    by_entry = {(item.entry.file, item.entry.start): item for item in items}
    used_keys: set[str] = set()
    papers: list[Paper] = []
    links: list[Link] = []
    for draft in papers_drafts:
        key = _unique(f"paper:{slug(draft.label)}", used_keys)
        entries = draft.entries
        years = [e.year_min for e in entries if e.year_min is not None]
        years_max = [e.year_max or e.year_min for e in entries if e.year_min is not None]
        title = next((e.title for e in entries if e.title), "")
        abstract = next((e.abstract for e in entries if e.paragraphs), "")
        mentions = [m for e in entries for m in by_entry[(e.file, e.start)].mentions]
        introduced_keys = list(dict.fromkeys(key_of(m, keys) for m in mentions if m.introduced))
        papers.append(
            Paper(
                key=key,
                label=draft.label,
                title=title,
                sources=tuple(e.source for e in entries),
                abstract=abstract,
                year_min=min(years) if years else None,
                year_max=max(y for y in years_max if y is not None) if years else None,
                introduces=tuple(introduced_keys),
            )
        )
        links += _paper_links(key, mentions, keys, set(introduced_keys))
        primary = draft.introduced[0] if draft.introduced else key
        links += _co_mentions(mentions, keys)
        for entry in entries:
            for claim in by_entry[(entry.file, entry.start)].claims:
                child = key_of(claim.child, keys) if claim.child is not None else primary
                parent = key_of(claim.parent, keys) if claim.parent is not None else primary
                if child != parent:
                    links.append(
                        Link(child, parent, "builds_on", claim.evidence, claim.source, claim.link)
                    )
    return Corpus(
        papers=tuple(papers),
        concepts=tuple(sorted(concepts.values(), key=lambda c: c.key)),
        links=tuple(links),
    )


def _paper_links(
    paper: str, mentions: list[Mention], keys: dict[str, str], introduced: set[str]
) -> list[Link]:
    first: dict[str, Mention] = {}
    sizes: dict[str, list[str]] = defaultdict(list)
    for mention in mentions:
        key = key_of(mention, keys)
        if mention.size and mention.size not in sizes[key]:
            sizes[key].append(mention.size)
        best = first.get(key)
        # The evidence of an introduction is the sentence that introduces it.
        if best is None or (mention.introduced and not best.introduced):
            first[key] = mention
    return [
        Link(
            child=paper,
            parent=key,
            relation="introduces" if key in introduced else "mentions",
            evidence=mention.sentence,
            source=mention.source,
            size="|".join(sizes[key]),
        )
        for key, mention in first.items()
    ]


def _co_mentions(mentions: list[Mention], keys: dict[str, str]) -> list[Link]:
    """Candidate inferred links: the sentence that introduces C also names D, so C may lean on
    D (:func:`kg.lineage.add_lineage` keeps those whose D another paper introduced)."""
    by_sentence: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for mention in mentions:
        by_sentence[(mention.source, mention.sentence)].append(mention)
    links = []
    for (source, sentence), group in by_sentence.items():
        introduced = {key_of(m, keys) for m in group if m.introduced}
        for child in introduced:
            for mention in group:
                parent = key_of(mention, keys)
                if parent not in introduced and mention.kind in ("model", "method"):
                    links.append(
                        Link(child, parent, "builds_on", sentence, source, "uses", inferred=True)
                    )
    return links


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


def _unique(key: str, used: set[str]) -> str:
    candidate, number = key, 2
    while candidate in used:
        candidate, number = f"{key}-{number}", number + 1
    used.add(candidate)
    return candidate
