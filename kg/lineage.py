"""Lineage: which concept builds on which, read from the sentences that say so.

Two steps, either side of resolution:

:func:`read_claims` takes an :class:`~kg.model.ExtractedEntry` and returns it with the
:class:`~kg.model.Claim` s its sentences make ("X is based on Y", "continue pretraining Y",
"Y was undertrained", "replacing Y with Z", "into Y" ...). Cues are data
(``kg/data/lineage_cues.jsonl``): a regular expression, the kind of link, and where the parent
stands (after the cue, or just before it). The child is the subject of the clause, or, when
the sentence says "it", "we", "this model", what the entry introduces.

:func:`add_lineage` takes the resolved :class:`~kg.model.Corpus`, whose ``builds_on`` links
are raw claims, and returns a new corpus whose lineage is a DAG: strongest claims first, a
link that would close a cycle or make a parent newer than its child is dropped. It then adds
the weaker links it can infer, marked ``inferred``: a name that contains another ("Code
Llama" -> Llama), and a concept introduced in the same sentence that names another paper's
concept; and finally the paper -> paper links that concept lineage implies.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

import networkx as nx

from kg.model import Claim, Corpus, ExtractedEntry, Link, Mention

__all__ = ["Cue", "add_lineage", "load_cues", "read_claims"]

#: Words allowed between a cue and its parent ("based on the original Transformer").
MAX_GAP_WORDS = 4
#: Words that end the phrase a cue governs: past them, a name is not the cue's object
#: ("based on both human and GPT-4 evaluations", "fine-tuning in model quality on RoBERTa").
_GAP_BREAKERS = frozenset(
    [
        "and",
        "or",
        "both",
        "either",
        "between",
        "than",
        "as",
        "in",
        "on",
        "of",
        "for",
        "with",
        "by",
        "to",
        "from",
        "via",
        "versus",
        "vs",
        "that",
        "which",
        "while",
        "whereas",
        "but",
        "not",
        "nor",
        "such",
        "including",
        "like",
    ]
)
#: For cues marked adjacent, only determiners and a few adjectives may stand between.
_ADJACENT_GAP = re.compile(
    r"^\s*(?:(?:the|a|an|its|their|our|standard|original|pretrained|pre-trained|frozen"
    r"|existing|vanilla|same|previous|popular|commonly-used|widely-used|base|full)\s+)*$",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(
    r"[.;:!?()\[\]]|\b(?:while|whereas|but|unlike|than|compared|versus|vs)\b", re.I
)
# A note opening on a verb speaks of the paper: "Introduced X, replacing Y", "Applied X to Y".
_OPENING_VERB = re.compile(r"^(?:[A-Z][a-z]+ed|[A-Z][a-z]+s)\b(?:\s+\S+){0,8}$")
_PRONOUN_CHILD = re.compile(
    r"\b(?:it|this (?:model|method|approach|framework|work)"
    r"|our (?:model|method|approach|framework)|we)\b",
    re.I,
)
_CHILD_KINDS = frozenset({"model", "method", "benchmark", "dataset"})
_PARENT_KINDS = frozenset({"model", "method"})
#: Papers said to introduce one concept that paper -> paper lineage is drawn from.
MAX_INTRODUCERS = 3
#: Order in which links are trusted when they conflict.
_LINK_STRENGTH = {
    "fine-tunes": 0,
    "distills": 0,
    "improves": 1,
    "extends": 2,
    "scales": 2,
    "replaces": 3,
    "uses": 4,
}


@dataclass(frozen=True)
class Cue:
    """One lineage cue (a line of ``lineage_cues.jsonl``).

    Attributes
    ----------
    name : str
        What it is called in evidence ("based on").
    pattern : re.Pattern
    link : str
        Kind of link it states.
    parent_after : bool
        The parent follows the cue (else it stands just before it).
    adjacent : bool
        The parent must follow (or precede) the cue almost at once.
    needs_subject : bool
        The cue counts only when its clause has a subject before it (a bare "Using X as an
        example" says nothing about lineage).
    """

    name: str
    pattern: re.Pattern[str]
    link: str
    parent_after: bool
    adjacent: bool = False
    needs_subject: bool = False


@cache
def load_cues() -> tuple[Cue, ...]:
    """The packaged lineage cues.

    Examples
    --------
    >>> any(cue.name == "based on" for cue in load_cues())
    True
    """
    text = resources.files("kg").joinpath("data/lineage_cues.jsonl").read_text("utf-8")
    cues = []
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            cues.append(
                Cue(
                    name=row["cue"],
                    pattern=re.compile(row["pattern"], re.IGNORECASE),
                    link=row["link"],
                    parent_after=row["parent"] == "after",
                    adjacent=bool(row.get("adjacent", False)),
                    needs_subject=bool(row.get("needs_subject", False)),
                )
            )
    return tuple(cues)


def _gap_ok(gap: str, adjacent: bool) -> bool:
    if _CLAUSE_BREAK.search(gap) or "," in gap:
        return False
    if adjacent:
        return _ADJACENT_GAP.match(gap) is not None
    words = gap.lower().split()
    return len(words) <= MAX_GAP_WORDS and not any(w in _GAP_BREAKERS for w in words)


_NO_SUBJECT = object()


def _child_before(
    sentence: str, mentions: list[Mention], cue_start: int, parent: Mention
) -> Mention | object | None:
    """Who the clause says builds on the parent.

    A name the entry introduces, or a name opening the clause; ``None`` for "it", "we",
    "this model" or no subject at all (a note like "Introduced X, replacing Y"), which mean
    what the entry introduces; ``_NO_SUBJECT`` when the subject is something else ("The
    dominant models are based on RNNs" says nothing about the paper's own concept).
    """
    clause_start = 0
    for match in _CLAUSE_BREAK.finditer(sentence[:cue_start]):
        clause_start = match.end()
    head = sentence[clause_start:cue_start]
    candidates = [
        m
        for m in mentions
        if clause_start <= m.start
        and m.end <= cue_start
        and m is not parent
        and m.kind in _CHILD_KINDS
    ]
    for mention in reversed(candidates):
        if mention.introduced:
            return mention
    for mention in candidates:
        opening = sentence[clause_start : mention.start].strip(" ,")
        # "Mixtral has ..." opens on its subject; "We train latent diffusion models, ..." does not.
        if len(opening.split()) <= 2 and not _PRONOUN_CHILD.search(opening):
            return mention
    if _PRONOUN_CHILD.search(head) or _OPENING_VERB.match(head.strip()) or not head.strip(" ,"):
        return None
    return _NO_SUBJECT


_PURPOSE = re.compile(r"\b(?:for|to|when|while|after|before|without)\s+$", re.IGNORECASE)
# "On top of it, we build vLLM": the parent is what the entry introduces, the child the name
# the sentence goes on to introduce.
_PRONOUN_PARENT = re.compile(
    r"^\s*(?:it|this|them|these|this (?:model|method|algorithm|work))\b", re.I
)


def _sentence_claims(sentence: str, mentions: list[Mention], source: str) -> list[Claim]:
    claims = []
    for cue in load_cues():
        for match in cue.pattern.finditer(sentence):
            if _PURPOSE.search(sentence, max(0, match.start() - 12), match.start()):
                continue  # "a method for fine-tuning X", "when applying X": not what it builds on
            if cue.parent_after and _PRONOUN_PARENT.match(sentence[match.end() :]):
                child = next((m for m in mentions if m.start >= match.end() and m.introduced), None)
                if child is not None and child.kind in _CHILD_KINDS:
                    claims.append(Claim(child, None, cue.link, sentence, source, cue.name))
                continue
            if cue.parent_after:
                parent = next(
                    (
                        m
                        for m in mentions
                        if m.start >= match.end()
                        and _gap_ok(sentence[match.end() : m.start], cue.adjacent)
                    ),
                    None,
                )
                if parent is None:
                    continue
                child = _child_before(sentence, mentions, match.start(), parent)
                if child is _NO_SUBJECT:
                    continue
                if cue.needs_subject and not sentence[: match.start()].strip(" ,"):
                    continue
            else:
                parent = next(
                    (
                        m
                        for m in reversed(mentions)
                        if m.end <= match.start() and _gap_ok(sentence[m.end : match.start()], True)
                    ),
                    None,
                )
                if parent is None:
                    continue
                child = None
            if parent.kind not in _PARENT_KINDS and (child is None or child.kind != parent.kind):
                continue
            if child is not None and child.text == parent.text:
                continue
            claims.append(Claim(child, parent, cue.link, sentence, source, cue.name))
    return claims


def read_claims(extracted: ExtractedEntry) -> ExtractedEntry:
    """Add the lineage claims an entry's sentences make.

    Parameters
    ----------
    extracted : ExtractedEntry

    Returns
    -------
    ExtractedEntry
        A new record with ``claims`` filled in.

    Examples
    --------
    >>> from kg.model import Entry, Mention
    >>> s = "Mixtral has the same architecture as Mistral 7B."
    >>> m = [Mention("Mixtral", "model", "", "shape", s, "a:1", 0, 7),
    ...      Mention("Mistral 7B", "model", "", "vocab", s, "a:1", 37, 47)]
    >>> claim = read_claims(ExtractedEntry(Entry("a", 1, 1), tuple(m))).claims[0]
    >>> (claim.child.text, claim.link, claim.parent.text)
    ('Mixtral', 'extends', 'Mistral 7B')
    """
    by_sentence: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for mention in extracted.mentions:
        by_sentence[(mention.source, mention.sentence)].append(mention)
    claims: list[Claim] = []
    for (source, sentence), mentions in by_sentence.items():
        mentions.sort(key=lambda m: m.start)
        claims += _sentence_claims(sentence, mentions, source)
    return replace(extracted, claims=tuple(claims))


def _closes_cycle(dag: nx.DiGraph, child: str, parent: str) -> bool:
    """Would child -> parent close a cycle? Only if something already builds on the child and
    the parent builds on something; the path search runs only then."""
    if child not in dag or parent not in dag:
        return False
    if dag.in_degree(child) == 0 or dag.out_degree(parent) == 0:
        return False
    return nx.has_path(dag, parent, child)


def _years(corpus: Corpus) -> dict[str, int]:
    """The earliest year of the papers introducing each concept (and of each paper)."""
    paper_years = {p.key: p.year_min for p in corpus.papers if p.year_min is not None}
    years = dict(paper_years)
    for link in corpus.links:
        if link.relation == "introduces" and link.child in paper_years:
            year = paper_years[link.child]
            years[link.parent] = min(year, years.get(link.parent, year))
    return years


def _contained_name(child_label: str, parent_label: str) -> bool:
    """Is the child named as a kind of the parent?

    The parent ends the child's name ("Code Llama", "Vision Transformer"), or starts it
    joined by a hyphen as a name with a capital ("SmolTulu-1.7b-Instruct", "GPT-4"). A
    parent opening a phrase is a modifier, not an ancestor ("post-training quantization",
    "KV Prediction"), and a name inside a word is not contained ("RoBERTa" and "BERT").

    Examples
    --------
    >>> _contained_name("Code Llama", "Llama"), _contained_name("GPT-4", "GPT")
    (True, True)
    >>> _contained_name("post-training quantization", "post-training")
    False
    """
    child = child_label.lower()
    parent = parent_label.lower()
    if len(parent) >= len(child):
        return False
    if child.endswith(parent) and child[-len(parent) - 1] in " -":
        return True
    return (
        child.startswith(parent + "-")
        and any(ch.isupper() for ch in parent_label)
        and " " not in child_label
    )


def add_lineage(corpus: Corpus) -> Corpus:
    """Make the corpus's lineage a DAG and add inferred and paper-level links.

    Parameters
    ----------
    corpus : Corpus
        From :func:`kg.resolve.resolve`; its ``builds_on`` links are raw claims.

    Returns
    -------
    Corpus
        A new corpus. ``builds_on`` links: at most one per (child, parent), no cycles, no
        parent newer than its child; inferred ones flagged; paper -> paper links added.

    Examples
    --------
    >>> from kg.model import Concept, Corpus, Link
    >>> cycle = Corpus((), (Concept("a", "A", "model"), Concept("b", "B", "model")), (
    ...     Link("a", "b", "builds_on", "A is based on B.", "f:1", "extends"),
    ...     Link("b", "a", "builds_on", "B uses A.", "f:2", "uses")))
    >>> [(link_.child, link_.parent) for link_ in add_lineage(cycle).links]
    [('a', 'b')]
    """
    concepts = {c.key: c for c in corpus.concepts}
    papers = {p.key for p in corpus.papers}
    years = _years(corpus)
    other = [link for link in corpus.links if link.relation != "builds_on"]
    claims = [link for link in corpus.links if link.relation == "builds_on" and not link.inferred]
    inferred = [link for link in corpus.links if link.relation == "builds_on" and link.inferred]

    support: dict[tuple[str, str], list[Link]] = defaultdict(list)
    for link in claims:
        if link.child != link.parent:
            support[(link.child, link.parent)].append(link)

    def strength(pair: tuple[str, str]) -> tuple:
        links = support[pair]
        best = min(links, key=lambda link_: _LINK_STRENGTH.get(link_.kind_of_link, 9))
        return (
            any(link_.inferred for link_ in links),
            -len(links),
            _LINK_STRENGTH.get(best.kind_of_link, 9),
            pair,
        )

    dag = nx.DiGraph()
    kept: list[Link] = []

    def try_add(link: Link) -> bool:
        child, parent = link.child, link.parent
        if dag.has_edge(child, parent) or child == parent:
            return False
        if child in years and parent in years and years[parent] > years[child]:
            return False
        if _closes_cycle(dag, child, parent):
            return False
        dag.add_edge(child, parent)
        kept.append(link)
        return True

    for pair in sorted(support, key=strength):
        links = support[pair]
        try_add(
            min(links, key=lambda link_: (_LINK_STRENGTH.get(link_.kind_of_link, 9), link_.source))
        )

    # Names that contain another concept's name: "Code Llama" builds on Llama.
    introduced_by: dict[str, list[Link]] = defaultdict(list)
    for link in other:
        if link.relation == "introduces":
            introduced_by[link.parent].append(link)
    label_index: dict[str, list[str]] = defaultdict(list)
    for key, concept in concepts.items():
        if concept.kind in _PARENT_KINDS:
            for name in (concept.label, *concept.aliases):
                words = re.split(r"[\s\-]+", name.lower())
                label_index[words[-1]].append(key)
    for key in sorted(introduced_by):
        concept = concepts.get(key)
        if concept is None or concept.kind not in _CHILD_KINDS:
            continue
        evidence = introduced_by[key][0]
        for word in {w for w in re.split(r"[\s\-]+", concept.label.lower()) if w}:
            for parent in sorted(set(label_index.get(word, []))):
                parent_concept = concepts[parent]
                if parent != key and any(
                    _contained_name(concept.label, n)
                    for n in (parent_concept.label, *parent_concept.aliases)
                ):
                    try_add(
                        Link(
                            key,
                            parent,
                            "builds_on",
                            evidence.evidence,
                            evidence.source,
                            "extends",
                            inferred=True,
                        )
                    )

    # A concept introduced in a sentence that names another paper's concept leans on it:
    # resolution proposed these (inferred links); keep those whose parent another paper
    # introduced.
    for link in sorted(inferred, key=lambda link_: (link_.child, link_.parent, link_.source)):
        child, parent = concepts.get(link.child), concepts.get(link.parent)
        if child is None or parent is None or child.kind not in _CHILD_KINDS:
            continue
        child_papers = {i.child for i in introduced_by.get(link.child, [])}
        if parent.kind in _PARENT_KINDS and any(
            i.child not in child_papers for i in introduced_by.get(link.parent, [])
        ):
            try_add(link)

    # Papers build on the papers that introduced what their concepts build on.
    paper_links: dict[tuple[str, str], Link] = {}
    for link in kept:
        # A concept is introduced by one paper, or a few listing it in their own words; more
        # than that and "introduces" has gone generic, so only the first few count.
        child_papers = (
            [link_.child for link_ in introduced_by.get(link.child, [])][:MAX_INTRODUCERS]
            if link.child not in papers
            else [link.child]
        )
        parent_papers = (
            [link_.child for link_ in introduced_by.get(link.parent, [])][:MAX_INTRODUCERS]
            if link.parent not in papers
            else [link.parent]
        )
        for child_paper in child_papers:
            for parent_paper in parent_papers:
                if child_paper != parent_paper and (child_paper, parent_paper) not in paper_links:
                    paper_links[(child_paper, parent_paper)] = replace(
                        link, child=child_paper, parent=parent_paper
                    )
    paper_dag = nx.DiGraph()
    paper_kept = []
    for (child, parent), link in sorted(
        paper_links.items(), key=lambda item: (item[1].inferred, item[0])
    ):
        if child in years and parent in years and years[parent] > years[child]:
            continue
        if _closes_cycle(paper_dag, child, parent):
            continue
        paper_dag.add_edge(child, parent)
        paper_kept.append(link)
    concept_links = [
        link_ for link_ in kept if link_.child not in papers and link_.parent not in papers
    ]
    return replace(corpus, links=tuple(other + concept_links + paper_kept))
