"""Lineage claims: what an entry's sentences say builds on what.

Takes an :class:`~kg.model.ExtractedEntry` and returns it with the
:class:`~kg.model.Claim` s its sentences make. A claim's child is a named mention when the
sentence makes one its subject ("BERT uses the Transformer", "FooNet, a BERT-based model"),
and ``None`` when the sentence speaks of the authors' own work ("we adopt Y", "our model is
built on Y", "the proposed Y-based method"): ``None`` stands for the entry's *focal artifact*,
what the entry introduces, or, when it introduces nothing named, the paper itself (resolution
decides which; see :func:`kg.resolve.resolve`).

Forms (cues are data, ``kg/data/lineage_cues.jsonl``):

``verb``
    the parent follows the cue, the child is the clause's subject: "X is based on Y",
    "we fine-tune Y", "X combines Y and Z" (one claim per part), "instead of Y";
``modifier``
    the parent is glued before the cue, the child is what the phrase describes: "a Y-based
    Z", "Y-like", "Y-style";
``passive``
    "Y is replaced by Z": the focal artifact replaces Y and uses Z;
``state``
    the parent stands just before the cue and the child is the focal artifact: "Y was
    undertrained", "Y as the backbone";
``adjective``
    "an optimized Y": what the phrase describes improves on Y;
``reverse``
    the focal artifact is the parent of the names after the cue: "Adopted by Y and Z",
    "Foundation of Y" (notes on what came of a paper);

and, with no cue, copulas and appositives whose complement is headed by a name: "X is a
decoder-only Transformer", "X, a convolutional neural network, ..." (X extends it).

Not claims: comparisons and evaluations ("outperforms Y", "compared with Y", "on
ImageNet"), purposes ("a method for fine-tuning Y"), clauses whose subject is someone else's
work ("existing methods use Y"), negations, and parents that are paradigms, data types,
domains or generic categories (``kg/data/lineage_words.json``). It does not decide which
names are the same concept (:mod:`kg.resolve`) nor make lineage acyclic (:mod:`kg.lineage`).
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib import resources

from kg.model import Claim, ExtractedEntry, Mention
from kg.scoring import LineageModel, load_model
from kg.vocab import name_key

__all__ = ["Cue", "LineageWords", "load_cues", "load_lineage_words", "pair_features", "read_claims"]

#: Words allowed between a non-adjacent cue and its parent ("based on the original Y").
MAX_GAP_WORDS = 4
#: Words between "which" / "that" and a cue for the clause to still speak of what "which" is.
MAX_RELATIVE_WORDS = 4
#: Characters around a name that the scorer's word features and its purpose, comparison and
#: list patterns read.
CUE_WINDOW = 80
#: Sentences an entry needs for the scorer to read where a sentence stands in it.
MIN_POSITIONED_SENTENCES = 4
#: Words allowed between a determiner and a name inside one noun phrase.
MAX_NP_WORDS = 4
#: Kinds a child or a parent may have; datasets and benchmarks build only on their kind.
_CHILD_KINDS = frozenset({"model", "method", "benchmark", "dataset"})
_PARENT_KINDS = frozenset({"model", "method"})
_DATA_KINDS = frozenset({"benchmark", "dataset"})
#: Links a dataset or benchmark may have to another (a corpus derived from another).
_DATA_LINKS = frozenset({"extends", "improves"})

# Words that end the phrase a non-adjacent cue governs.
_GAP_BREAKERS = frozenset(
    "and or both either between than as in on of for with by to from via versus vs that which "
    "while whereas but not nor such including like over into under against across".split()
)
# Parentheses are not clause breaks: they hold acronyms and asides ("grouped-query attention
# (GQA) for faster inference, coupled with ...").
_CLAUSE_BREAK = re.compile(
    r"[.;:!?\[\]—–]|\s--?\s|\b(?:that|which|who|whom|whose|whereas|while|but|although|though|where"
    r"|when|unlike|because|since|whether)\b",
    re.IGNORECASE,
)
_RELATIVE = frozenset({"that", "which", "who"})
# "combines linear prediction with recurrent neural networks": the first part need not be a
# name for the second to be one.
_UNNAMED_CONJUNCT = re.compile(
    r"\s*(?:an?\s+|the\s+)?(?!both\b|either\b)(?:[a-z][a-z-]*\s+){1,3}(?:with|and)\s+"
    r"(?:an?\s+|the\s+)?"
)
_PERFECT = re.compile(r"\b(?:have|has|had)\s+(?:\w+\s+)?been\b|\bcan be\b|\bcould be\b", re.I)
_PREPOSITION_FIRST = re.compile(
    r"(?:like|unlike|in|for|with|from|of|on|to|by|as|among|over|than|via)\b", re.IGNORECASE
)
_PARTICIPLE_FIRST = re.compile(r"[A-Z][a-z]+ing\b|Based on\b|Built on\b|Inspired by\b")
_OWN_COPULA = re.compile(
    r"\s*(?:our|the proposed|the resulting)\s+(?:[\w-]+\s+){0,4}?(?:model|network|method|system"
    r"|architecture|approach|framework|encoder|decoder)s?\s+(?:is|are)\s+(?:a|an|the)\s+",
    re.IGNORECASE,
)
_DESCRIPTION_THEN_NAME = re.compile(
    r"\s+(?:method|model|algorithm|technique|approach|framework|architecture|network|space"
    r"|module|loss|objective|optimizer|backbone|encoder|decoder)(?:,\s*|\s+)",
    re.IGNORECASE,
)
# In an abstract or its summary, "the core methodology leverages Y" speaks of the paper's own.
_OWN_NOUN = re.compile(
    r"\s*(?:the|its)\s+(?:core|main|key|overall|central|basic|new|whole)?\s*(?:method|methodology"
    r"|approach|framework|model|system|architecture|algorithm|pipeline|technique|design)\b",
    re.IGNORECASE,
)
# "integrating established components like SwiGLU, RoPE and RMSNorm": a list cue's object
# may be named by example.
_EXAMPLES_GAP = re.compile(
    r"\s*(?:[a-z][\w-]*\s+){0,4}?(?:like|such as|including|e\.g\.,?|namely)\s+", re.I
)
# A name, then its appositive up to the cue: "AdaMax, a variant of", "X, a multilingual variant of".
_APPOSITIVE_TO_CUE = re.compile(r"\s*(?:,|--|—|–)\s*(?:an?|the)\s+(?:[\w-]+\s+){0,3}$", re.I)
_PURPOSE = re.compile(r"\b(?:for|to|when|while|after|before|without|of)\s+$", re.IGNORECASE)
# "we propose to use Y" is the authors using Y, not a purpose.
_CHOSEN = re.compile(
    r"\b(?:propose|proposes|choose|chooses|opt|opts|decide|decided)\s+to\s+$", re.I
)
_NEGATION = re.compile(r"\b(?:not|no|never|without|cannot|n't|neither|nor|rather than)\b", re.I)
_INTRO_WORD = (
    r"\b(?:propos|present|introduc|develop|design|devis|construct|build|built|creat|offer"
    r"|describ|formulat|put forward|call|dub|nam|term|denot|refer to)[a-z]*"
)
_INTRO_BEFORE = re.compile(_INTRO_WORD + r"\s+(?:it\s+|as\s+)?$", re.IGNORECASE)
_INTRO_ANYWHERE = re.compile(_INTRO_WORD, re.IGNORECASE)
_APPOSED = re.compile(
    r"^(?:\s*,\s*(?:which|that)\s+(?:is|are)\s+|\s*,\s*|\s+(?:is|are|was|were)\s+)$"
)
_COPULA = re.compile(
    r"^(?:\s+(?:architecture|model|network|method|framework|algorithm|system))?"
    r"(?:\s*,\s*(?:which is\s+)?|\s+(?:is|are|was)\s+)(?:a|an|the)\s+",
    re.I,
)
# After a copula's name, what shows the name heads the phrase (or modifies its head noun).
_HEAD_END = re.compile(
    r"^(?:\s*(?:[,.;:()]|$)|\s+(?:model|network|architecture|encoder|decoder|layer|module|"
    r"variant|backbone|based|that|which|with|for|trained|using|to|in|on|of)\b)",
    re.IGNORECASE,
)
# A note opening on a verb speaks of the paper: "Introduced X, replacing Y", "Applied X to Y".
_OPENING_VERB = re.compile(r"^\s*(?:[A-Z][a-z]+ed|[A-Z][a-z]+s)\b")
_OPENED_ON_PAST = re.compile(r"^\s*[A-Z][a-z]+ed\b")
_PRONOUN_PARENT = re.compile(
    r"\s*(?:it|them|(?:this|these) (?:model|method|algorithm|work|framework|architecture|system"
    r"|technique|approach|models|methods|algorithms)s?)\b",
    re.IGNORECASE,
)
_WITH_OR_BY = re.compile(r"\b(?:with|by)\b", re.IGNORECASE)
_NOTE_ROLES = frozenset({"description", "blurb", "summary"})


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
    form : str
        ``"verb"``, ``"modifier"``, ``"passive"`` or ``"state"`` (see the module docstring).
    adjacent : bool
        The parent must follow the cue almost at once (determiners and adjectives only).
    coordinated : bool
        Every name of a list after the cue is a parent ("combines Y and Z").
    then : str
        For "replacing Y with Z": the kind of link to the name after "with" / "by".
    named : bool
        The parent must be a proper name (with a capital: "an improved BERT", not "an
        improved autoregressive transformer").
    folded : re.Pattern or None
        The pattern without ``IGNORECASE``, for lower-cased ASCII text (where it finds the
        same matches, faster); None when the pattern holds a capital of its own.
    """

    name: str
    pattern: re.Pattern[str]
    link: str
    form: str
    adjacent: bool = False
    coordinated: bool = False
    then: str = ""
    named: bool = False
    folded: re.Pattern[str] | None = None

    def finditer(
        self, text: str, lowered: str | None, start: int, end: int
    ) -> Iterator[re.Match[str]]:
        """Matches in ``text[start:end]``; ``lowered`` is ``text.lower()`` if the text is
        ASCII (same offsets), else None."""
        if self.folded is not None and lowered is not None:
            return self.folded.finditer(lowered, start, end)
        return self.pattern.finditer(text, start, end)


def _folded(source: str) -> re.Pattern[str] | None:
    """``source`` compiled case-sensitively, if no letter in it but escapes is a capital
    and it turns no flag off (``(?-i:[A-Z])``)."""
    if "(?-" in source or any(ch.isupper() for ch in re.sub(r"\\.", "", source)):
        return None
    return re.compile(source)


@dataclass(frozen=True)
class LineageWords:
    """Compiled word lists from ``lineage_words.json`` (see that file's comment)."""

    not_parents: frozenset[str]
    own_work: re.Pattern[str]
    comparison: frozenset[str]
    np_words: frozenset[str]
    evaluation_role: re.Pattern[str]
    evaluation_head: re.Pattern[str]


@functools.cache
def load_cues() -> tuple[Cue, ...]:
    """The packaged lineage cues.

    Examples
    --------
    >>> [cue.form for cue in load_cues() if cue.name in ("based on", "X-based")]
    ['verb', 'modifier']
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
                    form=row["form"],
                    adjacent=bool(row.get("adjacent", False)),
                    coordinated=bool(row.get("list", False)),
                    then=row.get("then", ""),
                    named=bool(row.get("named", False)),
                    folded=_folded(row["pattern"]),
                )
            )
    return tuple(cues)


@functools.cache
def load_lineage_words() -> LineageWords:
    """The packaged lineage word lists.

    Examples
    --------
    >>> words = load_lineage_words()
    >>> "federatedlearning" in words.not_parents, bool(words.own_work.search("we adopt"))
    (True, True)
    """
    data = json.loads(resources.files("kg").joinpath("data/lineage_words.json").read_text("utf-8"))

    def alternation(words: list[str]) -> re.Pattern[str]:
        ordered = sorted((re.escape(w) for w in words), key=len, reverse=True)
        return re.compile(rf"\b(?:{'|'.join(ordered)})\b", re.IGNORECASE)

    return LineageWords(
        not_parents=frozenset(name_key(w) for w in data["not_parents"]),
        own_work=alternation(data["own_work"] + ["the authors", "the paper"]),
        comparison=_single_words(data["comparison"]),
        np_words=frozenset(w.lower() for w in data["np_words"]),
        evaluation_role=re.compile(
            rf"\s*(?:model\s+|network\s+)?as\s+(?:an?|the|our)\s+(?:\w+\s+)?"
            rf"(?:{'|'.join(map(re.escape, data['evaluation_roles']))})\b",
            re.IGNORECASE,
        ),
        evaluation_head=re.compile(
            rf"\s+(?:{'|'.join(map(re.escape, data['evaluation_heads']))})\b", re.IGNORECASE
        ),
    )


@dataclass(frozen=True)
class _Sentence:
    """One sentence and what the claim readers need to know about it."""

    text: str
    mentions: tuple[Mention, ...]
    source: str
    is_title: bool
    is_note: bool
    focal_kind: str
    recent: Mention | None = None  # the last name the entry has introduced so far


#: The clause's subject is something else's: no claim.
_NOBODY = object()


def _words(gap: str) -> list[str]:
    return re.findall(r"[\w'’-]+", gap.lower())


_ADJECTIVE = re.compile(r"[a-z]+(?:ed|al|ive|ous|ic|ar|ent|ant|able|ible|ful|less|ary|ian)")


def _np_gap(gap: str, words: LineageWords) -> bool:
    """Only determiners and adjectives between: "a pretrained multi-layer", "a multilayered"."""
    if re.search(r"[,;:.()]", gap):
        return False
    tokens = _words(gap)
    return len(tokens) <= MAX_NP_WORDS and all(
        t in words.np_words
        or t.isdigit()
        or re.fullmatch(r"[a-z0-9]+-[a-z0-9-]+", t)
        or (_ADJECTIVE.fullmatch(t) and t not in _GAP_BREAKERS)
        for t in tokens
    )


def _gap_ok(gap: str, adjacent: bool, words: LineageWords) -> bool:
    if adjacent:
        return _np_gap(gap, words)
    if re.search(r"[,;:.()]", gap) or _CLAUSE_BREAK.search(gap):
        return False
    tokens = _words(gap)
    if len(tokens) > MAX_GAP_WORDS:
        return False
    return not any(t in _GAP_BREAKERS and t not in words.np_words for t in tokens)


def _clause_start(text: str, position: int) -> tuple[int, str]:
    """Where the clause holding ``position`` starts, and the word that opened it."""
    start, opener = 0, ""
    for match in _CLAUSE_BREAK.finditer(text, 0, position):
        start, opener = match.end(), match.group(0).lower()
    return start, opener


def _subject(s: _Sentence, cue_start: int, cue_end: int, words: LineageWords):
    """The child a verb cue's clause speaks of: a mention, ``None`` (the focal artifact) or
    ``_NOBODY``. Between the subject and the cue no negation or comparison may stand; before
    the subject it may ("Unlike prior work, MusicGen is comprised of ...")."""
    start, opener = _clause_start(s.text, cue_start)
    head = s.text[start:cue_start]
    candidates = [
        m
        for m in s.mentions
        if start <= m.start and m.end <= cue_start and _can_be_child(m, s, words)
    ]
    if opener in _RELATIVE and not candidates and len(_words(head)) <= MAX_RELATIVE_WORDS:
        # "X, which uses Y instead of Z"; in "a model that predicts tokens derived from Y"
        # the cue speaks of the tokens.
        if _NEGATION.search(head) or _says_any(head, words.comparison):
            return _NOBODY
        return _antecedent(s, start - len(opener), words)
    subject, subject_end = _find_subject(s, start, cue_start, candidates, words)
    if subject is _NOBODY:
        return _NOBODY
    between = s.text[subject_end:cue_start]
    if _NEGATION.search(between) or _says_any(between, words.comparison):
        return _NOBODY
    return subject


def _find_subject(s: _Sentence, start: int, cue_start: int, candidates: list, words: LineageWords):
    """(subject, where it ends) in the clause ``[start, cue_start)``; see :func:`_subject`."""
    head = s.text[start:cue_start]
    if candidates and _APPOSITIVE_TO_CUE.match(s.text, candidates[-1].end, cue_start):
        return candidates[-1], cue_start  # "we discuss AdaMax, a variant of Adam"
    for mention in reversed(candidates):
        if mention.introduced:
            return mention, mention.end
    own = [m.end() for m in words.own_work.finditer(head)]
    own_noun = _OWN_NOUN.match(head)
    own_end = start + (own[-1] if own else own_noun.end()) if own or own_noun else -1
    for mention in candidates:
        opening = s.text[start : mention.start]
        opening = opening.rsplit(",", 1)[-1].strip()  # "Unlike prior work, MusicGen ..."
        # "Mixtral has ...", "The FooNet model uses ...": the name opens its clause; "Like
        # other X architectures, our model uses ..." has the authors' model as subject.
        if (
            len(opening.split()) <= 2
            and not words.own_work.search(opening)
            and not _PREPOSITION_FIRST.match(opening)
            and mention.end > own_end
        ):
            return mention, mention.end
    if own_end >= 0:
        return None, own_end
    stripped = head.strip(" ,")
    if _NEGATION.search(head):
        return _NOBODY, cue_start
    if s.is_note and (not stripped or _OPENING_VERB.match(head)):
        return None, start
    if not stripped and (s.is_title or words.own_work.search(s.text, cue_start)):
        return None, start  # "Using Y, we ...", a title "Combining Y and Z for ..."
    # "Combining the model with MCMC, inference across scales is achieved": a sentence
    # opening on a participle describes the method the abstract is about.
    participle = not stripped and start == 0 and _PARTICIPLE_FIRST.match(s.text, cue_start)
    if participle and not _says_any(s.text, words.comparison):
        return None, start
    return _NOBODY, cue_start


def _antecedent(s: _Sentence, relative_at: int, words: LineageWords):
    """What "which" / "that" refers to: the name just before it, or the thing the authors
    introduce ("we propose a method that uses Y")."""
    before = s.text[:relative_at]
    named = [
        m
        for m in s.mentions
        if m.end <= relative_at and not s.text[m.end : relative_at].strip(" ,")
    ]
    if named and named[-1].kind in _CHILD_KINDS:
        return named[-1]
    clause_start, _ = _clause_start(s.text, relative_at)
    clause = before[clause_start:]
    if _says_any(clause, words.comparison) or _NEGATION.search(clause):
        return _NOBODY
    if words.own_work.search(clause) or _INTRO_ANYWHERE.search(clause):
        return None
    return _NOBODY


def _owner(s: _Sentence, phrase_start: int, words: LineageWords):
    """Who a compound modifier describes ("a Y-based Z"): a mention, ``None`` (the focal
    artifact) or ``_NOBODY``."""
    start = phrase_start
    # Walk back over the noun phrase's determiners and adjectives.
    while True:
        match = re.search(r"([\w'’-]+)\s+$", s.text[:start])
        if not match or match.group(1).lower() not in words.np_words:
            break
        start = match.start(1)
    phrase = s.text[start:phrase_start].lower()
    if re.search(r"\b(?:our|proposed)\b", phrase):
        return None
    clause_start, _ = _clause_start(s.text, start)
    before = s.text[clause_start:start]
    if _NEGATION.search(before) or _says_any(before + phrase, words.comparison):
        return _NOBODY
    named = [m for m in s.mentions if m.end <= start and _can_be_child(m, s, words)]
    if named and _APPOSED.match(s.text[named[-1].end : start]):
        return named[-1]  # "X, a Y-based model", "X is a Y-based model"
    if _INTRO_BEFORE.search(before):
        return None  # "we propose a Y-based model"
    if s.is_title and (not before.strip() or clause_start > 0):
        return None  # a title "Y-based Z for W", "Name: A Y-based Z"
    if words.own_work.search(before):
        return None  # "we train a Y-based model", "our model is a Y-like network"
    return _NOBODY


def _objects(s: _Sentence, after: int, cue: Cue, words: LineageWords) -> list[Mention]:
    """The names a cue governs: the first one after it, and for a list cue the rest of the
    list ("combines a frozen Y and a Z")."""
    first = next(
        (
            m
            for m in s.mentions
            if m.start >= after
            and (
                _gap_ok(s.text[after : m.start], cue.adjacent, words)
                or (cue.coordinated and _EXAMPLES_GAP.fullmatch(s.text, after, m.start))
                or (cue.coordinated and _UNNAMED_CONJUNCT.fullmatch(s.text, after, m.start))
            )
        ),
        None,
    )
    if first is None:
        return []
    named = _named_object(s, first)
    found = [named or first]
    if cue.coordinated:
        for mention in s.mentions:
            if mention.start < found[-1].end:
                continue
            gap = s.text[found[-1].end : mention.start]
            separator = re.match(r"^\s*(?:,|and|or|with|as well as|followed by|/)+", gap)
            rest = gap[separator.end() :] if separator else ""
            if separator is None or not _np_gap(rest, words):
                break
            found.append(mention)
    return found


def _named_object(s: _Sentence, first: Mention) -> Mention | None:
    """A description, then its name: "the contrastive learning method Momentum Contrast",
    "an existing sentence embedding space, SONAR"; the name is the object."""
    if any(ch.isupper() for ch in first.text):
        return None
    following = next((m for m in s.mentions if m.start >= first.end), None)
    if following is None or not any(ch.isupper() for ch in following.text):
        return None
    if _DESCRIPTION_THEN_NAME.fullmatch(s.text, first.end, following.start):
        return following
    return None


def _can_be_child(mention: Mention, s: _Sentence, words: LineageWords) -> bool:
    """Whether a mention can be the child of a claim: an artifact the entry introduces, or a
    proper name (with a capital) that is no paradigm or data type. A title speaks of the
    paper, so there only its own name is a child; a lower-case technique opening a clause
    ("pruning uses ADMM") states no artifact's lineage."""
    if mention.kind not in _CHILD_KINDS:
        return False
    if mention.introduced:
        return True
    if s.is_title or _not_parent(mention, words):
        return False
    return any(ch.isupper() for ch in mention.text)


def _not_parent(mention: Mention, words: LineageWords) -> bool:
    """A paradigm, data type, domain or generic name (by spelling, acronym or vocabulary id)."""
    names = (mention.text, mention.long_form, mention.key.replace("-", " "))
    return any(name and name_key(name) in words.not_parents for name in names)


def _parent_ok(
    parent: Mention, child: Mention | None, link: str, s: _Sentence, words: LineageWords
) -> bool:
    if _not_parent(parent, words):
        return False
    if parent.start > 0 and s.text[parent.start - 1] == "-":
        return False  # "Pseudo-Adversarial Training": a fragment of a longer name
    if words.evaluation_role.match(s.text, parent.end):
        return False  # "using GPT-3 as an example", "with BERT as a baseline"
    if words.evaluation_head.match(s.text, parent.end):
        return False  # "based on human and GPT-4 evaluations"
    if child is not None and name_key(child.text) == name_key(parent.text):
        return False
    if parent.kind in _PARENT_KINDS:
        return child is None or child.kind in _CHILD_KINDS
    child_kind = child.kind if child is not None else s.focal_kind
    return parent.kind in _DATA_KINDS and child_kind == parent.kind and link in _DATA_LINKS


def _claim(child, parent: Mention | None, link: str, s: _Sentence, cue: str) -> Claim:
    return Claim(child, parent, link, s.text, s.source, cue)


def _verb_claims(s: _Sentence, cue: Cue, match: re.Match[str], words: LineageWords) -> list[Claim]:
    before = s.text[max(0, match.start() - 30) : match.start()]
    if _PURPOSE.search(before) and not _CHOSEN.search(before):
        return []  # "a method for fine-tuning Y", "when applying Y": not what it builds on
    if _PRONOUN_PARENT.match(s.text, match.end()):
        # "On top of it, we build vLLM": the parent is the focal artifact, the child the name
        # the sentence goes on to introduce.
        child = next((m for m in s.mentions if m.start >= match.end() and m.introduced), None)
        if child is not None and child.kind in _CHILD_KINDS:
            return [_claim(child, None, cue.link, s, cue.name)]
        return []
    parents = _objects(s, match.end(), cue, words)
    if cue.named:
        parents = [p for p in parents if _is_proper(p)]
    if not parents:
        return []
    child = _subject(s, match.start(), match.end(), words)
    if child is _NOBODY:
        return []
    claims = [
        _claim(child, parent, cue.link, s, cue.name)
        for parent in parents
        if _parent_ok(parent, child, cue.link, s, words)
    ]
    if cue.then:
        claims += _then_claims(s, parents[-1].end, child, cue, words)
    return claims


def _then_claims(s: _Sentence, after: int, child, cue: Cue, words: LineageWords) -> list[Claim]:
    """The name after "with" / "by" in "replacing Y with Z": the child uses it."""
    clause_end = _CLAUSE_BREAK.search(s.text, after)
    limit = clause_end.start() if clause_end else len(s.text)
    joint = _WITH_OR_BY.search(s.text, after, limit)
    if joint is None:
        return []
    uses = replace(cue, adjacent=True, coordinated=True)
    return [
        _claim(child, parent, cue.then, s, cue.name)
        for parent in _objects(s, joint.end(), uses, words)
        if _parent_ok(parent, child, cue.then, s, words)
    ]


def _is_proper(mention: Mention) -> bool:
    """A proper name: with a capital, itself or its acronym ("distributed proximal policy
    optimization (DPPO)")."""
    return any(ch.isupper() for ch in mention.text + mention.long_form)


def _adjective_claims(
    s: _Sentence, cue: Cue, match: re.Match[str], words: LineageWords
) -> list[Claim]:
    """ "an optimized BERT", "a robustly optimized BERT": the thing the phrase names
    improves on the name."""
    parents = [
        p
        for p in _objects(s, match.end(), cue, words)
        if not cue.named or any(ch.isupper() for ch in p.text)
    ]
    if not parents:
        return []
    child = _owner(s, match.start(), words)
    # "an improved ChIMP (iChIMP)": the name in brackets is what the phrase describes.
    named = re.match(r"\s*\(", s.text[parents[0].end :])
    if named:
        at = parents[0].end + named.end()
        child = next((m for m in s.mentions if m.start == at), child)
    if child is _NOBODY or not _parent_ok(parents[0], child, cue.link, s, words):
        return []
    return [_claim(child, parents[0], cue.link, s, cue.name)]


def _reverse_claims(
    s: _Sentence, cue: Cue, match: re.Match[str], words: LineageWords
) -> list[Claim]:
    """ "Adopted by Y and Z", "Foundation of Y", "LLaMA's open release spawned Y": in a note
    on a paper, the names build on what the paper introduces. The clause names nothing
    before the cue but that artifact."""
    start, _ = _clause_start(s.text, match.start())
    if not s.is_note:
        return []
    own = name_key(s.recent.text) if s.recent is not None else None
    before = [m for m in s.mentions if start <= m.start < match.start()]
    if not before:
        if s.text[start : match.start()].strip(" ,"):
            return []
    elif (
        # "BERT's success led to ...": the descendants of another name.
        any(name_key(m.text) != own for m in before)
        # The artifact opens the clause as its subject, with no aside before the cue ("X, a
        # novel NLP inspired Seq2Seq model" is no lineage of X).
        or s.text[start : before[0].start].strip(" ,").lower() not in ("", "the")
        or "," in s.text[before[0].end : match.start()]
    ):
        return []
    children = _objects(s, match.end(), cue, words)
    return [
        Claim(child, s.recent, cue.link, s.text, s.source, cue.name)
        for child in children
        if child.kind in _CHILD_KINDS and name_key(child.text) not in words.not_parents
    ]


def _before_cue(s: _Sentence, cue_start: int, words: LineageWords) -> Mention | None:
    """The name standing just before a cue ("BERT was undertrained", "Y network as the
    backbone")."""
    for mention in reversed(s.mentions):
        if mention.end <= cue_start:
            gap = s.text[mention.end : cue_start]
            if re.fullmatch(r"[\s\w-]*", gap) and len(_words(gap)) <= 2:
                return mention
            return None
    return None


def _state_claims(s: _Sentence, cue: Cue, match: re.Match[str], words: LineageWords) -> list[Claim]:
    parent = _before_cue(s, match.start(), words)
    if parent is None:
        return []
    start, _ = _clause_start(s.text, parent.start)
    head = s.text[start : parent.start]
    own = words.own_work.search(s.text) or s.is_note or s.is_title or _OPENED_ON_PAST.match(s.text)
    if not own and cue.form == "passive":
        # "A convolutional neural network is used to ...": in an abstract, a passive
        # sentence in the present that opens on the name describes the method; "have been
        # widely used" is background.
        opening = head.strip(" ,").lower()
        own = opening in ("", "a", "an", "the") and not _PERFECT.search(s.text)
    gap = s.text[parent.end : match.start()]
    if not own or _says_any(head + gap, words.comparison) or _NEGATION.search(head + gap):
        return []
    claims = []
    if _parent_ok(parent, None, cue.link, s, words):
        claims.append(_claim(None, parent, cue.link, s, cue.name))
    if cue.then:
        claims += _then_claims(s, parent.end, None, cue, words)
    return claims


def _modifier_claims(s: _Sentence, cue: Cue, words: LineageWords) -> list[Claim]:
    claims = []
    for parent in s.mentions:
        if not cue.pattern.match(s.text, parent.end):
            continue
        child = _owner(s, parent.start, words)
        if child is _NOBODY or not _parent_ok(parent, child, cue.link, s, words):
            continue
        claims.append(_claim(child, parent, cue.link, s, cue.name))
    return claims


def _copula_claims(s: _Sentence, words: LineageWords) -> list[Claim]:
    """ "X is a decoder-only Transformer", "X, a convolutional network, ...": X extends it;
    "our largest model is a 30B parameter transformer": the focal artifact does."""
    claims = []
    own = _OWN_COPULA.match(s.text)
    if own:
        parent = next((m for m in s.mentions if m.start >= own.end()), None)
        if (
            parent is not None
            and _np_gap(s.text[own.end() : parent.start], words)
            and _HEAD_END.match(s.text[parent.end :])
            and _parent_ok(parent, None, "extends", s, words)
        ):
            claims.append(_claim(None, parent, "extends", s, "X is a Y"))
    for index, child in enumerate(s.mentions):
        if not _can_be_child(child, s, words):
            continue
        article = _COPULA.match(s.text[child.end :])
        if article is None:
            continue
        after = child.end + article.end()
        parent = next((m for m in s.mentions[index + 1 :] if m.start >= after), None)
        if parent is None or not _np_gap(s.text[after : parent.start], words):
            continue
        if not _HEAD_END.match(s.text[parent.end :]):
            continue
        if _parent_ok(parent, child, "extends", s, words):
            claims.append(_claim(child, parent, "extends", s, "X is a Y"))
    return claims


_TITLE_HEAD = re.compile(r"^[^:]{1,60}:\s+")
# In a title's subtitle, the words that put a name in the paper's making ("Pre-training of
# Deep Bidirectional Transformers", "Diffusion Models with Transformers"), and what the
# subtitle's opening verb makes of it; "for" / "in" / "on" name a purpose or a domain.
_TITLE_JOINS = re.compile(r"\b(?:of|with|from|via|using|upon|beyond)\s+$", re.IGNORECASE)
_TITLE_VERBS = (
    (re.compile(r"^\s*scal", re.I), "scales"),
    (re.compile(r"^\s*distill", re.I), "distills"),
    (re.compile(r"^\s*(?:efficient\s+)?fine-?tun", re.I), "fine-tunes"),
)


_SUBTITLE_HEAD_END = re.compile(
    r"\s*(?:$|[:,]|\s(?:for|with|via|in|on|of|to|at|from|using)\b)", re.I
)


def _title_subject(opening: str) -> bool:
    """Only adjectives (any case, as titles have them) before the subtitle's first name."""
    tokens = _words(opening)
    return len(tokens) <= 6 and not any(t in _GAP_BREAKERS and t != "and" for t in tokens)


def _title_claims(s: _Sentence, words: LineageWords) -> list[Claim]:
    """A title "X: subtitle" says what X is made of: names joined to the subtitle by "of",
    "with", "from", "via", "using"."""
    head = _TITLE_HEAD.match(s.text)
    if not s.is_title or head is None:
        return []
    subtitle = s.text[head.end() :]
    link = next((kind for pattern, kind in _TITLE_VERBS if pattern.match(subtitle)), "uses")
    claims = []
    opening = next((m for m in s.mentions if m.start >= head.end()), None)
    if opening is not None and _title_subject(s.text[head.end() : opening.start]):
        # "GPTQ: Accurate Post-Training Quantization for ...": X is a kind of the subtitle's
        # head; "DeepSeek-V2: An Efficient Mixture-of-Experts Language Model": X uses it.
        kind = "extends" if _SUBTITLE_HEAD_END.match(s.text, opening.end) else "uses"
        if _parent_ok(opening, None, kind, s, words):
            claims.append(_claim(None, opening, kind, s, "title: X: a Y"))
    for parent in s.mentions:
        if parent.start < head.end():
            continue
        start = parent.start
        while True:  # walk back over the words of the parent's noun phrase
            match = re.search(r"([\w'’-]+)\s+$", s.text[head.end() : start])
            if not match or match.group(1).lower() not in words.np_words:
                break
            start = head.end() + match.start(1)
        if _TITLE_JOINS.search(s.text, head.end(), start) and _parent_ok(
            parent, None, link, s, words
        ):
            claims.append(_claim(None, parent, link, s, "title: X of Y"))
    return claims


_INTRO_OBJECT = re.compile(
    r"\b(?:we|this (?:paper|work|article|study)|the authors|here)\s+"
    r"(?:first\s+|also\s+|further\s+)?"
    r"(?:propose|proposes|present|presents|introduce|introduces|develop|develops|design|designs"
    r"|describe|describes|build|builds|devise|devises|construct|constructs|put forth|offer|offers)"
    r"\s+(?:(?:a|an|the|two|three|our)\s+)?",
    re.IGNORECASE,
)
_NP_END = re.compile(
    r"[,.;:()]|(?<![\w-])(?:for|to|that|which|where|whose|with|based|using|via|in|on|of|by|from|as|is|are"
    r"|called|named|dubbed|termed|who|when|while|through|and then)(?![\w-])",
    re.IGNORECASE,
)


def _intro_object_claims(s: _Sentence, words: LineageWords) -> list[Claim]:
    """Names inside the phrase the authors introduce: "we propose a neural
    sequence-to-sequence TTS model", "a simple projected gradient descent method"; the new
    thing uses them (extends the one that heads the phrase)."""
    claims = []
    for cue in _INTRO_OBJECT.finditer(s.text):
        end = _NP_END.search(s.text, cue.end())
        limit = end.start() if end else len(s.text)
        inside = [m for m in s.mentions if cue.end() <= m.start and m.end <= limit]
        for mention in inside:
            if mention.introduced or not _parent_ok(mention, None, "uses", s, words):
                continue
            # The name modifies what is introduced ("a neural sequence-to-sequence TTS
            # model"); the phrase's own head ("harmless data poisoning") is the new thing.
            if s.text[mention.end : limit].strip():
                claims.append(_claim(None, mention, "uses", s, "we propose a Y-based Z"))
    return claims


def _sentence_claims(s: _Sentence) -> list[Claim]:
    words = load_lineage_words()
    claims: list[Claim] = []
    names = [m for m in s.mentions if m.kind in _CHILD_KINDS]
    if not names:
        return claims  # nothing here can be a parent
    # A cue's parent follows it (or, for passive and state cues, precedes it): look for cues
    # only where one can be.
    last_start, first_end = names[-1].start, names[0].end
    lowered = s.text.lower() if s.text.isascii() else None
    for cue in load_cues():
        if cue.form == "modifier":
            claims += _modifier_claims(s, cue, words)
            continue
        before = cue.form in ("passive", "state")
        span = (first_end, len(s.text)) if before else (0, last_start)
        for match in cue.finditer(s.text, lowered, *span):
            if cue.form == "verb":
                claims += _verb_claims(s, cue, match, words)
            elif cue.form == "reverse":
                claims += _reverse_claims(s, cue, match, words)
            elif cue.form == "adjective":
                claims += _adjective_claims(s, cue, match, words)
            else:  # "passive" and "state": the parent stands before the cue
                claims += _state_claims(s, cue, match, words)
    claims += _copula_claims(s, words)
    claims += _title_claims(s, words)
    claims += _intro_object_claims(s, words)
    unique: dict[tuple, Claim] = {}
    for claim in claims:
        key = (
            claim.child.start if claim.child else None,
            claim.parent.start if claim.parent else None,
            claim.link,
        )
        unique.setdefault(key, claim)
    return list(unique.values())


def read_claims(extracted: ExtractedEntry) -> ExtractedEntry:
    """Add the lineage claims an entry's sentences make.

    Parameters
    ----------
    extracted : ExtractedEntry

    Returns
    -------
    ExtractedEntry
        A new record with ``claims`` filled in. A claim whose child is ``None`` speaks of
        the entry's focal artifact.

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
    sentences = _sentences(extracted)
    claims = [claim for s in sentences for claim in _sentence_claims(s)]
    model = load_model()
    if model is not None:
        claims = _scored(sentences, claims, model)
    return replace(extracted, claims=tuple(claims))


def _sentences(extracted: ExtractedEntry) -> list[_Sentence]:
    """The entry's sentences with their mentions, in page order."""
    entry = extracted.entry
    by_sentence: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for mention in extracted.mentions:
        by_sentence[(mention.source, mention.sentence)].append(mention)
    focal = next((m for m in extracted.mentions if m.introduced and m.kind in _CHILD_KINDS), None)
    title_source = f"{entry.file}:{entry.title_line}" if entry.title else ""
    roles = {f"{entry.file}:{p.line}": p.role for p in entry.paragraphs}
    sentences = []
    recent: Mention | None = None
    for (source, sentence), mentions in by_sentence.items():
        introduced = [m for m in mentions if m.introduced and m.kind in _CHILD_KINDS]
        recent = introduced[-1] if introduced else recent
        sentences.append(
            _Sentence(
                text=sentence,
                mentions=tuple(sorted(mentions, key=lambda m: m.start)),
                source=source,
                is_title=source == title_source,
                is_note=roles.get(source) in _NOTE_ROLES,
                focal_kind=focal.kind if focal else "",
                recent=recent,
            )
        )
    return sentences


def pair_features(extracted: ExtractedEntry) -> dict[str, tuple[frozenset[str], Claim]]:
    """For every name the entry's own work might build on, what the text around it says.

    Returns ``{name_key(parent): (features, claim)}``: the features of all its mentions (the
    rule cues that fire on it, the words before it, whether its sentence is the authors'
    own, a comparison, the title ...), and the claim to make if the pair is taken (the
    rules' own claim when one fired, else a "uses" claim on its first mention in a sentence
    about the authors' work). Used by the learned scorer (:mod:`kg.scoring`).
    """
    sentences = _sentences(extracted)
    return _pair_features(sentences, [c for s in sentences for c in _sentence_claims(s)])


def _pair_features(
    sentences: list[_Sentence], claims: list[Claim]
) -> dict[str, tuple[frozenset[str], Claim]]:
    words = load_lineage_words()
    fired: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        if claim.parent is not None and claim.child is None:
            fired[name_key(claim.parent.text)].append(claim)
    named_children = {
        name_key(c.parent.text) for c in claims if c.child is not None and c.parent is not None
    }
    title_keys = {name_key(m.text) for s in sentences if s.is_title for m in s.mentions}
    counts: dict[str, int] = defaultdict(int)
    for s in sentences:
        for m in s.mentions:
            counts[name_key(m.text)] += 1
    introduces = any(m.introduced for s in sentences for m in s.mentions)
    result: dict[str, tuple[set[str], Claim | None, bool]] = {}
    positioned = len(sentences) >= MIN_POSITIONED_SENTENCES
    for index, s in enumerate(sentences):
        candidates = []
        descendants = _descendants(s, words)
        for m in s.mentions:
            if m.introduced or m.start in descendants or not _parent_ok(m, None, "uses", s, words):
                continue
            # These patterns end at the name; a window before it is all they need to read.
            window = max(0, m.start - CUE_WINDOW)
            if _PURPOSE_BEFORE.search(s.text, window, m.start) or _COMPARED_BEFORE.search(
                s.text, window, m.start
            ):
                continue  # "a method for fine-tuning BERT", "outperforms BERT": never lineage
            candidates.append((m, window))
        if not candidates:
            continue
        own_sentence = bool(words.own_work.search(s.text)) or s.is_title or s.is_note
        intro = _INTRO_OBJECT.search(s.text)
        # What holds for every name in the sentence, read once.
        shared = {
            "own_sentence": own_sentence,
            "in_title_sentence": s.is_title,
            # Where a sentence stands says something only in a whole abstract: its opening
            # sentences are mostly background, its last mostly results.
            "opening_sentence": positioned and index <= 1,
            "closing_sentence": positioned and index == len(sentences) - 1,
            "comparison_sentence": _says_any(s.text, words.comparison),
            "negation_sentence": _NEGATION.search(s.text) is not None,
            "introducing_sentence": any(other.introduced for other in s.mentions),
            "background_sentence": _BACKGROUND.search(s.text) is not None,
        }
        sentence_features = {name for name, holds in shared.items() if holds}
        for m, window in candidates:
            key = name_key(m.text)
            features, claim, own = result.get(key, (set(), None, False))
            start, _ = _clause_start(s.text, m.start)
            before = s.text[start : m.start]
            clause_words = _words(before)
            tokens = _words(s.text[window : m.start])[-4:]
            after = _words(s.text[m.end : m.end + CUE_WINDOW])[:2]
            features |= {f"w-{len(tokens) - i}:{t}" for i, t in enumerate(tokens)}
            features |= {f"b:{t}" for t in clause_words[-8:]}
            features |= {f"a+{i + 1}:{t}" for i, t in enumerate(after)}
            features |= {f"kind:{m.kind}", f"origin:{m.origin}", f"shape:{_shape(m.text)}"}
            features |= sentence_features
            if words.own_work.search(before):
                features.add("own_clause")
            if _says_any(before, words.comparison):
                features.add("comparison_clause")
            if _NEGATION.search(before):
                features.add("negation_clause")
            if intro and intro.end() <= m.start:
                features.add("after_intro_cue")
            if not clause_words or clause_words in (["the"], ["a"], ["an"]):
                features.add("opens_clause")
            if _LIST_BEFORE.search(s.text, window, m.start):
                features.add("in_list")
            if m.long_form:
                features.add("defined_acronym")
            if claim is None and own_sentence:
                claim, own = _claim(None, m, "uses", s, "scored"), True
            elif claim is None:
                claim = _claim(None, m, "uses", s, "scored")
            result[key] = (features, claim, own)
    out = {}
    for key, (features, claim, _) in result.items():
        features = set(features)
        for rule in fired.get(key, []):
            features |= {f"cue:{rule.cue}", f"link:{rule.link}"}
        if key in fired:
            features.add("rule_fired")
            claim = fired[key][0]
        if key in named_children:
            features.add("named_child_claim")
        if key in title_keys:
            features.add("in_title")
        features.add(f"count:{min(counts[key], 3)}")
        if introduces:
            features.add("entry_introduces")
        out[key] = (frozenset(features), claim)
    return out


def _descendants(s: _Sentence, words: LineageWords) -> set[int]:
    """Where the names a reverse cue governs start, in a note ("paved the way for Y", "spawned
    Y and Z"): what grew from something, never what the entry's own work uses. (In an
    abstract "followed by Y" is a sequence of steps.)"""
    if not s.is_note:
        return set()
    lowered = s.text.lower() if s.text.isascii() else None
    return {
        m.start
        for cue in load_cues()
        if cue.form == "reverse"
        for match in cue.finditer(s.text, lowered, 0, len(s.text))
        for m in _objects(s, match.end(), cue, words)
    }


# The name is what the new thing is for ("a method for fine-tuning BERT") or is compared with
# ("outperforms BERT"): whatever a scorer thinks, the annotation rules say it is not lineage.
_PURPOSE_BEFORE = re.compile(
    r"\b(?:for|when|while)\s+[a-z-]+ing\s+(?:(?:the|a|an|any|existing|large|pre-?trained)\s+)*$",
    re.IGNORECASE,
)
_COMPARED_BEFORE = re.compile(
    r"\b(?:than|outperforms?|outperforming|outperformed|compared\s+(?:with|to)|versus|vs\.?"
    r"|against|unlike|beats?|surpass(?:es|ing)?|exceed(?:s|ed|ing)?|outpac(?:e|es|ed|ing))\s+"
    r"(?:(?:the|a|an|existing|standard|vanilla|original|strong|state-of-the-art)\s+)*$",
    re.IGNORECASE,
)
_WORD_RUN = re.compile(r"\w+")
# The name follows a comma or a colon: it is one of a list ("A, B and C", "such as: A").
_LIST_BEFORE = re.compile(r",\s*(?:and\s+|or\s+)?$|:\s*$")
# What states the field's past, not the authors' work: "X has been used", "recently, Y".
_BACKGROUND = re.compile(
    r"\b(?:has|have|had)\s+(?:\w+\s+)?been\b|\b(?:recently|recent|traditionally|widely"
    r"|commonly|popular|existing|previous|prior|conventional|state-of-the-art)\b",
    re.IGNORECASE,
)


def _single_words(words: list[str]) -> frozenset[str]:
    """The words, lower-cased, for :func:`_says_any`, which finds only single words."""
    bad = [w for w in words if not re.fullmatch(r"\w+", w)]
    if bad:
        raise ValueError(f"lineage_words.json: comparison entries must be single words: {bad}")
    return frozenset(w.lower() for w in words)


def _says_any(text: str, words: frozenset[str]) -> bool:
    """Whether ``text`` holds one of ``words`` (single words, lower case) as a whole word:
    what ``\\b(?:w1|w2|...)\\b`` finds, a set look-up per word instead of a long alternation.
    """
    return not words.isdisjoint(_WORD_RUN.findall(text.lower()))


def _shape(name: str) -> str:
    """How a name is spelled: "acronym" (GAN), "capitalised" (Prior Networks), "mixed"
    (word2vec-2), "lower" (message passing)."""
    letters = [ch for ch in name if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) >= max(2, len(letters) // 2):
        return "acronym"
    if name[:1].isupper():
        return "capitalised"
    return "mixed" if any(ch.isupper() or ch.isdigit() for ch in name) else "lower"


def _scored(sentences: list[_Sentence], claims: list[Claim], model: LineageModel) -> list[Claim]:
    """The rules' claims about named children and the focal artifact's claims of a specific
    form ("extends", "replaces", "fine-tunes" ...), and the focal artifact's "uses" claims the
    model takes (the rules' or its own)."""
    kept = [c for c in claims if c.child is not None or c.parent is None or c.link != "uses"]
    taken = {name_key(c.parent.text) for c in kept if c.parent is not None}
    for features, claim in _pair_features(sentences, claims).values():
        if name_key(claim.parent.text) in taken:
            continue
        if model.accepts(features):
            kept += [
                c
                for c in claims
                if c.child is None
                and c.parent is not None
                and name_key(c.parent.text) == name_key(claim.parent.text)
            ] or [claim]
    return kept
