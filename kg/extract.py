"""Find concept names in paper entries.

Takes :class:`~kg.model.Entry` records and a pipeline from :func:`build_pipeline`; yields
:class:`~kg.model.ExtractedEntry` records whose mentions say what was named, of what kind,
in which sentence, and whether the entry introduces it. No spaCy object leaves this module.

The pipeline is ``spacy.blank("en")`` with rule components only:

``sentencizer``
    sentence boundaries (evidence is a sentence).
``kg_vocab_cased`` / ``kg_vocab_uncased``
    two ``span_ruler`` s over the vocabulary (exact spelling for names, any case for
    technique phrases) -> ``doc.spans["kg_vocab"]``.
``kg_discover``
    names never seen before (see :mod:`kg.discover`): acronym definitions, what a sentence
    introduces, name shapes, context cues, task names.
``kg_merge``
    one span per name, longest first -> ``doc.spans["kg"]``, labelled with the kind and
    with the vocabulary id as ``span.id_``.

It does not decide which mentions are the same concept across entries (that is
:mod:`kg.resolve`), nor read lineage (that is :mod:`kg.lineage`).
"""

from __future__ import annotations

import bisect
import multiprocessing
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from spacy.util import compile_infix_regex, filter_spans

from kg.discover import (
    GROUP_ACRONYM,
    GROUP_CONTEXT,
    GROUP_CUE,
    GROUP_EPONYM,
    GROUP_LONG,
    GROUP_NAMED,
    GROUP_SHAPE,
    GROUP_TERM,
    GROUPS,
    KIND_NOUN_AFTER_ACRONYM,
    SIZE,
    SKIPPABLE_WORDS,
    TEXT_KEY,
    USED_AS,
    description_follows,
    doc_text,
    load_discovery_lists,
)
from kg.model import KINDS, Entry, ExtractedEntry, Mention
from kg.vocab import Vocabulary, load_vocabulary

__all__ = ["batches", "build_pipeline", "clean_markup", "extract_entries", "mentions_in_doc"]

GROUP_VOCAB, GROUP_FINAL = "kg_vocab", "kg"
#: Nouns a new thing is described by ("a pre-training technique", "an RL framework").
_GENERIC_HEADS = frozenset(
    "technique method approach framework model architecture strategy algorithm objective "
    "scheme pipeline recipe system procedure paradigm mechanism loss variant".split()
)
#: The groups of discovered names: every group but the introduction cues.
DISCOVERED = tuple(group for group in GROUPS if group != GROUP_CUE)
_LIST_SEPARATOR = re.compile(r"^\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|/)\s*$")
_MARKUP_WRAPPED = re.compile(r"\\(?:textit|textbf|emph|texttt|textsc|mathrm|text)\{([^{}]*)\}")
_MARKUP_OTHER = re.compile(r"\$|\\(?:num|,|;|!)|~")
# A name glued to a lower-case word by a hyphen is part of a longer word ("Meta-rater").
_GLUED_CONTINUATION = re.compile(r"-([a-z]+)")
# Words after a participle that show it is a verb ("fine-tuned on", "pre-trained with").
_AFTER_VERB = frozenset(
    "on with from for to by using via in at as and or but that which only first further "
    "directly jointly end separately".split()
)
_NOUN_KINDS = {
    "benchmark": "BENCHMARK",
    "dataset": "DATASET",
    "corpus": "DATASET",
    "leaderboard": "BENCHMARK",
}
# "a GAN-based approach", "a Transformer-style model", "a random finite set (RFS) based
# approach": the name describes what is introduced.
_MODIFIER_AFTER = re.compile(
    r"(?:\)|\s*\([^()]{1,20}\))?[- ](?:based|style|like|inspired|powered|guided|driven|type)\b",
    re.I,
)
_NAMED_AFTER = re.compile(r"\s+(benchmark|dataset|corpus|leaderboard)\b", re.IGNORECASE)


def clean_markup(text: str) -> str:
    """Drop inline LaTeX that abstracts carry over from arXiv: ``$\\textit{x}$`` -> ``x``.

    Examples
    --------
    >>> clean_markup(r"Kahneman's $\\textit{prospect theory}$ and Adapters~(LoRA)")
    "Kahneman's prospect theory and Adapters (LoRA)"
    """
    text = _MARKUP_WRAPPED.sub(r"\1", text)
    return _MARKUP_OTHER.sub(lambda m: " " if m.group(0) == "~" else "", text)


@dataclass
class Merge:
    """One span per name into ``doc.spans["kg"]``: the longest wins, then the earliest; at
    equal extent the vocabulary's span wins, and a discovered name takes the kind its
    context gives. Stopwords and names glued into longer words are dropped."""

    vocabulary: Vocabulary

    def __call__(self, doc: Doc) -> Doc:
        spans = doc.spans
        text = doc_text(doc)
        adjectives = load_discovery_lists().adjective_suffixes
        # Span.text rebuilds the string from tokens; slicing the doc's text is cheaper.
        vocab_spans = [
            s
            for s in spans.get(GROUP_VOCAB, [])
            if not _glued(text, s.start_char, s.end_char, adjectives)
            and not self._participle_adjective(s, doc, text)
        ]
        vocab_extents = {(s.start, s.end): s for s in vocab_spans}
        discovered = [s for group in DISCOVERED for s in spans.get(group, [])]
        context_kinds = {(s.start, s.end): s.label_ for s in spans.get(GROUP_CONTEXT, [])}
        candidates = [
            s
            for s in vocab_spans + discovered
            if not self.vocabulary.is_stopword(text[s.start_char : s.end_char])
        ]
        ranked = sorted(
            candidates,
            key=lambda s: (s.end - s.start, vocab_extents.get((s.start, s.end)) is s),
            reverse=True,
        )
        merged: list[Span] = []
        evidenced: set[tuple[int, int]] = set(context_kinds)
        for span in filter_spans(ranked):
            known = vocab_extents.get((span.start, span.end))
            label = (
                known.label_ if known else context_kinds.get((span.start, span.end), span.label_)
            )
            end_char = span.end_char
            key = (
                known.id_ if known else span.id_ or self._vocab_id(text[span.start_char : end_char])
            )
            named_after = _NAMED_AFTER.match(text, end_char)
            if key and named_after and label in ("MODEL", "METHOD"):
                # "the Vicuna benchmark" is a benchmark named after a model, not the model.
                longer = doc.char_span(span.start_char, named_after.end(), alignment_mode="expand")
                if longer is not None:
                    span, label, key = longer, _NOUN_KINDS[named_after.group(1).lower()], ""
                    evidenced.add((span.start, span.end))
            new = Span(doc, span.start, span.end, label=label)
            new.id_ = key
            merged.append(new)
        doc.spans[GROUP_FINAL] = _propagate_list_kinds(
            doc, text, sorted(merged, key=lambda s: s.start), evidenced
        )
        return doc

    def _participle_adjective(self, span: Span, doc: Doc, text: str) -> bool:
        """A technique's participle used as an adjective names no technique: "a pretrained
        language model", "a pretrained ResNet" are not pre-training, "pre-trained on web
        data" is."""
        end_char = span.end_char
        if text[end_char - 2 : end_char].lower() != "ed" or span.end >= len(doc):
            return False
        term = self.vocabulary.lookup(text[span.start_char : end_char])
        if term is None or term.label.lower().endswith("ed"):
            return False
        following = doc[span.end].text
        if following[:1].isupper() and following.lower() not in _AFTER_VERB:
            return True  # a name follows: "a pretrained ResNet"
        return following.isalpha() and following.islower() and following not in _AFTER_VERB

    def _vocab_id(self, text: str) -> str:
        term = self.vocabulary.lookup(text)
        return term.id if term else ""


def _glued(text: str, start: int, end: int, adjectives: frozenset[str]) -> bool:
    """A capitalised name glued by a hyphen to a lower-case word that is not an adjective
    ending is part of a longer word: "Meta-rater" is not Meta, but "RL-based" is RL."""
    if not text[start : start + 1].isupper():
        return False
    glued = _GLUED_CONTINUATION.match(text, end)
    return bool(glued and glued.group(1).lower() not in adjectives)


def _propagate_list_kinds(
    doc: Doc, text: str, spans: list[Span], evidenced: set[tuple[int, int]]
) -> list[Span]:
    """In a list of names ("MMLU, GSM8K, and HumanEval"), a name whose kind is only a guess
    takes the kind of a neighbour whose kind is known (from the vocabulary or the context)."""
    result = list(spans)
    sure = [bool(s.id_) or (s.start, s.end) in evidenced for s in result]

    def relabel(index: int, label: str) -> None:
        span = result[index]
        new = Span(doc, span.start, span.end, label=label)
        new.id_ = span.id_
        result[index] = new
        sure[index] = True

    changed = True
    while changed:
        changed = False
        for index in range(1, len(result)):
            left, right = result[index - 1], result[index]
            if left.label_ == right.label_ or sure[index - 1] == sure[index]:
                continue
            if not _LIST_SEPARATOR.match(text[left.end_char : right.start_char]):
                continue
            if sure[index - 1]:
                relabel(index, left.label_)
            else:
                relabel(index - 1, right.label_)
            changed = True
    return result


class TextKeepingTokenizer:
    """spaCy's tokenizer that also keeps each doc's text in ``doc.user_data``, so the
    components read it instead of rebuilding it from the tokens."""

    def __init__(self, tokenizer: Callable[[str], Doc]) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        doc.user_data[TEXT_KEY] = text
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self.tokenizer, name)


@Language.factory("kg_merge", default_config={"vocabulary_path": "", "use_vocabulary": True})
def make_merge(nlp: Language, name: str, vocabulary_path: str, use_vocabulary: bool) -> Merge:
    """spaCy factory for :class:`Merge`."""
    return Merge(_vocabulary(vocabulary_path, use_vocabulary))


def _vocabulary(path: str, use: bool) -> Vocabulary:
    vocabulary = load_vocabulary(path or None)
    return vocabulary if use else Vocabulary((), vocabulary.stopwords)


def build_pipeline(*, vocabulary_path: str = "", use_vocabulary: bool = True) -> Language:
    """Build the extraction pipeline on ``spacy.blank("en")``; no trained model is needed.

    Parameters
    ----------
    vocabulary_path : str
        A ``vocab.jsonl`` to use instead of the packaged one.
    use_vocabulary : bool
        False to find names by discovery alone (to measure what discovery contributes).

    Returns
    -------
    spacy.language.Language

    Examples
    --------
    >>> build_pipeline().pipe_names
    ['sentencizer', 'kg_vocab_cased', 'kg_vocab_uncased', 'kg_discover', 'kg_merge']
    >>> build_pipeline(use_vocabulary=False).pipe_names
    ['sentencizer', 'kg_discover', 'kg_merge']
    """
    nlp = spacy.blank("en")
    # "Gradual Weight Shift(GWS)": an acronym's bracket is its own token even with no space.
    infixes = [*nlp.Defaults.infixes, r"(?<=[a-z])\((?=[A-Z][A-Za-z0-9-]*[A-Z])"]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    nlp.tokenizer = TextKeepingTokenizer(nlp.tokenizer)
    nlp.add_pipe("sentencizer")
    vocabulary = _vocabulary(vocabulary_path, use_vocabulary)
    rulers = (("kg_vocab_cased", "ORTH", True), ("kg_vocab_uncased", "LOWER", False))
    for name, attr, cased in rulers if use_vocabulary else ():
        ruler = nlp.add_pipe(
            "span_ruler",
            name=name,
            config={"spans_key": GROUP_VOCAB, "phrase_matcher_attr": attr, "overwrite": False},
        )
        # A pattern needs only tokenising; with the other components on, spaCy would run
        # the sentencizer and the first ruler over each of the thousands of patterns.
        with nlp.select_pipes(enable=[]):
            ruler.add_patterns(vocabulary.ruler_patterns(cased=cased))
    if use_vocabulary:
        # With both rulers' patterns added, spaCy's tokenizer stops caching the strings it
        # has split (measured: 10x slower on a repeated text, spaCy 3.8); setting its rules
        # again reloads its special cases, and the cache works.
        tokenizer = nlp.tokenizer.tokenizer
        tokenizer.rules = tokenizer.rules
    config = {"vocabulary_path": vocabulary_path, "use_vocabulary": use_vocabulary}
    nlp.add_pipe("kg_discover", config=config)
    nlp.add_pipe("kg_merge", config=config)
    return nlp


_ORIGINS = (
    (GROUP_TERM, "context"),
    (GROUP_CONTEXT, "context"),
    (GROUP_EPONYM, "eponym"),
    (GROUP_SHAPE, "shape"),
    (GROUP_NAMED, "introduced"),
    (GROUP_LONG, "acronym"),
    (GROUP_ACRONYM, "acronym"),
    (GROUP_VOCAB, "vocab"),
)


def mentions_in_doc(
    doc: Doc, *, source: str, vocabulary: Vocabulary | None = None
) -> list[Mention]:
    """Turn the ``kg`` spans of a processed doc into :class:`Mention` records.

    A mention is introduced when discovery found it as introduced ("we introduce X", a
    title's "X: ..."), or when it follows an introduction cue with only determiners and
    adjectives between ("Introduced sliding window attention").

    Parameters
    ----------
    doc : Doc
        A doc processed by the pipeline.
    source : str
        ``"FILE:LINE"`` of the text.
    vocabulary : Vocabulary, optional
        To tell an official sized name ("Mistral-7B") from a sized variant ("OPT-13B").

    Returns
    -------
    list of Mention
    """
    if len(doc) == 0:
        return []
    size_suffix = load_discovery_lists().size_suffix
    origins = {}
    for group, origin in _ORIGINS:
        for span in doc.spans.get(group, []):
            origins[(span.start, span.end)] = origin
    long_forms = {}
    for short, long in zip(
        doc.spans.get(GROUP_ACRONYM, []), doc.spans.get(GROUP_LONG, []), strict=True
    ):
        long_forms[(short.start, short.end)] = long.text
        long_forms[(long.start, long.end)] = short.text
    named = list(doc.spans.get(GROUP_NAMED, []))
    cue_ends = [cue.end_char for cue in doc.spans.get(GROUP_CUE, [])]
    text = doc_text(doc)
    # Sentence starts from the array, not doc.sents, which walks every token in Python.
    starts = [int(i) for i in numpy.flatnonzero(doc.to_array("SENT_START") == 1)] or [0]
    if starts[0] != 0:
        starts.insert(0, 0)
    bounds = [doc[i].idx for i in starts] + [len(text)]
    sentences = [(start, bounds[n], bounds[n + 1]) for n, start in enumerate(starts)]
    mentions = []
    for span in doc.spans[GROUP_FINAL]:
        # Span.sent scans the doc on every call; a bisect over sentence starts does not.
        _, sentence_start, sentence_end = sentences[bisect.bisect_right(starts, span.start) - 1]
        raw = text[sentence_start:sentence_end]
        sentence_start += len(raw) - len(raw.lstrip())
        sentence = raw.strip()
        following = doc[span.end] if span.end < len(doc) else None
        # "a GAN-based approach", "we introduce SCP as a framework": the name is not new.
        modifier = (
            _MODIFIER_AFTER.match(text, span.end_char) is not None
            or USED_AS.match(text, span.end_char) is not None
            or (span.text.islower() and _plural_kind_after(text, span.end_char))
        )
        extent = (span.start, span.end)
        # A technique named after a person ("Markov chain") is someone's earlier work.
        introduced = (
            not modifier
            and origins.get(extent) != "eponym"
            and (
                any(n.start < span.end and span.start < n.end for n in named)
                or any(
                    end <= span.start_char
                    and not (span.id_ and _spelled_lower(span.text))
                    and _only_skippable(text[end : span.start_char])
                    and not _describes_new_thing(
                        text[end : span.start_char], following, bool(span.id_)
                    )
                    for end in cue_ends
                )
            )
        )
        after = following.text.rstrip(".,;:") if following is not None else ""
        size = after if SIZE.match(after) else ""
        # Tokens may keep a final full stop ("FrobLM-7B."); the name does not.
        name = span.text.rstrip(".,;:")
        end_char = span.start_char + len(name)
        sized = size_suffix.match(name)
        if sized and not (vocabulary and vocabulary.lookup(name)):
            # A token like "InCoder-6.7B" is the family InCoder at size 6.7B.
            name, size = sized.group(1), sized.group(2)
            end_char = span.start_char + len(name)
        mentions.append(
            Mention(
                text=name,
                kind=span.label_.lower() if span.label_.lower() in KINDS else "model",
                key=span.id_,
                origin=origins.get(extent, "vocab" if span.id_ else "shape"),
                sentence=sentence,
                source=source,
                start=span.start_char - sentence_start,
                end=end_char - sentence_start,
                introduced=introduced,
                size=size,
                long_form=long_forms.get(extent, ""),
            )
        )
    return mentions


def _plural_kind_after(text: str, end: int) -> bool:
    """ "two conversational query reformulation (CQR) methods": a lower-case name with its
    acronym before a plural kind noun says what kind of methods they are, not their name."""
    found = KIND_NOUN_AFTER_ACRONYM.match(text, end)
    return found is not None and bool(found.group(1))


def _spelled_lower(name: str) -> bool:
    """A known name spelled in lower case ("group convolution") is a technique the paper puts
    to use when it "introduces" it; a proper name ("we introduce BERT") is the paper's own."""
    return not any(ch.isupper() or ch.isdigit() for ch in name)


def _describes_new_thing(gap: str, following: Token | None, known: bool) -> bool:
    """ "We propose a simple pre-training technique", "a new SVM training problem": the name
    only describes the new thing, which the paper introduces; "Introduced the Transformer
    architecture" names it, and so does "a novel FooNet architecture" for a name no
    vocabulary knows."""
    indefinite = any(word.lower() in ("a", "an") for word in gap.split())
    if not indefinite or following is None:
        return False
    if following.lower_ in _GENERIC_HEADS:
        return True
    if not known:
        # "a ReID multi-modal data augmentation method": a whole description follows.
        return description_follows(doc_text(following.doc), following.idx, not_words=_AFTER_VERB)
    return known and following.is_alpha and following.is_lower and following.text not in _AFTER_VERB


def _only_skippable(gap: str) -> bool:
    return all(word.lower() in SKIPPABLE_WORDS for word in gap.split())


def extract_entries(
    entries: Iterable[Entry],
    nlp: Language,
    *,
    batch_size: int = 64,
    n_process: int = 1,
) -> Iterator[ExtractedEntry]:
    """Find the concepts each entry names.

    Parameters
    ----------
    entries : iterable of Entry
    nlp : Language
        From :func:`build_pipeline`.
    batch_size : int
        Entries per batch.
    n_process : int
        Worker processes. Each runs the pipeline and turns its docs into Mention records
        itself, so only entries and records cross between processes (spaCy's own
        ``nlp.pipe(n_process=...)`` sends whole docs back, which cost more than they save).

    Yields
    ------
    ExtractedEntry
        In the order of ``entries``.

    Examples
    --------
    >>> from kg.model import Paragraph
    >>> text = "We introduce FooNet, a model fine-tuned from RoBERTa."
    >>> entry = Entry("p.txt", 1, 1, paragraphs=(Paragraph(text, 1, "abstract"),))
    >>> found = next(extract_entries([entry], build_pipeline()))
    >>> [(m.text, m.kind, m.introduced) for m in found.mentions]
    [('FooNet', 'model', True), ('fine-tuned', 'method', False), ('RoBERTa', 'model', False)]
    """
    if n_process <= 1:
        yield from _extract(entries, nlp, batch_size)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(n_process, initializer=_start_worker, initargs=(nlp, batch_size)) as pool:
        for results in pool.imap(_extract_batch, batches(entries, batch_size)):
            yield from results


def _extract(entries: Iterable[Entry], nlp: Language, batch_size: int) -> Iterator[ExtractedEntry]:
    """Extraction in this process."""

    def texts(stream: Iterable[Entry]) -> Iterator[tuple[str, tuple[Entry, int, bool]]]:
        for entry in stream:
            lines = entry.lines()
            for index, (number, text) in enumerate(lines):
                yield clean_markup(text), (entry, number, index == len(lines) - 1)

    vocabulary = nlp.get_pipe("kg_merge").vocabulary
    current: list[Mention] = []
    for doc, (entry, number, is_last) in nlp.pipe(
        texts(entries), as_tuples=True, batch_size=batch_size
    ):
        current += mentions_in_doc(doc, source=f"{entry.file}:{number}", vocabulary=vocabulary)
        if is_last:
            yield ExtractedEntry(entry=entry, mentions=tuple(current))
            current = []


def batches(entries: Iterable[Entry], size: int) -> Iterator[list[Entry]]:
    """``entries`` in lists of ``size`` (the last one shorter), read lazily."""
    batch: list[Entry] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# A worker process's pipeline, set once by its initializer: the only module state, and it
# lives in the workers alone.
_WORKER: dict[str, object] = {}


def _start_worker(nlp: Language, batch_size: int) -> None:
    _WORKER["nlp"], _WORKER["batch_size"] = nlp, batch_size


def _extract_batch(batch: list[Entry]) -> list[ExtractedEntry]:
    return list(_extract(batch, _WORKER["nlp"], _WORKER["batch_size"]))  # type: ignore[arg-type]
