"""Lineage: the claims of every entry (:mod:`kg.claims`), resolved, made into a DAG.

:func:`add_lineage` takes the resolved :class:`~kg.model.Corpus`, whose ``builds_on`` links
are raw claims, and returns a new corpus whose lineage is a DAG: strongest claims first, a
link that would close a cycle or make a parent newer than its child is dropped (the strongest:
stated by more entries, then the more specific kind of link). It then adds the one kind of
link it infers, marked ``inferred``: a name whose head is another name ("Code Llama" ->
Llama, "SG-DQN" -> DQN; never a fragment, "SWE-bench" -> SWE); and finally the paper ->
paper links that lineage implies. Links from a paper to a concept (what a paper that
introduces nothing named builds on) stay as they are.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace

import networkx as nx

from kg.claims import load_lineage_words
from kg.groupby import GroupBy, InProcess, bucket_of
from kg.model import Concept, Corpus, Link
from kg.vocab import name_key

__all__ = ["add_lineage"]

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


#: A head shorter than this is a fragment, not a name ("ID", "AI").
MIN_HEAD_CHARS = 3
_VERSION_SUFFIX = re.compile(r"[ -]?v?\d+(?:\.\d+)*[a-z]?$")
# Words that end a noun phrase's head: what follows them is not the name's head. Lower case
# only, as titles write them: the "A" of "A-DSGD" is part of a name.
_FUNCTION_WORD = re.compile(
    r"(?:^|\s)(?:of|with|for|in|on|to|from|via|by|and|or|a|an|the|using|at|as)(?:\s|$)"
)


def _contained_name(child_label: str, parent_label: str) -> bool:
    """Is the child named as a kind of the parent?

    The parent is the head of the child's name ("Code Llama", "Vision Transformer",
    "SG-DQN"), spelled the same way, or the child is the parent with a version ("Llama 2").
    A parent opening a phrase is a modifier or a fragment, not an ancestor ("SWE-bench" and
    SWE, "post-training quantization"), a name spelled otherwise is another name ("Absolute
    Zero" and ZeRO), and a name inside a word is not contained ("RoBERTa" and "BERT").

    Examples
    --------
    >>> _contained_name("Code Llama", "Llama"), _contained_name("SG-DQN", "DQN")
    (True, True)
    >>> _contained_name("Llama 2", "Llama"), _contained_name("SWE-bench", "SWE")
    (True, False)
    >>> _contained_name("Absolute Zero", "ZeRO"), _contained_name("RoBERTa", "BERT")
    (False, False)
    >>> _contained_name("non-autoregressive generation", "autoregressive generation")
    False

    A phrase with a function word has its head before it: "Persistence Homology of TEDtalk"
    is no TEDtalk, and "Taking a HINT" no HINT.

    >>> _contained_name("Persistence Homology of TEDtalk", "TEDtalk")
    False
    """
    child = child_label.strip()
    parent = parent_label.strip()
    if " " in parent:
        # Case tells names apart within a word (ZeRO, Zero), not across a phrase ("Fusion
        # Hidden Markov Model" is a hidden Markov model).
        child, parent = child.lower(), parent.lower()
    if len(parent) >= len(child) or not parent:
        return False
    if len(parent) < MIN_HEAD_CHARS:
        return False  # "re-ID" is not an "ID"
    singular = child[:-1] if child.endswith("s") and not parent.endswith("s") else child
    for name in (child, singular):
        if len(name) > len(parent) and name.endswith(parent) and name[-len(parent) - 1] in " -":
            prefix = name[: -len(parent) - 1]
            if _FUNCTION_WORD.search(prefix):
                return False
            # "SG-DQN" names a DQN; "non-autoregressive generation", "re-ranking" are words.
            return name[-len(parent) - 1] != "-" or re.search(r"[A-Z0-9]", prefix) is not None
    rest = child[len(parent) :]
    return child.startswith(parent) and bool(rest) and _VERSION_SUFFIX.fullmatch(rest) is not None


def add_lineage(
    corpus: Corpus,
    *,
    names: Callable[[str, str], bool] | None = None,
    engine: GroupBy | None = None,
) -> Corpus:
    """Make the corpus's lineage a DAG and add inferred and paper-level links.

    Parameters
    ----------
    corpus : Corpus
        From :func:`kg.resolve.resolve`; its ``builds_on`` links are raw claims, between
        concepts or from a paper to a concept.
    names : callable, optional
        ``names(paper, concept)``: does the paper introduce or mention the concept? By
        default read from the corpus's links; a build that keeps its ``mentions`` links out
        of memory passes a look-up instead (:meth:`kg.store.StoreWriter.names`).
    engine : GroupBy, optional
        Where the DAG pass runs, one connected component at a time (:func:`_acyclic`): in
        this process by default, on Dask workers with :class:`kg.cluster.OnCluster`.

    Returns
    -------
    Corpus
        A new corpus. ``builds_on`` links: at most one per (child, parent), with every
        entry that states it in ``stated_at``; no cycles, no parent newer than its child;
        links inferred from names flagged ``inferred``; paper -> paper links added.

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
    # A paradigm or generic term is never a parent, whichever spelling the claim used ("IL"
    # for incremental learning); a paper does not build on what it introduces itself.
    words = load_lineage_words()
    generic = {
        key
        for key, concept in concepts.items()
        if any(name_key(n) in words.not_parents for n in (concept.label, *concept.aliases))
    }
    own = {(link.child, link.parent) for link in other if link.relation == "introduces"}
    support: dict[tuple[str, str], list[Link]] = defaultdict(list)
    for link in corpus.links:
        if link.relation != "builds_on" or link.child == link.parent:
            continue
        if link.parent in generic or (link.child, link.parent) in own:
            continue
        support[(link.child, link.parent)].append(link)

    def strength(pair: tuple[str, str]) -> tuple:
        links = support[pair]
        best = min(_LINK_STRENGTH.get(link_.kind_of_link, 9) for link_ in links)
        sources = {link_.source.rsplit(":", 1)[0] for link_ in links}
        return (any(link_.inferred for link_ in links), -len(sources), -len(links), best, pair)

    tried = []
    for pair in sorted(support, key=strength):
        links = support[pair]
        best = min(
            links, key=lambda link_: (_LINK_STRENGTH.get(link_.kind_of_link, 9), link_.source)
        )
        stated = tuple(dict.fromkeys(link_.source for link_ in links))
        tried.append(replace(best, stated_at=stated if len(stated) > 1 else ()))

    introduced_by: dict[str, list[Link]] = defaultdict(list)
    for link in other:
        if link.relation == "introduces":
            introduced_by[link.parent].append(link)
    paper_names = names if names is not None else _names_in(other)
    # The name implies the link when the entry names the parent too (docs/annotation.md);
    # it is tried after every claim.
    tried += [
        link
        for link in _named_after(concepts, introduced_by)
        if any(paper_names(i.child, link.parent) for i in introduced_by[link.child])
    ]
    kept = _acyclic(tried, years, engine or InProcess())

    # Papers build on the papers that introduced what they, or their concepts, build on.
    paper_links: dict[tuple[str, str], Link] = {}
    for link in kept:
        # A concept is introduced by one paper, or a few listing it in their own words; more
        # than that and "introduces" has gone generic, so only the first few count.
        child_papers = (
            [link_.child for link_ in introduced_by.get(link.child, [])][:MAX_INTRODUCERS]
            if link.child not in papers
            else [link.child]
        )
        parent_papers = [link_.child for link_ in introduced_by.get(link.parent, [])][
            :MAX_INTRODUCERS
        ]
        for child_paper in child_papers:
            for parent_paper in parent_papers:
                if child_paper != parent_paper and (child_paper, parent_paper) not in paper_links:
                    paper_links[(child_paper, parent_paper)] = replace(
                        link, child=child_paper, parent=parent_paper, stated_at=()
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
    return replace(corpus, links=tuple(other + kept + paper_kept))


def _acyclic(tried: list[Link], years: dict[str, int], engine: GroupBy) -> list[Link]:
    """The links of ``tried`` that, taken in order, neither close a cycle nor make a parent
    newer than its child (``years``).

    Whether a link closes a cycle depends only on the links before it in its own connected
    component, so the pass runs per component (a group-by on the component, each run in
    the links' order) and the answers are put back in order.

    Examples
    --------
    >>> ab, ba, cd = (Link(c, p, "builds_on", "", "f:1") for c, p in ("ab", "ba", "cd"))
    >>> [(link.child, link.parent) for link in _acyclic([ab, ba, cd], {}, InProcess(2))]
    [('a', 'b'), ('c', 'd')]
    """
    components = nx.utils.UnionFind()
    for link in tried:
        components.union(link.child, link.parent)
    # What the pass needs of each link, and no more (it may travel to a worker).
    items = [
        (rank, components[child], child, parent, years.get(child), years.get(parent))
        for rank, (child, parent) in enumerate((link.child, link.parent) for link in tried)
    ]
    answers = engine.group([[engine.share(items)]], [_split_components], _reduce_components)
    del items
    return [tried[rank] for rank in sorted(itertools.chain.from_iterable(engine.gather(answers)))]


def _split_components(items: list[tuple], buckets: int) -> list[list[tuple]]:
    pieces: list[list[tuple]] = [[] for _ in range(buckets)]
    for item in items:
        pieces[bucket_of(item[1], buckets)].append(item)
    return pieces


def _reduce_components(pieces: list[list[tuple]]) -> list[int]:
    """The DAG pass over one bucket of components: the ranks of the links kept."""
    dag = nx.DiGraph()  # components do not touch, so one graph holds them all
    kept = []
    for piece in pieces:
        for rank, _, child, parent, child_year, parent_year in piece:
            if dag.has_edge(child, parent) or child == parent:
                continue
            if child_year is not None and parent_year is not None and parent_year > child_year:
                continue
            if _closes_cycle(dag, child, parent):
                continue
            dag.add_edge(child, parent)
            kept.append(rank)
    return kept


def _names_in(links: list[Link]) -> Callable[[str, str], bool]:
    """``names(paper, concept)`` read from the paper -> concept links."""
    named_by: dict[str, set[str]] = defaultdict(set)
    for link in links:
        named_by[link.child].add(link.parent)
    return lambda paper, concept: concept in named_by[paper]


def _words(name: str) -> list[str]:
    return re.split(r"[\s\-]+", name.lower())


def _name_parts(name: str) -> Iterator[str]:
    """What a parent's name (lower-cased) must be for :func:`_contained_name` to hold: a
    tail of the name after a space or hyphen (of its singular too), or a head followed by a
    version. More than that, never less.

    Examples
    --------
    >>> sorted(set(_name_parts("SG-DQN"))), "llama" in set(_name_parts("Llama 2"))
    (['dqn'], True)
    """
    lower = name.strip().lower()
    variants = (lower, lower[:-1]) if lower.endswith("s") else (lower,)
    for variant in variants:
        for index, char in enumerate(variant):
            if char in " -":
                yield variant[index + 1 :]
    for index in range(1, len(lower)):
        if _VERSION_SUFFIX.fullmatch(lower[index:]):
            yield lower[:index]


def _named_after(concepts: dict[str, Concept], introduced_by: dict[str, list[Link]]) -> list[Link]:
    """Inferred links from names whose head is another concept's name ("Code Llama" ->
    Llama), for the concepts some paper introduces."""
    not_parents = load_lineage_words().not_parents
    by_name: dict[str, list[str]] = defaultdict(list)
    for key, concept in concepts.items():
        if concept.kind in _PARENT_KINDS and name_key(concept.label) not in not_parents:
            for name in dict.fromkeys(n.strip().lower() for n in (concept.label, *concept.aliases)):
                by_name[name].append(key)
    links = []
    for key in sorted(introduced_by):
        concept = concepts.get(key)
        if concept is None or concept.kind not in _CHILD_KINDS:
            continue
        evidence = introduced_by[key][0]
        # A parent shares a word with the child's label, and one of its names is a tail
        # or a versioned head of one of the child's: looked up, not searched for, since a
        # common word ("Llama") is shared by thousands of names in a big corpus.
        words = set(_words(concept.label))
        candidates = {
            parent
            for name in (concept.label, *concept.aliases)
            for part in _name_parts(name)
            for parent in by_name.get(part, ())
            if not words.isdisjoint(
                w for n in (concepts[parent].label, *concepts[parent].aliases) for w in _words(n)
            )
        }
        for parent in sorted(candidates - {key}):
            names = (concepts[parent].label, *concepts[parent].aliases)
            if any(
                _contained_name(name, n)
                for name in (concept.label, *concept.aliases)
                for n in names
            ):
                links.append(
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
    return links
