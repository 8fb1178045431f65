"""The ``kg_discover`` pipeline component: names no vocabulary knows.

Takes a ``Doc`` (one title or paragraph) and writes candidate spans into span groups, each
labelled with a kind (``MODEL``, ``METHOD`` ...):

``kg_acronym`` / ``kg_long``
    acronym definitions, paired by position ("Low-Rank Adaptation (LoRA)"), see
    :mod:`kg.abbrev`;
``kg_named``
    what a sentence introduces: "we introduce X", "X, called Y", a paragraph opening
    "X introduces ...", a title "X: A Benchmark for ...";
``kg_cue``
    the introduction cues themselves, so a known name right after one counts as introduced;
``kg_shape``
    words shaped like names: mixed case (RoBERTa, vLLM), letters with digits (GPT-4,
    BTLM-3B-8K), a capitalised word with a version ("Kandinsky 5.0");
``kg_context``
    names whose kind the words around them give ("the X benchmark", "X, a dataset of"),
    and capitalised phrases after a word of use ("based on Dynamic Time Warping");
``kg_eponym``
    techniques named after a person, their head noun part of the name ("a Markov chain",
    "the Bonferroni correction"): someone's earlier work, never what an entry introduces;
``kg_term``
    task names built from a modality and a task head ("text-to-music generation").

Kinds of new names come from the words around them, their own ending, or default to model.
Word lists are data (``kg/data/discovery.json``). It does not merge or filter overlapping
spans (``kg_merge`` does) nor look anything up across entries.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources

from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.abbrev import find_abbreviations
from kg.vocab import Term, Vocabulary, load_vocabulary

__all__ = [
    "KIND_NOUN_AFTER_ACRONYM",
    "SIZE",
    "SKIPPABLE_WORDS",
    "TEXT_KEY",
    "USED_AS",
    "Discover",
    "DiscoveryLists",
    "description_follows",
    "doc_text",
    "load_discovery_lists",
]

GROUP_ACRONYM, GROUP_LONG, GROUP_NAMED = "kg_acronym", "kg_long", "kg_named"
GROUP_SHAPE, GROUP_CONTEXT, GROUP_CUE, GROUP_TERM = "kg_shape", "kg_context", "kg_cue", "kg_term"
#: Where :class:`kg.extract.TextKeepingTokenizer` keeps the text in ``doc.user_data``.
TEXT_KEY = "kg_text"
GROUP_EPONYM = "kg_eponym"
GROUPS = (
    GROUP_ACRONYM,
    GROUP_LONG,
    GROUP_NAMED,
    GROUP_SHAPE,
    GROUP_CONTEXT,
    GROUP_EPONYM,
    GROUP_CUE,
    GROUP_TERM,
)

#: Names whose checks are remembered; the cache is emptied when it grows past this.
NAME_CACHE_SIZE = 100_000
#: A title, for the purpose of naming its subject: one short line, "Name: subtitle".
MAX_TITLE_CHARS = 250
#: A title's name before the colon has at most this many words.
MAX_TITLE_NAME_WORDS = 4

_WORD = r"[A-Za-z][A-Za-z0-9]*(?:\.[0-9]+)?"
# A word shaped like a name: mixed case (RoBERTa, vLLM), letters with digits (GPT-4, T5),
# or hyphen-joined parts of which one is so (SWE-bench, BTLM-3B-8K, DeepSeek-V2).
_NAME_WORD = re.compile(
    rf"(?<![\w@/.+-])(?=[\w.-]*[A-Z0-9])"  # a capital or a digit somewhere, else not a name
    rf"({_WORD}(?:-[A-Za-z0-9]+(?:\.[0-9]+[A-Za-z]*)?)*[+*]?)(?![\w-])"
)
_CAPITALISED = r"[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
_VERSION = r"v?\d+(?:\.\d+)*"
# "2.5 times faster", "10x", "3-fold", "5%": a number that measures, not a version.
_NOT_MEASURE = r"(?!\s*(?:%|percent|x\b|times\b|fold\b|-fold\b))"
#: A model size written after a name: "70B", "8x7B".
SIZE = re.compile(r"^(?:\d+(?:\.\d+)?[BMKT]|\d+x\d+(?:\.\d+)?[BMK]?)$")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_VERSION_TOKEN = re.compile(r"^v\d+(?:\.\d+)*$", re.IGNORECASE)
# A capitalised word with a version number: "Llama 2", "Kandinsky 5.0", "Gemini 1.5".
_VERSIONED = re.compile(
    rf"(?<![\w.-])([A-Z][a-z][A-Za-z]*)[ -]({_VERSION})(?![\w%.,/-]*\d){_NOT_MEASURE}"
)
# A title-case name of up to six words: "Deep Deterministic Policy Gradient", "Movie Gen".
_TITLE_NAME = re.compile(
    rf"{_CAPITALISED}(?:\s+(?:(?:of|for|and|from|to|via|in|on)\s+)?{_CAPITALISED}){{0,5}}"
    rf"(?:\s+{_VERSION}\b{_NOT_MEASURE})?"
)
_CAPITALISED_RUN = re.compile(rf"(?<![\w-])({_CAPITALISED}(?:\s+{_CAPITALISED}){{0,2}})")
_VERSION_AFTER = re.compile(rf"\s({_VERSION})\b(?![\w%.,/-]*\d){_NOT_MEASURE}")
# The one or two words before a task head: "sign language | recognition", "video | editing".
_WORDS_BEFORE = re.compile(r"(?<![\w-])(?:([A-Za-z]+)\s)?([\w-]+)[\s-]$")
_X_TO_Y = re.compile(r"[a-z0-9]+-to-[a-z0-9]+", re.IGNORECASE)
_SENTENCE_GAP = re.compile(r"[.!?]\s+$")
# A proper name ("Markov", "Gauss-Hermite", "Fisher's") before a lower-case word; and the
# lower-case words that may follow it.
_EPONYM = re.compile(r"(?<![\w-])([A-Z][a-z]+(?:[-–][A-Z][a-z]+)?(?:'s)?)(?= [a-z])")
_LOWER_RUN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Where a capital says nothing: after a sentence's end, a colon, a bracket or a dash (a list
# item, part of a longer name), or after another capitalised word.
_AFTER_CAPITAL_OR_GAP = re.compile(r"(?:[.!?:;()\[\-–—]|\b[A-Z][\w-]*)\s*$")
_ADJECTIVE_SHAPED = re.compile(r"[A-Z][a-z]+(?:ian|ic|al|ed|ive|ous|ar|ent|ant)")
#: Lower-case words of an eponym's name, its head included ("Fisher exact test": 2).
MAX_EPONYM_WORDS = 3
# A lower-case name the cue introduces: one word before its appositive ("softpick, a
# ..."), or two to four before an appositive or a relative ("topological attention, which").
_LOWER_NAME = re.compile(
    r"[a-z][a-z0-9]*[A-Za-z0-9]*(?=,\s+(?:a|an|the)\s)"
    r"|(?!(?:to|that|how|which|what|a|an|the|in|on|for|of|with|and|or|this|these|our|its|it|we"
    r"|new|novel|using|use)\b)[a-z][\w-]*"
    r"(?:\s+(?!(?:called|named|dubbed|termed|is|are|was|were)\b)[a-z][\w-]*){1,3}"
    r"(?=,\s+(?:a|an|the|which|that)\s)"
)
# After "called" / "we call" a lower-case name may end its clause: "which we call human
# experience replay." (after "we propose" such a phrase is a description, not a name), or
# come before its passive verb: "a construction named compact convolution is proposed".
_CALLED_LOWER_NAME = re.compile(
    r"(?!(?:to|that|how|which|what|a|an|the|in|on|for|of|with|and|or|this|these|our|its|it|we"
    r"|as|by|upon|out|off|up|new|novel|using|use)\b)[a-z][\w-]*"
    r"(?:\s+(?!(?:is|are|was|were)\b)[a-z][\w-]*){1,3}"
    r"(?=\s*(?:[.,;:()]|$)|\s+(?:is|are|was|were)\s+(?:first\s+)?(?:proposed|introduced"
    r"|presented|designed|developed|devised|built|constructed)\b)"
)
#: Words that may stand between an introduction cue and the name it introduces.
SKIPPABLE_WORDS = frozenset(
    "a an the our its their two three several new novel first simple single open efficient "
    "scalable unified general strong large small".split()
)
# A kind noun right before a name the cue introduces: "a novel framework SBS", "a new model
# FooNet"; only when a name (a capital) follows at once.
_KIND_NOUN_BEFORE_NAME = re.compile(
    r"(?:framework|model|method|approach|algorithm|architecture|network|system|benchmark"
    r"|dataset|technique|toolkit|library|agent|suite|corpus)\s+(?=[A-Z][\w-]*[A-Z0-9]|[A-Z]{2})"
)
_SKIP_BEFORE_NAME = re.compile(rf"(?:(?:{'|'.join(sorted(SKIPPABLE_WORDS))})\s+)*", re.IGNORECASE)
_INTRO_VERB = (
    r"(?:introduc(?:e|es|ed)|propos(?:e|es|ed)|present(?:s|ed)?|releas(?:e|es|ed)"
    r"|develop(?:s|ed)?|describ(?:e|es|ed)|build|builds|built|design(?:s|ed)?|invent(?:s|ed)?"
    r"|pioneer(?:s|ed)?|unveil(?:s|ed)?|creat(?:e|es|ed)|report the development of"
    r"|put(?:s)? forth|contribut(?:e|es|ed))"
)
# Who introduces: the authors, the paper, or nobody (a summary or note opening on the verb).
# Cue patterns scan whole paragraphs, so they run on lower-cased text: IGNORECASE makes an
# alternation scan several times slower.
_INTRO_CUE = re.compile(
    rf"(?:(?:^|(?<=[.;:!?])\s+)|\b(?:we|paper|report|work|authors|study|it)\s+"
    rf"(?:(?:will|can|shall|also|further|then|first|firstly|additionally|finally|here|now"
    rf"|newly)\s+){{0,2}}(?:[a-z]+\s+and\s+)?){_INTRO_VERB}\s+"
)
# Any introduction or naming word at all; the full cue patterns run only where one occurs.
# Introductions whose subject stands further back: "we are motivated to develop X", "we
# reveal ... and propose X", "by constructing X".
_LATER_INTRO_CUE = re.compile(
    rf"\b(?:(?:motivated|aim|aims|seek|seeks|attempt|attempts|strive|strives|set out) to"
    rf"|(?P<coordinated>,?\s*and)|by)\s+(?:{_INTRO_VERB}|(?:introduc|propos|present|develop"
    rf"|design|construct|build|creat|releas)ing)\s+"
)
_WE = re.compile(r"\bwe\b")
# "Conditional Variance Estimation (CVE) is a novel ... method": the name the copula calls new.
_NOVEL_COPULA = re.compile(
    r"(?<![\w-])((?!(?:The|This|These|That|Our|It|We|Its|Their|Such|Each)\b)[A-Z][\w-]*"
    r"(?:\s+[A-Z][\w-]*){0,4})(?:\s*\([^()]{1,20}\))?\s+(?:is|are)\s+(?:a|an)\s+(?:novel|new)\b"
)
_INTRO_WORD = re.compile(
    r"\b(?:introduc|propos|present|releas|develop|describ|buil[dt]|design|invent|pioneer|construct"
    r"|unveil|creat|report the development|put forth|contribut)"
)
_CALLED_WORD = re.compile(
    r"\b(?:called|dubbed|named|termed|coin|denoted|abbreviated|we (?:call|term|name|refer)"
    r"|hereafter|hereinafter|henceforth)"
)
# "often called X", "so-called X", "also named X" name something that exists already.
_CALLED_CUE = re.compile(
    r"(?<!often )(?<!commonly )(?<!usually )(?<!also )(?<!sometimes )(?<!generally )"
    r"(?<!typically )(?<!so-)(?<!widely )"
    r"\b(?:called|dubbed|named|termed|coined|coining the term|(?:which|that) we (?:call|term|name)"
    r"|we (?:call|term|name|dub)(?: it| them| this)?|denoted as|denoted|abbreviated as"
    r"|(?:which |that )?we refer to(?: it| them| this| (?:the|our|this) [a-z]+)? as"
    r"|referred to (?:hereafter |hereinafter |henceforth )as"
    r"|(?:hereafter|hereinafter) (?:referred to as|called))"
    r"(?:\s*,)?\s+[\"“'‘]?"
)
# "We call the resulting model-based method PPS": the name comes after a description.
_NAMING_DESCRIPTION = re.compile(
    r"(?:the resulting|the proposed|our|this|the new|such an?|the)\s+(?:[a-z][\w-]*\s+){0,6}?"
    rf"(?=(?:{_CAPITALISED}|[A-Za-z]*[A-Z][A-Za-z0-9]*)\b)"
)
_TITLE_VERB = re.compile(
    r"\s+(?:Elicits|Enables|Improves|Makes|Is|Are|Learns|Beats|Outperforms|Scales|Unlocks"
    r"|Reduces|Boosts|Helps|Works|Yields)\b"
)
_SUBJECT_VERB = re.compile(
    r"\s+(?:introduces|proposes|presents|reformulates|advances|extends|adapts"
    r"|establishes|pioneered|introduced)\b"
)
_APPOSED_NAME = re.compile(
    rf"(?:a|an|the)\s+[a-z][\w -]{{0,60}}?,\s+"
    rf"({_CAPITALISED}(?:\s+(?:of\s+|for\s+)?{_CAPITALISED}){{0,3}}"
    rf"(?:\s+{_VERSION})?)(?=\s*[,.;(]|\s+(?:that|which|with)\b)"
)
# A lower-case phrase ending in a kind noun describes the new thing; it does not name it.
_GENERIC_LAST = re.compile(
    r"\s(?:model|method|approach|framework|algorithm|network|system|architecture|technique"
    r"|scheme|strategy|module|procedure|pipeline)s?$"
)
_TRAILING_GENERIC = re.compile(r"(?:\s+(?:Series|Family|Suite|Collection|Herd|Project))+$")
#: "we introduce SCP as a general framework" uses SCP; "X as a novel Y" still introduces X.
USED_AS = re.compile(r"\s+as\s+(?:a|an|the)\s(?!(?:novel|new)\b)", re.IGNORECASE)
# "a module called Relation Network (RN) has been introduced": someone else's, earlier.
_INTRODUCED_BEFORE = re.compile(
    r"(?:\s*\([^()]{1,20}\))?,?\s+(?:has|have|had)\s+been\b|\s+(?:was|were)\s+(?:first\s+)?"
    r"(?:introduced|proposed|presented|developed)\b",
    re.IGNORECASE,
)
# A subtitle that says the paper reviews or studies its head: "Time Perception: A Review
# on ...", "Speech: A Challenge to ...": the head is a topic, not the paper's own name.
_TOPIC_SUBTITLE = re.compile(
    r"^(?:an?|the)\s+(?:[\w-]+\s+){0,3}?(?:review|survey|overview|tutorial|primer|introduction"
    r"|perspective|challenge|study|analysis|comparison|evaluation)(?=\s+(?:of|on|for|to|and|with"
    r"|in|from)\b|\s*[,:;]|\s*$)",
    re.IGNORECASE,
)
# "CVE is a novel sufficient dimension reduction (SDR) method", "two conversational query
# reformulation (CQR) methods": a lower-case long form before a kind noun, after a copula or
# before a plural, names the field or the family; "we present a novel dynamic precision
# scaling (DPS) scheme" names the new thing.
_COPULA_BEFORE = re.compile(r"\b(?:is|are|was|were)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}$")
KIND_NOUN_AFTER_ACRONYM = re.compile(
    r"\s*\([^()]{1,20}\)\s+(?:method|model|approach|framework|algorithm|technique|scheme"
    r"|system|network|architecture|strategy)(s?)\b",
    re.IGNORECASE,
)
# "a ... feature search (GAFDS) method is proposed": the introduction comes after the name.
_PASSIVE_INTRO_AFTER = re.compile(
    r"(?:(?!\b(?:that|which)\b)[^.;]){0,60}?\b(?:is|are)\s+(?:\w+ly\s+)?(?:proposed"
    r"|introduced|presented|developed|designed)\b",
    re.IGNORECASE,
)
#: Words that, between an introduction cue and an acronym's long form, put the long form in
#: another phrase than the new thing's name ("we propose CoTexT, a model that learns ...
#: between natural language (NL) and ...").
_OTHER_PHRASE = frozenset(
    "that which who whose where when to between from for with of in on by into under over "
    "against across via using".split()
)
#: Words at most between an introduction cue and the long form of the acronym it defines.
MAX_CUE_TO_ACRONYM_WORDS = 8
_NAMELY = re.compile(r",?\s*\bnamely\s+")
_EXISTING = re.compile(r"\b(?:existing|previous|prior|popular|standard|state-of-the-art|baseline)")
# "The proposed method, human checkpoint replay, consists ...".
_PROPOSED_APPOSED = re.compile(
    r"\b(?:[Tt]he|[Oo]ur) (?:proposed|new|novel) (?:method|model|approach|framework|algorithm"
    r"|architecture|network|system|technique|scheme|strategy|module|loss)s?,\s+"
    # Not an aside: "The proposed model, although allowing more flexibility, ...".
    r"(?!(?:although|though|while|whereas|which|that|when|if|to|in|on|by|with|for|as|unlike"
    r"|despite|however|thus|hence|and|but|or|dubbed|called|named|termed)\b)"
    r"([A-Za-z][\w-]*(?:\s+[\w-]+){0,4}?),"
)
# "A novel dataset SNLI-VE ...", "a new loss Foo-Loss".
_NOVEL_NAMED = re.compile(
    r"\b(?:[Aa]n?)\s+(?:novel|new)\s+(?:[a-z-]+\s+){0,2}?(?:framework|model|method|approach"
    r"|algorithm|architecture|network|system|benchmark|dataset|technique|corpus|quantizer|loss"
    r"|metric|module|layer|optimizer|agent|environment|simulator|toolkit|library)(?:,\s*|\s+)"
    r"([A-Z][\w-]*[A-Z0-9][\w-]*|[A-Z]{2}[\w-]*)"
)
# Where a title-case name after a word of use ends: a name joins words with "of" ("Mixture
# of Experts"), rarely with "and", "for", "in" or "on".
_USED_NAME_END = re.compile(r"\s+(?:and|for|in|on|to|via|from)\s+")
# "our L2P framework", "our MIMIC-BERT": a shaped name the vocabulary does not know, owned
# by the authors, is theirs ("our BERT model" is checked against the vocabulary).
_OWNED_NAME = re.compile(
    r"\b(?:[Oo]ur|[Tt]he proposed|[Oo]ur proposed)\s+([A-Z][\w-]*[A-Z0-9][\w-]*|[A-Z]{2}[\w-]*)\b"
    r"(?!-)"
)
# "Three algorithms (ClosestPA, QBagPA, and QBoostPA) are presented": each listed name.
_LISTED_THEN_INTRODUCED = re.compile(
    r"\(([^()]{2,120})\)\s+(?:are|is)\s+(?:\w+ly\s+)?(?:presented|proposed|introduced"
    r"|developed|designed)\b"
)
# Before an acronym's long form: what makes it the entry's own, and what makes it used.
_OWNED_BEFORE = re.compile(
    r"\b(?:our|the proposed|our proposed|the resulting|an? (?:novel|new|improved))\s+"
    r"(?:[\w-]+\s+){0,2}$"
)
_USED_BEFORE = re.compile(
    r"\b(?:based on|using|use|uses|with|via|of|from|by|than|such as|like|including|e\.g\.|on|to|"
    r"for|towards?|against|and|or|in)\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,1}$"
)
#: Words after a name that do not make it a modifier of a noun ("a Transformer that ...").
_NOT_NOUNS = frozenset(
    "that which who with for to and or in on of is are was were by from as at via using "
    "trained based built designed tailored".split()
)
_TRAILING_SMALL = frozenset({"of", "for", "and", "the", "with", "from", "to", "via", "in", "on"})
_VARIANT_OF = re.compile(
    r",\s+(?:a|an|the)\s+(?:[\w.-]+\s+){0,2}?(?:variant|version|extension|successor|upgrade)"
    r"\s+of\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DiscoveryLists:
    """Compiled word lists from ``discovery.json`` (see that file's comment)."""

    kind_nouns: dict[str, str]
    noun_after: re.Pattern[str]
    appositive: re.Pattern[str]
    noun_before: re.Pattern[str]
    endings: tuple[tuple[re.Pattern[str], str], ...]
    adjective_suffixes: frozenset[str]
    size_suffix: re.Pattern[str]
    not_names: frozenset[str]
    task_head: re.Pattern[str]
    task_modalities: frozenset[str]
    use_cue: re.Pattern[str]
    eponym_heads: frozenset[str]
    eponym_breaks: frozenset[str]
    generic_eponym_heads: frozenset[str]


@functools.cache
def load_discovery_lists() -> DiscoveryLists:
    """Compile the packaged discovery word lists.

    Examples
    --------
    >>> lists = load_discovery_lists()
    >>> lists.kind_nouns["benchmark"], "based" in lists.adjective_suffixes
    ('benchmark', True)
    """
    data = json.loads(resources.files("kg").joinpath("data/discovery.json").read_text("utf-8"))
    nouns = data["kind_nouns"]
    alternatives = "|".join(sorted((re.escape(k) for k in nouns), key=len, reverse=True))
    endings = tuple(
        (re.compile(rf"(?:^|[-\s])?(?:{'|'.join(map(re.escape, words))})s?$", re.IGNORECASE), kind)
        for kind, words in data["name_endings"].items()
    )
    sizes = "|".join(map(re.escape, data["size_words"]))
    heads = "|".join(map(re.escape, data["task_heads"]))
    return DiscoveryLists(
        kind_nouns=nouns,
        noun_after=re.compile(rf"\s+({alternatives})\b", re.IGNORECASE),
        appositive=re.compile(
            rf",\s+(?:a|an|the)\s+(?:[\w.-]+\s+){{0,6}}?({alternatives})\b", re.IGNORECASE
        ),
        noun_before=re.compile(
            rf"\b({alternatives})\s*(?:such as\s+|like\s+|called\s+|\(\s*|,\s*)?$", re.IGNORECASE
        ),
        endings=endings,
        adjective_suffixes=frozenset(data["adjective_suffixes"]),
        size_suffix=re.compile(rf"^(.+?)-(\d+(?:\.\d+)?[BM]|{sizes})$"),
        not_names=frozenset(data["not_names"]),
        # Matched on lower-cased text: IGNORECASE makes this alternation four times slower.
        task_head=re.compile(rf"\b(?:{heads})\b"),
        task_modalities=frozenset(m.lower() for m in data["task_modalities"]),
        # Matched on lower-cased text, like the task heads.
        use_cue=re.compile(
            rf"\b(?:{'|'.join(sorted(map(re.escape, data['use_cues']), key=len, reverse=True))})"
            r"\s+(?:the\s+|a\s+|an\s+)?"
        ),
        eponym_heads=frozenset(data["eponym_heads"]),
        eponym_breaks=frozenset(data["eponym_breaks"]),
        generic_eponym_heads=frozenset(data["generic_eponym_heads"]),
    )


@functools.lru_cache(maxsize=65536)
def _is_name_shaped(word: str) -> bool:
    """Mixed case, or letters with digits, or all capitals (two letters or more).

    Examples
    --------
    >>> words = ("RoBERTa", "GPT-4", "vLLM", "T5", "Transformer", "7B", "v0.1")
    >>> [_is_name_shaped(w) for w in words]
    [True, True, True, True, False, False, False]
    """
    core = word.rstrip("+*")
    letters = [ch for ch in core if ch.isalpha()]
    if not letters or core[0].isdigit() or _VERSION_TOKEN.match(core):
        return False
    if re.fullmatch(r"[IVX]+", core):
        return False
    has_digit = any(ch.isdigit() for ch in core)
    if has_digit and not SIZE.match(core):
        return True
    # A capital inside a part (RoBERTa, vLLM) or an all-capital part (SWE-bench); a capital
    # only after a hyphen is title case ("Multi-Billion", "Mixture-of-Experts"), not a name.
    parts = [p for p in core.split("-") if p]
    inner_capital = any(ch.isupper() for part in parts for ch in part[1:])
    return inner_capital and len(letters) >= 2


@dataclass
class Discover:
    """Finds candidate names in a doc (see the module docstring)."""

    vocabulary: Vocabulary
    lists: DiscoveryLists
    _name_cache: dict[str, bool] = field(default_factory=dict, repr=False)
    _word_cache: dict[str, tuple[Term | None, int] | None] = field(default_factory=dict, repr=False)

    def __call__(self, doc: Doc) -> Doc:
        found: dict[str, list[Span]] = {group: [] for group in GROUPS}
        text = doc_text(doc)
        self._acronyms(doc, text, found)
        self._shapes(doc, text, found)
        self._introductions(doc, text, found)
        self._context(doc, text, found)
        if not _title_case(text):
            # In a title every word is capitalised, so a capital says nothing.
            self._used_names(doc, text, found)
            self._eponyms(doc, text, found)
        # Task heads are few and modalities many: find a head, then look at the word before.
        for head in self.lists.task_head.finditer(_lowered(text)):
            before = _WORDS_BEFORE.search(text, max(0, head.start() - 40), head.start())
            if before is None:
                continue
            two, one = before.group(1), before.group(2)
            if two and f"{two} {one}".lower() in self.lists.task_modalities:
                _add(doc, found[GROUP_TERM], before.start(1), head.end(), "TASK")
            elif one.lower() in self.lists.task_modalities or _X_TO_Y.fullmatch(one):
                _add(doc, found[GROUP_TERM], before.start(2), head.end(), "TASK")
        for group, spans in found.items():
            if spans:  # an empty span group costs as much to make as a full one
                doc.spans[group] = spans
        return doc

    def _acronyms(self, doc: Doc, text: str, found: dict[str, list[Span]]) -> None:
        for pair in find_abbreviations(text):
            if self.vocabulary.is_stopword(pair.short) or self.vocabulary.is_stopword(pair.long):
                continue
            kind = self._known_kind(pair.short) or self._known_kind(pair.long)
            label = (kind or self._kind_from_ending(pair.long) or "method").upper()
            short = _span(doc, pair.short_start, pair.short_end, label)
            long = _span(doc, pair.long_start, pair.long_end, label)
            if short is not None and long is not None:
                found[GROUP_ACRONYM].append(short)
                found[GROUP_LONG].append(long)

    def _shapes(self, doc: Doc, text: str, found: dict[str, list[Span]]) -> None:
        # A word the vocabulary rulers matched already needs no second look.
        known = {(s.start_char, s.end_char) for s in doc.spans.get("kg_vocab", [])}
        for match in _NAME_WORD.finditer(text):
            start, end = match.span(1)
            if (start, end) in known:
                continue
            info = self._word_info(match.group(1))
            if info is None:
                continue
            term, length = info
            end = start + length
            version = _VERSION_AFTER.match(text, end)
            if term is None and version and not SIZE.match(version.group(1)):
                end = version.end()
            kind = term.kind if term else self._kind_around(text, start, end)
            _add(doc, found[GROUP_SHAPE], start, end, kind.upper(), term.id if term else "")
        for match in _VERSIONED.finditer(text):
            base, version = match.group(1), match.group(2)
            if not self._could_be_name(base) or _YEAR.match(version):
                continue
            term = self.vocabulary.lookup(match.group(0))
            kind = term.kind if term else self._kind_around(text, match.start(), match.end())
            _add(
                doc,
                found[GROUP_SHAPE],
                match.start(),
                match.end(),
                kind.upper(),
                term.id if term else "",
            )

    def _word_info(self, word: str) -> tuple[Term | None, int] | None:
        """For a name-shaped word: its vocabulary term and the length of the name without a
        size suffix ("OPT-13B" -> OPT); ``None`` for words that are not names. Remembered,
        since the same words come back paragraph after paragraph."""
        if word in self._word_cache:
            return self._word_cache[word]
        info: tuple[Term | None, int] | None = None
        if _is_name_shaped(word) and self._could_be_name(word):
            term = self.vocabulary.lookup(word)
            sized = self.lists.size_suffix.match(word)
            if term is None and sized:
                info = (self.vocabulary.lookup(sized.group(1)), len(sized.group(1)))
            else:
                info = (term, len(word))
        if len(self._word_cache) > NAME_CACHE_SIZE:
            self._word_cache.clear()
        self._word_cache[word] = info
        return info

    def _introductions(self, doc: Doc, text: str, found: dict[str, list[Span]]) -> None:
        lower = _lowered(text)
        # The cue regexes try every position; most paragraphs have no cue word at all.
        introducing = _INTRO_WORD.search(lower) is not None
        cues = list(_INTRO_CUE.finditer(lower)) if introducing else []
        cues += list(_CALLED_CUE.finditer(lower)) if _CALLED_WORD.search(lower) else []
        for cue in _LATER_INTRO_CUE.finditer(lower) if introducing else ():
            opening = max(lower.rfind(". ", 0, cue.start()), 0)
            if cue.group("coordinated") and not _WE.search(lower, opening, cue.start()):
                continue  # "existing methods detect and present ...": not the authors
            cues.append(cue)
        for cue in cues:
            offset = _SKIP_BEFORE_NAME.match(text, cue.end()).end()
            named = _TITLE_NAME.match(text, offset)
            if named and _INTRODUCED_BEFORE.match(text, named.end()):
                continue  # "a module called Relation Network (RN) has been introduced"
            _add(doc, found[GROUP_CUE], cue.start(), cue.end(), "INTRO")
            kind_noun = _KIND_NOUN_BEFORE_NAME.match(text, offset)
            if kind_noun:
                offset = kind_noun.end()  # "we propose a novel framework SBS (...)"
            if re.match(r"(?:which |that )?we (?:call|term|name|dub|refer)", lower[cue.start() :]):
                described = _NAMING_DESCRIPTION.match(text, cue.end())
                if described and _is_name_shaped(text[described.end() :].split(" ", 1)[0]):
                    offset = described.end()
            candidate = _TITLE_NAME.match(text, offset) or _LOWER_NAME.match(text, offset)
            # "The task of ... is called community detection" defines a term that exists.
            defines_term = re.search(r"\b(?:is|are|was|were)\s+$", lower[: cue.start()])
            if candidate is None and cue.re is _CALLED_CUE and not defines_term:
                candidate = _CALLED_LOWER_NAME.match(text, offset)
            if candidate and candidate.re is _LOWER_NAME and _GENERIC_LAST.search(candidate[0]):
                continue  # "we developed a deep learning model, which ...": a description
            if candidate and self._modifier_only(text, cue.end(), offset, candidate.group(0)):
                continue  # "we propose a new SVM training problem": SVM only describes it
            if candidate and USED_AS.match(text, candidate.end()):
                continue  # "we introduce SCP as a general framework": an existing thing, used
            if candidate:
                self._add_named(doc, text, offset, candidate.group(0), found)
                continue
            # "introduces a new family of multimodal models, Gemini, that ...": the name
            # stands in apposition after the description.
            apposed = _APPOSED_NAME.match(text, cue.end())
            if apposed:
                self._add_named(doc, text, apposed.start(1), apposed.group(1), found)
        for match in _NAMELY.finditer(text):
            # "we propose a strategy, namely Self-Involvement Ranker (SIR)", not "existing
            # algorithms, namely PILCO".
            start = max(text.rfind(". ", 0, match.start()), 0)
            before = lower[start : match.start()]
            if _INTRO_CUE.search(before) and not _EXISTING.search(before):
                name = _TITLE_NAME.match(text, match.end()) or _NAME_WORD.match(text, match.end())
                if name:
                    self._add_named(doc, text, match.end(), name.group(0), found)
        for pattern in (_PROPOSED_APPOSED, _NOVEL_NAMED):
            for match in pattern.finditer(text):
                self._add_named(doc, text, match.start(1), match.group(1), found)
        for match in _NOVEL_COPULA.finditer(text):
            name = match.group(1)
            if len(name.split()) >= 2 or _is_name_shaped(name):
                self._add_named(doc, text, match.start(1), name, found)
        for match in _OWNED_NAME.finditer(text):
            if not self.vocabulary.lookup(match.group(1)):
                self._add_named(doc, text, match.start(1), match.group(1), found)
        for match in _LISTED_THEN_INTRODUCED.finditer(text):
            offset = match.start(1)
            for item in re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", match.group(1)):
                start = text.find(item, offset)
                offset = start + len(item)
                item = item.strip()
                plain = len(item.split()) <= 3 and not re.search(r"[/:=]", item)
                if plain and _is_name_shaped(item):
                    self._add_named(doc, text, start, item, found)
        self._introduced_acronyms(doc, text, lower, found)
        subject = _TITLE_NAME.match(text) or _NAME_WORD.match(text)
        if subject and _SUBJECT_VERB.match(text, subject.end(0)):
            self._add_named(doc, text, 0, subject.group(0), found)
        # A title has no sentence end inside ("SantaCoder: don't reach for the stars!" is one).
        is_title = len(text) <= MAX_TITLE_CHARS and not re.search(r"[.!?]\s", text.rstrip())
        # A title whose subject is a known name of two words or more, then a verb:
        # "Chain-of-Thought Prompting Elicits Reasoning ..." is about that name.
        for span in doc.spans.get("kg_vocab", []) if is_title else []:
            words = re.split(r"[\s-]+", span.text)
            if span.start_char == 0 and len(words) >= 2 and _TITLE_VERB.match(text, span.end_char):
                found[GROUP_NAMED].append(Span(doc, span.start, span.end, label=span.label_))
        # A title that is a name ("Long Short-Term Memory") is what the paper introduces.
        for span in doc.spans.get("kg_vocab", []) if is_title else []:
            if span.start_char == 0 and span.end_char >= len(text.rstrip(" ?!")):
                found[GROUP_NAMED].append(Span(doc, span.start, span.end, label=span.label_))
        # A title "Name: A Benchmark for ..." names its subject, and the subtitle its kind.
        head = re.match(r"^([^:]{1,60}?)\s*:\s*(\S.*)$", text)
        if head and is_title and not _TOPIC_SUBTITLE.match(head.group(2)):
            name = head.group(1).strip()
            words = name.split()
            shaped = any(_is_name_shaped(w) for w in words)
            capitalised = all(w[:1].isupper() or w[:1].isdigit() for w in words)
            if len(words) <= MAX_TITLE_NAME_WORDS and (shaped or (capitalised and len(words) <= 3)):
                subtitle = self.lists.appositive.match(", " + head.group(2))
                kind = self.lists.kind_nouns[subtitle.group(1).lower()] if subtitle else None
                self._add_named(doc, text, 0, name, found, kind=kind)

    def _introduced_acronyms(
        self, doc: Doc, text: str, lower: str, found: dict[str, list[Span]]
    ) -> None:
        """An acronym the entry defines for its own thing: after "our", "the proposed", "the
        resulting", "a novel", or in a sentence that introduces something, unless the long
        form is a known name or follows "based on", "using", "of" ... (then it is what the
        new thing uses); and any acronym a title defines."""
        is_title = len(text) <= MAX_TITLE_CHARS and not re.search(r"[.!?]\s", text.rstrip())
        for short, long in zip(found[GROUP_ACRONYM], found[GROUP_LONG], strict=True):
            if self.vocabulary.lookup(long.text) or self.vocabulary.lookup(short.text):
                continue
            start = max(text.rfind(". ", 0, long.start_char), 0)
            before = lower[start : long.start_char]
            passive = _PASSIVE_INTRO_AFTER.match(text, short.end_char) is not None
            kind_noun = KIND_NOUN_AFTER_ACRONYM.match(text, long.end_char)
            family = kind_noun and (kind_noun.group(1) or _COPULA_BEFORE.search(before))
            if long.text.islower() and family and not passive:
                continue  # "CVE is a novel sufficient dimension reduction (SDR) method"
            owned = _OWNED_BEFORE.search(before) is not None
            cues = list(_INTRO_CUE.finditer(before))
            cue = cues[-1] if cues else None  # the last cue before the long form
            gap = before[cue.end() :].split() if cue else []
            cued = (
                cue is not None
                and not _USED_BEFORE.search(before)
                and len(gap) <= MAX_CUE_TO_ACRONYM_WORDS
                and not _OTHER_PHRASE.intersection(w.strip(",") for w in gap)
            )
            cued = cued or passive
            if owned or cued or is_title:
                found[GROUP_NAMED] += [
                    Span(doc, long.start, long.end, label=long.label_),
                    Span(doc, short.start, short.end, label=short.label_),
                ]

    def _modifier_only(self, text: str, cue_end: int, offset: int, name: str) -> bool:
        """A known name after "a" / "an" that a lower-case noun follows modifies that noun:
        the paper introduces the unnamed thing, not the name."""
        if not re.search(r"\b(?:a|an)\s", text[cue_end:offset], re.IGNORECASE):
            return False
        if self.vocabulary.lookup(name) is None:
            # "a FooNet architecture" names it; "a ReID multi-modal data augmentation method"
            # puts a name before a whole description, which it only qualifies.
            return description_follows(text, offset + len(name), not_words=_NOT_NOUNS)
        following = re.match(r"\s+([a-z][a-z-]*)", text[offset + len(name) :])
        return bool(following) and following.group(1) not in _NOT_NOUNS

    def _add_named(
        self,
        doc: Doc,
        text: str,
        start: int,
        name: str,
        found: dict[str, list[Span]],
        *,
        kind: str | None = None,
    ) -> None:
        name = _trim_name(name)
        if not name or not self._could_be_name(name):
            return
        first, _, rest = name.partition(" ")
        if rest and re.search(r"-[a-z]+$", first) and self.vocabulary.lookup(rest):
            return  # "an OOD-resistant Prototypical Network" describes a kind of a known name
        following = re.match(r"\s+([a-z][a-z-]*)", text[start + len(name) :])
        adjective = following is not None and following.group(1) not in _NOT_NOUNS
        if not rest and not _is_name_shaped(name) and adjective:
            return  # "two Bayesian optimisation strategies": an adjective, not a name
        # "which we call Pathways Language Model PaLM": the known name at the end is the name.
        words = name.split()
        if (
            len(words) > 2
            and self.vocabulary.lookup(words[-1])
            and _initials_of(words[-1], words[:-1])
        ):
            start += len(name) - len(words[-1])
            name = words[-1]
        end = start + len(name)
        sized = self.lists.size_suffix.match(name)
        if sized:
            end = start + len(sized.group(1))
        kind = kind or self._kind_around(text, start, end)
        _add(doc, found[GROUP_NAMED], start, end, kind.upper())

    def _used_names(self, doc: Doc, text: str, found: dict[str, list[Span]]) -> None:
        """Capitalised phrases right after a word of use name techniques: "uses Constraint
        Programming", "based on Dynamic Time Warping" (not run on titles)."""
        for cue in self.lists.use_cue.finditer(_lowered(text)):
            name = _TITLE_NAME.match(text, cue.end())
            if name is None or " " not in name.group(0).strip():
                continue  # one capitalised word could open anything; shaped words are found
            if _is_name_shaped(name.group(0).split()[0]):
                continue  # "based on DenseNet for Hyperspectral ...": the shaped name is found
            # "inspired by Dynamic Time Warping and Beam Search": two names, not one.
            phrase = _trim_name(_USED_NAME_END.split(name.group(0), maxsplit=1)[0])
            if phrase and self._could_be_name(phrase) and not self.vocabulary.lookup(phrase):
                end = cue.end() + len(phrase)
                kind = self._kind_from_ending(phrase) or "method"
                _add(doc, found[GROUP_CONTEXT], cue.end(), end, kind.upper())

    def _eponyms(self, doc: Doc, text: str, found: dict[str, list[Span]]) -> None:
        """Techniques named after a person or by a proper adjective, their head noun part of
        the name: "a Markov chain", "the Bonferroni correction", "Gauss-Hermite quadrature",
        "Fisher's exact test". Not at a sentence's start nor after another capitalised word,
        where capitals say nothing; not where the vocabulary knows a name already ("Gaussian
        process regression"); and not an adjective before a generic head ("Bayesian model").
        Not run on titles."""
        known = [(s.start_char, s.end_char) for s in doc.spans.get("kg_vocab", [])]
        lists = self.lists
        for match in _EPONYM.finditer(text):
            start, proper = match.start(), match.group(1)
            if start == 0 or _AFTER_CAPITAL_OR_GAP.search(text, max(0, start - 40), start):
                continue
            if proper in lists.not_names or self.vocabulary.is_stopword(proper.removesuffix("'s")):
                continue
            end, words = match.end(1), []
            for word in _LOWER_RUN.finditer(text, end):
                if word.start() != end + 1 or word.group(0) in lists.eponym_breaks:
                    break
                words.append(word.group(0))
                end = word.end()
                if len(words) > MAX_EPONYM_WORDS:
                    break
            # The head ends the noun phrase: "the Pubmed citation network datasets" are data.
            if not words or len(words) > MAX_EPONYM_WORDS or words[-1] not in lists.eponym_heads:
                continue
            head = words[-1]
            if any(a < end and start < b for a, b in known):
                continue
            bare = len(words) == 1 and _ADJECTIVE_SHAPED.fullmatch(proper)
            if bare and head in lists.generic_eponym_heads:
                continue  # "Bayesian model", "Semantic analysis": a kind of thing, no name
            kind = "model" if re.search(r"network|machine", head) else "method"
            _add(doc, found[GROUP_EPONYM], start, end, kind.upper())

    def _context(self, doc: Doc, text: str, found: dict[str, list[Span]]) -> None:
        for match in _CAPITALISED_RUN.finditer(text):
            # Match at a position rather than on a slice: slicing the rest of the text for
            # every capitalised word makes a long paragraph quadratic.
            end = match.end()
            cue = self.lists.noun_after.match(text, end) or self.lists.appositive.match(text, end)
            if not cue or not cue.group(1).islower():
                continue  # "... Language Model" in a title-case title is not a cue
            name, start = match.group(1), match.start(1)
            # At a sentence start the first word is capitalised anyway ("Amongst PEFT methods").
            if start == 0 or _SENTENCE_GAP.search(text, max(0, start - 3), start):
                first = name.split()[0]
                if not _is_name_shaped(first) and " " in name:
                    start += len(first) + 1
                    name = name[len(first) + 1 :]
            if not self._could_be_name(name):
                continue
            if not any(_is_name_shaped(w) for w in name.split()) and not re.search(
                r"\bthe\s+$", text[max(0, start - 5) : start], re.IGNORECASE
            ):
                continue
            kind = self.lists.kind_nouns[cue.group(1).lower()]
            _add(doc, found[GROUP_CONTEXT], start, end, kind.upper())

    def _could_be_name(self, name: str) -> bool:
        """Not a stopword, a phrase opener, an adjective ("RL-based") or a language pair."""
        known = self._name_cache.get(name)
        if known is None:
            known = self._name_cache[name] = self._check_name(name)
            if len(self._name_cache) > NAME_CACHE_SIZE:
                self._name_cache.clear()
        return known

    def _check_name(self, name: str) -> bool:
        words = name.split()
        if not words or self.vocabulary.is_stopword(name) or words[0] in self.lists.not_names:
            return False
        parts = [p for p in re.split(r"-", words[-1]) if p]
        if len(parts) > 1 and parts[-1].lower() in self.lists.adjective_suffixes:
            return False
        if (
            len(words) == 1
            and len(parts) > 1
            and all(self.vocabulary.is_stopword(p) for p in parts)
        ):
            return False
        return sum(ch.isalpha() for ch in name) >= 2

    def _known_kind(self, name: str) -> str | None:
        term = self.vocabulary.lookup(name)
        return term.kind if term else None

    def _kind_from_ending(self, name: str) -> str | None:
        last = name.split()[-1] if name.split() else name
        for pattern, kind in self.lists.endings:
            if pattern.search(last):
                return kind
        return None

    def _kind_around(self, text: str, start: int, end: int) -> str:
        """Kind of a new name: the vocabulary, the noun after it or heading its appositive,
        what it is a variant of, the noun before a list it opens, its ending; else model."""
        name = text[start:end]
        known = self._known_kind(name)
        if known:
            return known
        cue = self.lists.noun_after.match(text, end) or self.lists.appositive.match(text, end)
        if cue:
            return self.lists.kind_nouns[cue.group(1).lower()]
        variant = _VARIANT_OF.match(text, end)
        if variant:
            parent = _TITLE_NAME.match(text, variant.end()) or _NAME_WORD.match(text, variant.end())
            if parent and self._known_kind(parent.group(0)):
                return self._known_kind(parent.group(0)) or "model"
        before = self.lists.noun_before.search(text[max(0, start - 40) : start])
        if before:
            return self.lists.kind_nouns[before.group(1).lower()]
        return self._kind_from_ending(name) or "model"


def _title_case(text: str) -> bool:
    """Most longer words capitalised: a title, not a sentence."""
    words = [w for w in re.findall(r"[A-Za-z][\w-]*", text) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _lowered(text: str) -> str:
    """Lower case, with the same length (a few characters grow when lower-cased: 'İ')."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def doc_text(doc: Doc) -> str:
    """The doc's text, from ``user_data`` when the tokenizer kept it (``Doc.text`` rebuilds it
    from every token, which costs as much as the rest of a component)."""
    return doc.user_data.get(TEXT_KEY) or doc.text


def _span(doc: Doc, start: int, end: int, label: str, key: str = "") -> Span | None:
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None or not span.text.strip():
        return None
    if key:
        span.id_ = key
    return span


def _add(doc: Doc, spans: list[Span], start: int, end: int, label: str, key: str = "") -> None:
    span = _span(doc, start, end, label, key)
    if span is not None:
        spans.append(span)


_TWO_WORDS = re.compile(r"\s*([a-z][a-z-]*)\s+([a-z][a-z-]*)\b")


def description_follows(text: str, end: int, *, not_words: frozenset[str]) -> bool:
    """Whether two lower-case words of a description follow ``text[:end]``, none of them in
    ``not_words`` nor a participle in "-ed": "a ReID | multi-modal data augmentation
    method" (the name only qualifies the description), not "a FooNet | trained on ...".

    Examples
    --------
    >>> text = "We propose a ReID multi-modal data augmentation method."
    >>> description_follows(text, text.index(" multi"), not_words=frozenset())
    True
    >>> description_follows("a FooNet trained on text", 8, not_words=frozenset())
    False
    """
    words = _TWO_WORDS.match(text, end)
    return bool(words) and not any(w in not_words or w.endswith("ed") for w in words.groups())


def _initials_of(short: str, words: list[str]) -> bool:
    """Whether the capitals of ``short`` are the initials of ``words``, in order, from the
    first ("PaLM" of "Pathways Language Model"; not "K-Means" of "Incremental Weighted"). One
    capital is no acronym: "Transformer" is not short for "Inner Thinking".

    Examples
    --------
    >>> _initials_of("PaLM", ["Pathways", "Language", "Model"])
    True
    >>> _initials_of("K-Means", ["Incremental", "Weighted"])
    False
    >>> _initials_of("Transformer", ["Inner", "Thinking"])
    False
    """
    capitals = [ch for ch in short if ch.isupper()]
    initials = [word[0].upper() for word in words if word]
    if len(capitals) < 2 or not initials or capitals[0] != initials[0]:
        return False
    remaining = iter(initials)
    return all(ch in remaining for ch in capitals)


def _trim_name(name: str) -> str:
    # "Gradual Weight Shift(GWS": the name ends where its bracketed acronym starts.
    name = name.split("(", 1)[0]
    name = _TRAILING_GENERIC.sub("", name.strip())
    words = name.split()
    while words and words[-1] in _TRAILING_SMALL:
        words.pop()
    return " ".join(words)


@Language.factory("kg_discover", default_config={"vocabulary_path": "", "use_vocabulary": True})
def make_discover(nlp: Language, name: str, vocabulary_path: str, use_vocabulary: bool) -> Discover:
    """spaCy factory: ``nlp.add_pipe("kg_discover", config={"use_vocabulary": False})``."""
    vocabulary = load_vocabulary(vocabulary_path or None)
    if not use_vocabulary:
        vocabulary = Vocabulary((), vocabulary.stopwords)
    return Discover(vocabulary, load_discovery_lists())
