"""What an entry introduces: the forms real abstracts use, and the look-alikes that are not
introductions, in small sentences written here (docs/annotation.md, "What an entry
introduces")."""

from __future__ import annotations

import pytest

from kg.extract import extract_entries
from kg.model import Entry, Paragraph


def introduced(nlp, text: str, title: str = "") -> set[str]:
    # A second sentence, as an abstract has: one short sentence alone reads as a title.
    text += " Experiments on three datasets show that it works well."
    paragraphs = (Paragraph(text, 2 if title else 1, "abstract"),)
    item = Entry(
        "t.txt",
        1,
        2 if title else 1,
        title=title,
        title_line=1 if title else 0,
        paragraphs=paragraphs,
    )
    return {m.text for m in next(extract_entries([item], nlp)).mentions if m.introduced}


INTRODUCES = [
    ("We also propose a method, which we call human gameplay replay.", "human gameplay replay"),
    (
        "We propose a novel mechanism called influence weighting, which helps.",
        "influence weighting",
    ),
    ("We construct a novel word embedding algorithm, Zorb-MLE.", "Zorb-MLE"),
    ("Three algorithms (ZorbPA, QuuxPA, and FizzPA) are presented and evaluated.", "QuuxPA"),
    ("We collect and release ZorbSpeech, a corpus of transcriptions.", "ZorbSpeech"),
    ("This paper firstly presents the Zorb Detection Transformer (ZDT).", "ZDT"),
    ("We also present Gradual Zorb Shift(GZS) method that stabilizes training.", "GZS"),
    ("We will introduce a new distance, namely ZORB-DIST, for graphs.", "ZORB-DIST"),
    ("We propose ZorbTrace as a novel visualization of uncertainty.", "ZorbTrace"),
    ("A zorb-based frequency feature search (ZFFS) method is proposed for EEG.", "ZFFS"),
    ("We instantiate our Z2P framework for STAR, a query reasoner.", "Z2P"),
    ("We discuss how our ZORB-BERT carries over to other clinical notes.", "ZORB-BERT"),
    (
        "Conditional Zorb Estimation (CZE) is a novel dimension reduction method.",
        "Conditional Zorb Estimation",
    ),
    (
        "We reveal a problem in graph models, and propose Neighborhood Zorbing (NZ).",
        "Neighborhood Zorbing",
    ),
    (
        "We are motivated to develop the dual Zorb Networks (dual-ZN) for imaging.",
        "dual Zorb Networks",
    ),
    ("We show it on Russian by constructing ZorbDIY, a counterpart of the corpus.", "ZorbDIY"),
    ("We propose a novel Knowledge Enhanced Zorb BERT (KEZ-BERT for short) model.", "KEZ-BERT"),
    (
        "We propose a robust sampler, Incremental Weighted K-Means, for active learning.",
        "Incremental Weighted K-Means",
    ),
    # A lower-case name ends before its passive verb.
    ("A new pooling strategy called shuffle zorbing is designed, which helps.", "shuffle zorbing"),
    (
        "A novel construction named compact zorbing is proposed to compress channels.",
        "compact zorbing",
    ),
]

NOT_INTRODUCED = [
    # A known technique spelled in lower case is put to use when it is "introduced".
    (
        "Furthermore, we introduce an attention mechanism to fuse the features.",
        "attention mechanism",
    ),
    ("We introduce group convolution to decrease the calculation cost.", "group convolution"),
    # "is called X" defines a term that exists; "called X has been introduced" is earlier work.
    ("The task of finding node groups is called community detection.", "community detection"),
    ("Recently, a module called Zorb Network (ZN) has been introduced.", "Zorb Network"),
    # An acronym in a purpose, another phrase, or before "based" / a plural kind noun.
    ("We propose a local reservoir model to account for choice-based zorbing (CBZ).", "CBZ"),
    ("We propose ZorbText, a model that learns between natural zorb (NZ) and code.", "NZ"),
    ("We propose a random finite zorb (RFZ) based Bayesian approach.", "RFZ"),
    ("We propose two conversational query zorbing (CQZ) methods.", "conversational query zorbing"),
    # A lower-case description before ", which" is not a name.
    (
        "We developed a deep learning model, which we call a zorb input network.",
        "deep learning model",
    ),
    # "and present" without the authors as subject is not theirs.
    ("Existing systems detect and present ZorbAlerts to the user.", "ZorbAlerts"),
    # An unknown name before a whole description only qualifies it.
    ("We propose a ReZorb multi-modal data augmentation method.", "ReZorb"),
    # "named" as an adjective names nothing.
    (
        "ZorbNER helps when key named entities are mentioned, both masked or not.",
        "entities are mentioned",
    ),
]


@pytest.mark.parametrize(("text", "name"), INTRODUCES)
def test_forms_that_introduce(nlp, text, name):
    assert name in introduced(nlp, text)


@pytest.mark.parametrize(("text", "name"), NOT_INTRODUCED)
def test_look_alikes_that_do_not_introduce(nlp, text, name):
    assert name not in introduced(nlp, text)


def test_a_title_head_before_a_review_is_a_topic(nlp):
    assert "Time Zorbing" not in introduced(
        nlp, "We review the field.", title="Time Zorbing: A Review on Computational Models"
    )
    assert "ZorbDet" in introduced(nlp, "We detect objects.", title="ZorbDet:In Defense of Range")


def test_a_known_name_ending_a_title_head_is_not_what_the_title_introduces(nlp):
    # "Transformer" is a known name, and no acronym of "Deep Thinking" for having a capital T.
    found = introduced(
        nlp, "We study depth.", title="Deep Thinking Transformer: Leveraging Dynamic Depth"
    )
    assert "Transformer" not in found
    assert "Deep Thinking Transformer" in found
