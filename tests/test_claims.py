"""Each form of a lineage claim, and each form that is not one, in small sentences."""

from __future__ import annotations

import pytest

from tests.lineage_helpers import PAPER, stated

CLAIMS = [
    # Appositives and copulas.
    (["We present ZorbNet, a BERT-based model for tagging."], ("ZorbNet", "BERT")),
    (["We introduce PolyZorb, a multilingual variant of BERT."], ("PolyZorb", "BERT")),
    (["ZorbNet is an extension of the Transformer to graphs."], ("ZorbNet", "Transformer")),
    (
        ["We propose ZorbNet. ZorbNet is a generalization of LSTM."],
        ("ZorbNet", "long short-term memory"),
    ),
    (["We present ZorbLM. ZorbLM is a decoder-only Transformer."], ("ZorbLM", "Transformer")),
    (
        ["We present ZorbNet, a convolutional neural network for speech."],
        ("ZorbNet", "convolutional neural network"),
    ),
    # Compound modifiers.
    (["We propose ZorbRL, a GRPO-based method for reasoning."], ("ZorbRL", "GRPO")),
    (["We introduce ZorbNet, a BERT-like encoder for code."], ("ZorbNet", "BERT")),
    (["We propose a Transformer-style architecture for tabular data."], (PAPER, "Transformer")),
    (
        ["Here we propose a novel GAN-based approach to deblur images."],
        (PAPER, "generative adversarial networks"),
    ),
    # Verbs of use, with the authors or the artifact as subject.
    (["We use a pretrained ResNet to encode the frames."], (PAPER, "ResNet")),
    (["We introduce ZorbNet. We adopt PPO to train the policy."], ("ZorbNet", "PPO")),
    (
        ["We fine-tune BERT on legal text. We call the resulting model ZorbBERT."],
        ("ZorbBERT", "BERT"),
    ),
    (["In this paper we build on U-Net to segment cells."], (PAPER, "U-Net")),
    (["ZorbNet combines a frozen CLIP and a LSTM decoder."], ("ZorbNet", "CLIP")),
    (["ZorbNet combines a frozen CLIP and a LSTM decoder."], ("ZorbNet", "long short-term memory")),
    (["We augment the Transformer with a memory to model long documents."], (PAPER, "Transformer")),
    (["We introduce ZorbNet, which extends PPO by adding a trust region."], ("ZorbNet", "PPO")),
    (["Our method leverages self-attention to capture context."], (PAPER, "self-attention")),
    # Derivation.
    (["We present ZorbNet, derived from RoBERTa."], ("ZorbNet", "RoBERTa")),
    (["We release ZorbLM, initialized from Llama 2."], ("ZorbLM", "Llama 2")),
    (
        ["We present ZorbLM. We continue pretraining Llama 2 on math, yielding ZorbLM."],
        ("ZorbLM", "Llama 2"),
    ),
    (["We introduce ZorbSmall, a model distilled from BERT."], ("ZorbSmall", "BERT")),
    (["We present ZorbXL, a scaled-up version of GPT-2."], ("ZorbXL", "GPT-2")),
    # Improvement.
    (["We introduce ZorbNet, which improves upon ResNet with gated skips."], ("ZorbNet", "ResNet")),
    (["We present ZorbNet-2, an upgrade of the previous ZorbNet."], ("ZorbNet-2", "ZorbNet")),
    (["We present ZorbLM, the successor to GPT-2."], ("ZorbLM", "GPT-2")),
    # Replacement, and which way it points.
    (
        ["We introduce ZorbNet, which uses gated convolutions instead of LSTM."],
        ("ZorbNet", "long short-term memory"),
    ),
    (
        ["We propose ZorbNet, an alternative to the Transformer for long inputs."],
        ("ZorbNet", "Transformer"),
    ),
    (["In our model, the LSTM is replaced by a Transformer."], (PAPER, "Transformer")),
]


@pytest.mark.parametrize(("texts", "pair"), CLAIMS)
def test_claim_forms(nlp, texts, pair):
    child, parent = pair
    assert (child, parent) in {(c, p) for c, _, p in stated(nlp, *texts)}


def test_replaced_by_points_from_the_new_to_the_old(nlp):
    links = stated(nlp, "In our model, the LSTM is replaced by a Transformer.")
    assert (PAPER, "replaces", "long short-term memory") in links
    assert (PAPER, "uses", "Transformer") in links
    assert not any(c == "LSTM" for c, _, _ in links)


def test_kind_of_link_follows_the_cue(nlp):
    assert (PAPER, "fine-tunes", "BERT") in stated(nlp, "We fine-tune BERT on legal text.")
    assert ("ZorbSmall", "distills", "BERT") in stated(
        nlp, "We introduce ZorbSmall, a model distilled from BERT."
    )


NOT_CLAIMS = [
    # A fragment of a longer name, and a family of methods rather than a method.
    "We propose ZorbNet, which uses data augmentation to train regressors.",
    # Comparison.
    "We introduce ZorbNet, which outperforms BERT on GLUE.",
    "We propose ZorbNet. ZorbNet is faster than LSTM models.",
    "We propose ZorbNet. Compared with ResNet, it needs fewer parameters.",
    "We propose ZorbNet and compare it to GAN-based methods.",
    # Evaluation.
    "We propose ZorbNet. Experiments on ImageNet show gains.",
    "We train ResNet-50 on ImageNet in one hour with our schedule.",
    "We introduce ZorbNet. Using GPT-3 as an example, we discuss costs.",
    "We propose ZorbNet and use BERT as a baseline.",
    # Targets and purposes.
    "We propose ZorbGuard for defending graph neural networks against attacks.",
    "We present a method for fine-tuning BERT on small data.",
    # Background: someone else's work.
    "Existing methods use LSTM to encode the input. We propose ZorbNet.",
    "Most GAN-based methods suffer from mode collapse. We propose ZorbNet.",
    "The dominant models are based on recurrent neural networks. We propose ZorbNet.",
    # Negation.
    "We propose ZorbNet, which does not use attention mechanism at all.",
    # Data types, domains and paradigms.
    "We propose ZorbNet, a CT-based model for triage.",
    "We propose ZorbNet, which uses EEG recordings to decode intent.",
    "We propose ZorbFed, a federated learning framework based on deep learning.",
]


@pytest.mark.parametrize("text", NOT_CLAIMS)
def test_forms_that_are_not_lineage(nlp, text):
    assert stated(nlp, text) == set()


def test_a_paradigm_in_a_title_is_not_lineage(nlp):
    links = stated(
        nlp,
        "We propose ZorbAgg to aggregate client updates.",
        title="ZorbAgg: Robust Aggregation for Federated Learning",
    )
    assert not any(p.lower() == "federated learning" for _, _, p in links)


def test_a_fragment_of_a_longer_name_is_not_a_parent(nlp):
    links = stated(
        nlp,
        "We detect adversarial videos with a new training scheme. It works on two datasets.",
        title="ZAT: Pseudo-Adversarial Training For Detecting Adversarial Videos",
    )
    assert not any(parent == "adversarial training" for _, _, parent in links)
