"""The vocabulary of well-known ML names: kinds, canonical labels and aliases.

Takes ``kg/data/vocab.jsonl`` (spaCy ruler format, ``{"label", "pattern", "id"}``; the first
line of an id gives its display name, further lines its aliases) and
``kg/data/stopwords.txt``; returns a :class:`Vocabulary` that gives ruler patterns and answers
look-ups by name.

Pattern convention: a pattern with an upper-case letter matches exactly ("GLUE" is not
"glue"); an all-lower-case pattern matches in any case, and its plural and hyphen/space
variants are generated here ("diffusion model" also matches "Diffusion-Models").

It does not check that names are real or kinds right; that is domain knowledge in the data.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from kg.model import KINDS

__all__ = ["Term", "Vocabulary", "load_vocabulary", "name_key", "plural_variants"]

_KEY_DROP = re.compile(r"[\s\-_./·'’]+")


@functools.lru_cache(maxsize=262_144)
def name_key(name: str) -> str:
    """Normalise a name for comparison: case, spaces, hyphens and a plural ``s`` do not count.

    Parameters
    ----------
    name : str

    Returns
    -------
    str

    Examples
    --------
    >>> name_key("Llama-2"), name_key("LLaMA 2"), name_key("Transformers"), name_key("GATs")
    ('llama2', 'llama2', 'transformer', 'gat')
    >>> name_key("GPT-4") == name_key("GPT-4o"), name_key("corpus")
    (False, 'corpus')
    """
    text = name.strip()
    if _is_plural(text):
        text = text[:-1]
    return _KEY_DROP.sub("", text).lower()


def _is_plural(text: str) -> bool:
    """A trailing lower-case ``s`` on a word of four letters or more, after a letter other
    than s, u or i (GATs, ResNets, Transformers; not corpus, loss, analysis)."""
    last_word = re.split(r"[\s\-]", text)[-1]
    return (
        len(last_word) >= 4
        and last_word.endswith("s")
        and last_word[-2].isalpha()
        and last_word[-2].lower() not in "sui"
    )


def plural_variants(pattern: str) -> list[str]:
    """Spellings an all-lower-case phrase also matches: plural, and hyphens for spaces.

    Examples
    --------
    >>> plural_variants("mixture of experts")
    ['mixture of experts', 'mixture-of-experts']
    >>> plural_variants("diffusion model")
    ['diffusion model', 'diffusion-model', 'diffusion models', 'diffusion-models']
    >>> "chain of thought" in plural_variants("chain-of-thought")
    True
    """
    words = pattern.split()
    forms = [pattern]
    if words and not words[-1].endswith("s") and words[-1].isalpha():
        last = words[-1]
        plural = (
            last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else last + "s"
        )
        if last.endswith(("x", "ch", "sh")):
            plural = last + "es"
        forms.append(" ".join([*words[:-1], plural]))
    variants: list[str] = []
    for form in forms:
        # Hyphens and spaces are interchangeable: "chain-of-thought prompting" is also
        # written "chain of thought prompting" and "chain-of-thought-prompting"; mixed
        # joints ("mixture of-experts") are too rare to be worth a pattern each.
        parts = re.split(r"[ -]", form)
        variants += [form, " ".join(parts), "-".join(parts)]
    return list(dict.fromkeys(variants))


@dataclass(frozen=True)
class Term:
    """One vocabulary concept.

    Attributes
    ----------
    id : str
        The key concepts are merged on.
    kind : str
    label : str
        Display name (the first pattern listed for the id).
    patterns : tuple of str
        Every spelling, the label first.
    """

    id: str
    kind: str
    label: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """Known names and stopwords.

    Attributes
    ----------
    terms : tuple of Term
    stopwords : frozenset of str
        Lower-case names that are never concepts (LLM, GPU, large language model ...).
    """

    terms: tuple[Term, ...]
    stopwords: frozenset[str] = frozenset()
    _by_exact: dict[str, Term] = field(default_factory=dict, repr=False, compare=False)
    _by_key: dict[str, Term] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for term in self.terms:
            for pattern in term.patterns:
                if pattern.islower() or not any(ch.isalpha() for ch in pattern):
                    for variant in plural_variants(pattern):
                        self._by_key.setdefault(name_key(variant), term)
                else:
                    self._by_exact.setdefault(pattern, term)
                    self._by_exact.setdefault(_plural_of_name(pattern), term)

    def lookup(self, name: str) -> Term | None:
        """The term a name spells, or ``None``.

        Exact spelling for names with capitals; any case, hyphenation and number for
        lower-case phrases.

        Examples
        --------
        >>> vocab = Vocabulary((Term("glue", "benchmark", "GLUE", ("GLUE",)),
        ...                     Term("moe", "method", "Mixture of Experts",
        ...                          ("Mixture of Experts", "mixture of experts", "MoE"))))
        >>> vocab.lookup("glue") is None, vocab.lookup("GLUE").id
        (True, 'glue')
        >>> vocab.lookup("Mixture-of-Experts").id, vocab.lookup("MoEs").id
        ('moe', 'moe')
        """
        term = self._by_exact.get(name)
        if term is None:
            term = self._by_key.get(name_key(name))
        return term

    def is_stopword(self, name: str) -> bool:
        """True for names that are never concepts.

        Examples
        --------
        >>> Vocabulary((), frozenset({"llm"})).is_stopword("LLMs")
        True
        """
        lowered = name.lower().strip()
        return lowered in self.stopwords or name_key(name) in self.stopwords

    def ruler_patterns(self, *, cased: bool) -> list[dict]:
        """Patterns for a ``span_ruler``: the cased ones (match ``ORTH``) or the rest (``LOWER``).

        Each is ``{"label": KIND, "pattern": text, "id": term id}``; lower-case phrases come
        with their generated variants, names with capitals with their plural.
        """
        rows: list[dict] = []
        for term in self.terms:
            label = term.kind.upper()
            for pattern in term.patterns:
                lower = pattern.islower() or not any(ch.isalpha() for ch in pattern)
                if lower and not cased:
                    forms = plural_variants(pattern)
                elif cased and not lower:
                    forms = list(dict.fromkeys([pattern, _plural_of_name(pattern)]))
                else:
                    continue
                rows += [{"label": label, "pattern": form, "id": term.id} for form in forms]
        return rows

    def to_jsonl(self) -> str:
        """The vocabulary in its file format (inverse of :func:`load_vocabulary`)."""
        lines = [
            json.dumps({"label": t.kind.upper(), "pattern": p, "id": t.id}, ensure_ascii=False)
            for t in self.terms
            for p in t.patterns
        ]
        return "\n".join(lines) + "\n"


def _plural_of_name(pattern: str) -> str:
    """``GAN`` -> ``GANs``, ``Vision Transformer`` -> ``Vision Transformers``."""
    if pattern[-1:].isdigit() or pattern.endswith(("s", "S")) or not pattern[-1:].isalpha():
        return pattern
    return pattern + "s"


def _parse(lines: Iterable[str]) -> tuple[Term, ...]:
    order: list[str] = []
    kinds: dict[str, str] = {}
    patterns: dict[str, list[str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        kind = row["label"].lower()
        if kind not in KINDS:
            raise ValueError(f"vocabulary line {number}: unknown label {row['label']!r}")
        term_id, pattern = row["id"], row["pattern"]
        if term_id not in patterns:
            order.append(term_id)
            kinds[term_id] = kind
            patterns[term_id] = []
        if pattern not in patterns[term_id]:
            patterns[term_id].append(pattern)
    return tuple(Term(i, kinds[i], patterns[i][0], tuple(patterns[i])) for i in order)


def load_vocabulary(
    path: str | Path | None = None,
    *,
    stopwords_path: str | Path | None = None,
    text: str | None = None,
) -> Vocabulary:
    """Load the vocabulary.

    Parameters
    ----------
    path : str or Path, optional
        A ``vocab.jsonl``; defaults to the packaged one.
    stopwords_path : str or Path, optional
        A ``stopwords.txt``; defaults to the packaged one.
    text : str, optional
        JSONL text to parse instead of a file.

    Returns
    -------
    Vocabulary

    Examples
    --------
    >>> vocab = load_vocabulary(text='{"label": "MODEL", "pattern": "RoBERTa", "id": "roberta"}')
    >>> vocab.lookup("RoBERTa").label
    'RoBERTa'
    >>> load_vocabulary(text=vocab.to_jsonl()) == vocab
    True
    """
    if path is None and stopwords_path is None and text is None:
        return _packaged_vocabulary()
    data = resources.files("kg").joinpath("data")
    if text is None:
        text = (
            Path(path).read_text("utf-8")
            if path
            else data.joinpath("vocab.jsonl").read_text("utf-8")
        )
    stop_text = (
        Path(stopwords_path).read_text("utf-8")
        if stopwords_path
        else data.joinpath("stopwords.txt").read_text("utf-8")
    )
    stopwords = frozenset(
        line.strip().lower()
        for line in stop_text.splitlines()
        if line.strip() and not line.startswith("#")
    )
    return Vocabulary(_parse(text.splitlines()), stopwords)


@functools.cache
def _packaged_vocabulary() -> Vocabulary:
    """The packaged vocabulary, parsed once per process (a build asks for it from several
    stages; a :class:`Vocabulary` is immutable, so they can share it)."""
    data = resources.files("kg").joinpath("data")
    return load_vocabulary(
        text=data.joinpath("vocab.jsonl").read_text("utf-8"),
        stopwords_path=None,
    )
