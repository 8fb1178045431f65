"""Acronym definitions in running text: "Low-Rank Adaptation (LoRA)".

Takes a string; returns the (short form, long form) pairs it defines, with character
offsets. Implements Schwartz & Hearst (2003), as scispaCy's abbreviation detector does, with
two narrowings for ML text that are named constants below. It does not decide what kind of
concept an acronym names, or whether it is a concept at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Abbreviation", "find_abbreviations", "match_long_form"]

#: Schwartz & Hearst: a short form has at most 10 characters ...
MAX_SHORT_CHARS = 10
#: ... and at most 2 words.
MAX_SHORT_WORDS = 2
#: ... and the long form at most min(|SF| + 5, |SF| * 2) words.
LONG_FORM_EXTRA_WORDS = 5
LONG_FORM_WORD_FACTOR = 2
#: ML narrowing: a short form has a capital letter, which rules out "(i)", "(ii)", "(see)".
SHORT_FORM_NEEDS_CAPITAL = True
#: ML narrowing: a version suffix need not be spelled out: "Human-like Video Models (HVM-1)".
_VERSION_SUFFIX = re.compile(r"[-\s]?v?\d+(?:\.\d+)*$")
#: ML narrowing: a long form has at most this many more words than its short form has
#: letters, which stops a two-word short form from swallowing a clause ("Code LLMs").
MAX_EXTRA_LONG_WORDS = 3
_SAYS_SHORT = re.compile(
    r"^(?:hereafter|hereinafter|henceforth|or|i\.e\.,?|namely)\s+|,?\s+(?:for short|in short)$"
)
#: Sizes, figures and the like in parentheses are not short forms: "(7B)", "(Figure 2)".
_NOT_SHORT = re.compile(
    r"^(?:\d+(?:\.\d+)?\s*[KMBT]|(?:fig|figure|table|tab|section|sec|eq|equation|appendix|app"
    r"|step|stage|part|chapter)\b)",
    re.IGNORECASE,
)
#: Small words an initialism skips: "Tree of Thoughts (ToT)".
_SKIPPED_WORDS = frozenset(
    ["of", "for", "the", "and", "with", "to", "in", "on", "via", "a", "an", "by", "from"]
)
_MARKUP = re.compile(r"[\\$~{}]")

_PAREN = re.compile(r"\(([^()]{1,120})\)")
# Spelled-out definitions: "BERT, which stands for Bidirectional Encoder Representations ...".
_STANDS_FOR = re.compile(
    r"(?<![\w-])([A-Za-z][\w-]{1,9}),?\s+(?:which\s+)?(?:stands|is short)\s+for\s+"
    r"([^,.;:()]{3,120})"
)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Abbreviation:
    """A short form and the long form it abbreviates.

    Attributes
    ----------
    short, long : str
    short_start, short_end, long_start, long_end : int
        Character offsets in the text searched.
    """

    short: str
    long: str
    short_start: int
    short_end: int
    long_start: int
    long_end: int


def match_long_form(short: str, candidate: str) -> str | None:
    """Schwartz & Hearst's *findBestLongForm*: the shortest tail of ``candidate`` that spells
    ``short``.

    Walk the short form right to left; for each letter or digit find the nearest same
    character to the left in the candidate, and the short form's first character must start
    a word. The long form runs from that word to the end of the candidate.

    Parameters
    ----------
    short : str
        The short form ("LoRA").
    candidate : str
        Words before the parenthesis, nearest last.

    Returns
    -------
    str or None

    Examples
    --------
    >>> match_long_form("LoRA", "we call it Low-Rank Adaptation")
    'Low-Rank Adaptation'
    >>> match_long_form("ALBERT", "we present A Lite BERT")
    'A Lite BERT'
    >>> match_long_form("HVM-1", "We introduce Human-like Video Models")
    'Human-like Video Models'
    >>> match_long_form("XYZ", "a completely different phrase") is None
    True
    """
    stem = _VERSION_SUFFIX.sub("", short)
    if len(re.sub(r"[^A-Za-z]", "", stem)) >= 2:
        short = stem
    s_index = len(short) - 1
    l_index = len(candidate) - 1
    while s_index >= 0:
        char = short[s_index].lower()
        if not char.isalnum():
            s_index -= 1
            continue
        while l_index >= 0 and (
            candidate[l_index].lower() != char
            or (s_index == 0 and l_index > 0 and candidate[l_index - 1].isalnum())
        ):
            l_index -= 1
        if l_index < 0:
            return None
        l_index -= 1
        s_index -= 1
    start = candidate.rfind(" ", 0, l_index + 1) + 1
    long_form = candidate[start:].strip()
    return long_form or None


def _initials_long_form(short: str, candidate: str) -> str | None:
    """The shortest tail of ``candidate`` whose word initials spell the short form's capitals.

    Schwartz & Hearst take the shortest match, which stops inside a word
    ("policy optimization (PPO)" from "proximal policy optimization"); initials find it.
    """
    capitals = [ch.lower() for ch in short if ch.isupper() or ch.isdigit()]
    words = list(re.finditer(r"[A-Za-z0-9]+", candidate))
    index = len(capitals) - 1
    for word in reversed(words):
        if index < 0:
            break
        text = word.group(0).lower()
        if text[0] == capitals[index]:
            index -= 1
            if index < 0:
                start = candidate.rfind(" ", 0, word.start()) + 1
                return candidate[start:].strip()
        elif text not in _SKIPPED_WORDS:
            return None
    return None


def _valid_short(text: str) -> bool:
    return (
        2 <= len(text) <= MAX_SHORT_CHARS
        and len(text.split()) <= MAX_SHORT_WORDS
        and text[0].isalnum()
        and any(ch.isalpha() for ch in text)
        and (not SHORT_FORM_NEEDS_CAPITAL or any(ch.isupper() for ch in text))
        and not _NOT_SHORT.match(text)
    )


def find_abbreviations(text: str) -> list[Abbreviation]:
    """Find acronym definitions: ``long form (SF)``, ``SF (long form)``, ``SF stands for LF``.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of Abbreviation
        In text order.

    References
    ----------
    A. S. Schwartz and M. A. Hearst, "A simple algorithm for identifying abbreviation
    definitions in biomedical text", Pacific Symposium on Biocomputing, 2003.

    Examples
    --------
    >>> [(a.short, a.long) for a in find_abbreviations(
    ...     "We use Low-Rank Adaptation (LoRA) and Direct Preference Optimization (DPO).")]
    [('LoRA', 'Low-Rank Adaptation'), ('DPO', 'Direct Preference Optimization')]
    >>> [(a.short, a.long) for a in find_abbreviations("RLHF (reinforcement learning from "
    ...     "human feedback) aligns models.")]
    [('RLHF', 'reinforcement learning from human feedback')]
    >>> find_abbreviations("as shown (Vaswani et al., 2017) and in (i) and (ii)")
    []
    >>> [(a.short, a.long) for a in find_abbreviations("a Knowledge Enhanced Visual-and-"
    ...     "Linguistic BERT (KVL-BERT for short) model")]
    [('KVL-BERT', 'Knowledge Enhanced Visual-and-Linguistic BERT')]
    >>> [(a.short, a.long) for a in find_abbreviations("BERT, which stands for Bidirectional "
    ...     "Encoder Representations from Transformers, is new.")]
    [('BERT', 'Bidirectional Encoder Representations from Transformers')]
    """
    found: list[Abbreviation] = []
    spelled_out = "stands for" in text or "short for" in text  # the regex is slow; skip it
    for match in _STANDS_FOR.finditer(text) if spelled_out else ():
        short, candidate = match.group(1), match.group(2).strip()
        if (
            _valid_short(short)
            and _best_long_form(short, candidate) == candidate
            and _valid_pair(short, candidate)
        ):
            found.append(
                Abbreviation(
                    short,
                    candidate,
                    match.start(1),
                    match.end(1),
                    match.start(2),
                    match.start(2) + len(candidate),
                )
            )
    for match in _PAREN.finditer(text):
        # "(KVL-BERT for short)", "(hereafter SOTA)": the short form with a word about it.
        inside = _SAYS_SHORT.sub("", match.group(1).strip())
        inside_start = match.start(1) + match.group(1).index(inside)
        before = text[: match.start()].rstrip()
        if _valid_short(inside):
            words = list(_WORD.finditer(before))
            letters = len(re.sub(r"[^A-Za-z0-9]", "", inside))
            limit = min(letters + LONG_FORM_EXTRA_WORDS, letters * LONG_FORM_WORD_FACTOR)
            window = words[-limit:]
            if not window:
                continue
            cut = window[0].start()
            candidate = before[cut:]
            # Stop at a clause boundary: a long form does not cross ';', ':' or a full stop.
            boundary = max(candidate.rfind(";"), candidate.rfind(": "), candidate.rfind(". "))
            if boundary >= 0:
                cut += boundary + 1
                candidate = before[cut:]
            candidate = candidate.rstrip(" ,;:~\"'”’")
            long_form = _best_long_form(inside, candidate.strip("\"'“‘ "))
            if long_form and _valid_pair(inside, long_form):
                long_start = cut + candidate.rindex(long_form)
                found.append(
                    Abbreviation(
                        inside,
                        long_form,
                        inside_start,
                        inside_start + len(inside),
                        long_start,
                        long_start + len(long_form),
                    )
                )
        elif len(re.split(r"[\s-]+", inside)) > MAX_SHORT_WORDS and "," not in inside:
            # Reverse order: the short form is the word before the parenthesis.
            word = re.search(r"(\S+)$", before)
            if not word:
                continue
            short = word.group(1)
            if not _valid_short(short):
                continue
            long_form = match_long_form(short, inside)
            if long_form and long_form == inside and _valid_pair(short, long_form):
                found.append(
                    Abbreviation(
                        short,
                        long_form,
                        word.start(1),
                        word.end(1),
                        inside_start,
                        inside_start + len(inside),
                    )
                )
    return sorted(found, key=lambda a: min(a.short_start, a.long_start))


def _best_long_form(short: str, candidate: str) -> str | None:
    """Schwartz & Hearst's long form, or the initialism's when that one is longer."""
    found = [
        f.strip("\"'“”‘’ ")
        for f in (match_long_form(short, candidate), _initials_long_form(short, candidate))
        if f
    ]
    return max(found, key=len) if found else None


def _valid_pair(short: str, long_form: str) -> bool:
    """Schwartz & Hearst: the long form is longer and does not contain the short form as a
    word. ML narrowings: no markup or comma, a bounded number of words, and at least as many words
    (or inner capitals) as the short form has capitals ("Thoughts" is not "ToT")."""
    words = long_form.split()
    letters = sum(ch.isalnum() for ch in short)
    capitals = sum(ch.isupper() for ch in short)
    inner_capitals = sum(ch.isupper() for word in words for ch in word[1:])
    return (
        len(long_form) > len(short)
        and short.lower() not in long_form.lower().split()
        and not _MARKUP.search(long_form)
        and "," not in long_form
        and len(words) <= letters + MAX_EXTRA_LONG_WORDS
        and len(re.split(r"[\s-]+", long_form)) + inner_capitals >= min(capitals, 2)
    )
