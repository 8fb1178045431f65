"""Lineage claims from sentences, the DAG, and one node per paper across pages."""

from __future__ import annotations

import networkx as nx
import pytest

from kg.claims import pair_features, read_claims
from kg.extract import extract_entries
from kg.graph import build_graph
from kg.lineage import add_lineage
from kg.model import Concept, Corpus, Entry, Link, Page, Paper, Paragraph
from kg.resolve import resolve
from kg.segment import segment_page
from kg.vocab import load_vocabulary, name_key
from tests.lineage_helpers import stated


def entry(*texts: str, title: str = "", file: str = "t.txt", start: int = 1) -> Entry:
    first = start + (1 if title else 0)
    paragraphs = tuple(Paragraph(t, first + i, "abstract") for i, t in enumerate(texts))
    return Entry(
        file,
        start,
        first + len(texts) - 1,
        title=title,
        title_line=start if title else 0,
        paragraphs=paragraphs,
    )


def lineage_of(nlp, *entries: Entry) -> set[tuple[str, str, str, bool]]:
    """(child label, link, parent label, inferred) for every concept builds_on edge."""
    extracted = [read_claims(x) for x in extract_entries(list(entries), nlp)]
    graph = build_graph(add_lineage(resolve(extracted, load_vocabulary())))
    label = lambda n: graph.nodes[n]["label"]  # noqa: E731
    return {
        (label(u), d["kind_of_link"], label(v), d["inferred"])
        for u, v, d in graph.edges(data=True)
        if d["relation"] == "builds_on" and graph.nodes[u]["kind"] != "paper"
    }


@pytest.mark.parametrize(
    ("texts", "title", "expected"),
    [
        (
            ["We introduce Mixtral 8x7B. Mixtral has the same architecture as Mistral 7B."],
            "",
            ("Mixtral 8x7B", "extends", "Mistral 7B"),
        ),
        (
            [
                "We present Llemma. "
                "We continue pretraining Code Llama on math data, yielding Llemma."
            ],
            "",
            ("Llemma", "fine-tunes", "Code Llama"),
        ),
        (
            ["We release Code Llama, a family of models for code based on Llama 2."],
            "",
            ("Code Llama", "extends", "Llama 2"),
        ),
        (
            ["Showed BERT was significantly undertrained."],
            "RoBERTa: A Robustly Optimized Approach",
            ("RoBERTa", "improves", "BERT"),
        ),
        (
            ["We introduce ZapDiT, replacing the U-Net backbone with a Vision Transformer."],
            "",
            ("ZapDiT", "replaces", "U-Net"),
        ),
        (
            ["We propose PagedAttention, an attention algorithm. On top of it, we build vLLM."],
            "",
            ("vLLM", "extends", "PagedAttention"),
        ),
        (
            ["We present QLoRA. QLoRA backpropagates gradients into Low Rank Adapters (LoRA)."],
            "",
            ("QLoRA", "uses", "LoRA"),
        ),
        (
            ["We introduce FizzNet. Our model leverages grouped-query attention for speed."],
            "",
            ("FizzNet", "uses", "grouped-query attention"),
        ),
    ],
)
def test_cue_sentences_make_lineage(nlp, texts, title, expected):
    child, link, parent = expected
    assert (child, link, parent, False) in lineage_of(nlp, entry(*texts, title=title))


@pytest.mark.parametrize(
    "text",
    [
        # Comparison is not lineage.
        "We introduce FooNet, which outperforms BERT and Llama 2 on GLUE.",
        # The parent of "based on" is the object, not a word inside a longer phrase.
        "We introduce FooNet. Results are based on both human and GPT-4 evaluations.",
        # Another subject's lineage is not the paper's.
        "We introduce FooNet. The dominant models are based on recurrent neural networks.",
        # "Using X as an example" says nothing about lineage.
        "We introduce FooNet. Using GPT-3 as an example, we discuss costs.",
    ],
)
def test_sentences_without_lineage(nlp, text):
    assert {e for e in lineage_of(nlp, entry(text)) if not e[3]} == set()


def test_name_containing_another_is_inferred_and_marked(nlp):
    edges = lineage_of(
        nlp,
        entry("We introduce Code ZorbNet for code; it needs less memory than ZorbNet."),
        entry("We introduce ZorbNet, an open model.", file="u.txt"),
    )
    assert ("Code ZorbNet", "extends", "ZorbNet", True) in edges


def test_lineage_is_a_dag_even_when_claims_contradict():
    corpus = Corpus(
        papers=(),
        concepts=(
            Concept("a", "A", "model"),
            Concept("b", "B", "model"),
            Concept("c", "C", "model"),
        ),
        links=(
            Link("a", "b", "builds_on", "A is based on B.", "f:1", "extends"),
            Link("b", "c", "builds_on", "B is based on C.", "f:2", "extends"),
            Link("c", "a", "builds_on", "C uses A.", "f:3", "uses"),
        ),
    )
    graph = build_graph(add_lineage(corpus))
    assert nx.is_directed_acyclic_graph(graph)
    assert graph.number_of_edges() == 2


def test_a_parent_is_not_newer_than_its_child():
    papers = (
        Paper("paper:old", "Old", "", ("f:1-1",), year_min=2017, year_max=2017),
        Paper("paper:new", "New", "", ("f:2-2",), year_min=2023, year_max=2023),
    )
    corpus = Corpus(
        papers=papers,
        concepts=(Concept("old", "Old", "model"), Concept("new", "New", "model")),
        links=(
            Link("paper:old", "old", "introduces", "We introduce Old.", "f:1"),
            Link("paper:new", "new", "introduces", "We introduce New.", "f:2"),
            Link("old", "new", "builds_on", "Old is based on New.", "f:1", "extends"),
            Link("new", "old", "builds_on", "New is based on Old.", "f:2", "extends"),
        ),
    )
    links = add_lineage(corpus).links
    builds_on = [(x.child, x.parent) for x in links if x.relation == "builds_on"]
    assert ("new", "old") in builds_on and ("old", "new") not in builds_on
    assert ("paper:new", "paper:old") in builds_on


def test_seed_lineage_is_acyclic_and_every_edge_has_evidence(seeds_graph):
    graph, _ = seeds_graph
    lineage = graph.edge_subgraph(
        (u, v) for u, v, r in graph.edges(data="relation") if r == "builds_on"
    )
    assert lineage.number_of_edges() > 50
    assert nx.is_directed_acyclic_graph(lineage)
    for _, _, data in lineage.edges(data=True):
        assert data["evidence"] and ":" in data["source"]
        assert data["kind_of_link"] in {
            "extends",
            "improves",
            "fine-tunes",
            "uses",
            "replaces",
            "distills",
            "scales",
        }


ABSTRACT = (
    "We present FooFormer, a sparse transformer for long documents. FooFormer routes tokens "
    "to experts and caches compressed keys, and we show on three benchmarks that it matches "
    "dense models at a quarter of the memory while training twice as fast as the baselines."
)


def test_same_paper_on_two_pages_is_one_node(nlp):
    first = segment_page(Page("a.txt", "a.txt", ("Top research · 1 papers", ABSTRACT)))
    second = segment_page(Page("b.txt", "b.txt", ("FooFormer: Sparse Long Documents", ABSTRACT)))
    third = segment_page(
        Page(
            "c.txt",
            "c.txt",
            (
                "FooFormer: Sparse Long Documents",
                "Introduced routed experts for long documents, with compressed key caches.",
            ),
        )
    )
    entries = [e for page in (first, second, third) for e in page.entries]
    graph = build_graph(add_lineage(resolve(extract_entries(entries, nlp), load_vocabulary())))
    papers = [d for _, d in graph.nodes(data=True) if d["kind"] == "paper"]
    assert len(papers) == 1
    assert papers[0]["sources"] == "a.txt:2-2;b.txt:1-2;c.txt:1-2"
    assert papers[0]["title"] == "FooFormer: Sparse Long Documents"


def test_different_papers_on_one_page_never_merge(nlp):
    page = segment_page(
        Page("a.txt", "a.txt", (ABSTRACT, ABSTRACT.replace("FooFormer", "BarFormer")))
    )
    graph = build_graph(resolve(extract_entries(page.entries, nlp), load_vocabulary()))
    assert sum(1 for _, k in graph.nodes(data="kind") if k == "paper") == 2


def concepts_of(nlp, *entries: Entry) -> dict[str, set[str]]:
    """{label: aliases} of every concept a build of the entries has."""
    graph = build_graph(resolve(extract_entries(list(entries), nlp), load_vocabulary()))
    return {
        d["label"]: set(filter(None, d["aliases"].split("|")))
        for _, d in graph.nodes(data=True)
        if d["kind"] != "paper"
    }


def test_an_acronym_means_its_long_form_in_the_entry_that_defines_it(nlp):
    concepts = concepts_of(
        nlp,
        entry("We propose zorbic rectification (ZR) for denoising. ZR is fast.", file="a.txt"),
        entry("We study zebra ranking (ZR) for search. ZR helps.", file="b.txt"),
    )
    zorbic = next(c for label, c in concepts.items() if "zorbic" in label.lower())
    zebra = next(c for label, c in concepts.items() if "zebra" in label.lower())
    assert "ZR" in zorbic and "ZR" in zebra
    assert not any("zebra" in a.lower() for a in zorbic)
    assert not any("zorbic" in a.lower() for a in zebra)


def test_an_undefined_acronym_joins_the_one_long_form_defined_for_it(nlp):
    concepts = concepts_of(
        nlp,
        entry("We propose zorbic rectification (ZR) for denoising.", file="a.txt"),
        entry("Our results improve on ZR by a wide margin.", file="b.txt"),
    )
    assert sum(1 for label in concepts if label in ("ZR", "zorbic rectification")) == 1


def test_a_named_paper_listed_untitled_and_titled_on_two_pages_is_one_node(nlp):
    untitled = entry(
        "We introduce QuuxFormer, a sparse model for long inputs that routes tokens.",
        file="a.txt",
    )
    titled = entry(
        "Introduced routed experts with compressed caches.",
        title="QuuxFormer: Routing for Long Inputs",
        file="b.txt",
    )
    graph = build_graph(
        add_lineage(resolve(extract_entries([untitled, titled], nlp), load_vocabulary()))
    )
    papers = [d for _, d in graph.nodes(data=True) if d["kind"] == "paper"]
    assert len(papers) == 1 and papers[0]["label"] == "QuuxFormer"


def test_a_name_many_entries_introduce_does_not_make_them_one_paper(nlp):
    topics = ("speech", "protein folding", "chess engines", "radar echoes", "poetry meter")
    entries = [
        entry(
            f"We introduce QuuxNorm for {topic}; it is evaluated on {topic} data.", file=f"{n}.txt"
        )
        for n, topic in enumerate(topics)
    ]
    graph = build_graph(resolve(extract_entries(entries, nlp), load_vocabulary()))
    assert sum(1 for _, k in graph.nodes(data="kind") if k == "paper") == 5


@pytest.mark.parametrize(
    ("child", "parent", "inferred"),
    [
        ("SG-ZorbQN", "ZorbQN", True),  # the head is the parent's name
        ("ZorbBench-2", "ZorbBench", True),  # a version of it
        ("SWZ-bench", "SWZ", False),  # a fragment, not a parent
        ("re-ZID", "ZID", False),  # a word prefix and a short head
        ("Zorbwork-SWE", "SWE", False),  # an application domain (software engineering)
    ],
)
def test_names_imply_lineage_only_through_their_head(nlp, child, parent, inferred):
    edges = lineage_of(
        nlp,
        entry(f"We introduce {child}, a model for maps; it is faster than {parent}."),
        entry(f"We introduce {parent}, a model for maps.", file="u.txt"),
    )
    assert ((child, "extends", parent, True) in edges) is inferred


def papers_of(nlp, *entries: Entry) -> list[set[str]]:
    """The sources of each paper node a build of the entries has."""
    graph = build_graph(resolve(extract_entries(list(entries), nlp), load_vocabulary()))
    return [set(d["sources"].split(";")) for _, d in graph.nodes(data=True) if d["kind"] == "paper"]


ABSTRACTS = (
    "We study herding of sheep by drones over pastures, planning flight paths that keep "
    "flocks together while grazing.",
    "Protein folding is predicted from contact maps with a recurrent solver that refines "
    "distances between residues.",
    "Radar echoes of rainfall are denoised by a wavelet filter tuned to storm cells.",
)


def test_an_untitled_abstract_and_its_title_on_a_reading_list_are_one_paper(nlp):
    abstracts = [
        entry(text, file="abstracts.txt", start=1 + 2 * i) for i, text in enumerate(ABSTRACTS)
    ]
    titles = [
        entry(title=title, file="list.txt", start=1 + i)
        for i, title in enumerate(
            (
                "Denoising Radar Echoes of Storm Cells with Wavelets",
                "Drone Herding of Sheep Flocks on Pastures",
                "Learning Chess Openings from Grandmaster Games",  # its abstract is not listed
            )
        )
    ]
    papers = papers_of(nlp, *abstracts, *titles)
    assert {"abstracts.txt:5-5", "list.txt:1-1"} in papers
    assert {"abstracts.txt:1-1", "list.txt:2-2"} in papers
    assert {"list.txt:3-3"} in papers and {"abstracts.txt:3-3"} in papers


def test_a_title_that_fits_two_abstracts_alike_merges_with_neither(nlp):
    sequel = ABSTRACTS[0].replace("drones", "dogs")
    abstracts = [
        entry(text, file="abstracts.txt", start=1 + 2 * i)
        for i, text in enumerate((*ABSTRACTS, sequel))
    ]
    title = entry(title="Herding Sheep Flocks on Pastures", file="list.txt", start=1)
    assert len(papers_of(nlp, *abstracts, title)) == 5


def test_an_untitled_abstract_and_a_title_on_the_same_page_stay_two(nlp):
    abstract = entry(ABSTRACTS[2], file="page.txt", start=1)
    title = entry(title="Denoising Radar Echoes of Storm Cells", file="page.txt", start=3)
    assert len(papers_of(nlp, abstract, title)) == 2


def test_a_paradigm_is_never_a_parent_whatever_acronym_names_it(nlp):
    found = stated(
        nlp,
        "In this work, we develop an on-device IL framework, ZorbIL, that incorporates an "
        "exemplar-based IL and quantization in the context of audio-based applications.",
        "Incremental learning (IL) lets models learn new classes. It is hard.",
    )
    assert ("ZorbIL", "uses", "quantization") in found
    assert not any(parent in ("continual learning", "IL") for _, _, parent in found)


def test_a_paper_does_not_build_on_what_it_introduces():
    introduces = Link("paper:p", "dps", "introduces", "We present DPS.", "f:1")
    uses = Link("paper:p", "dps", "builds_on", "We present DPS.", "f:1", "uses")
    corpus = Corpus(
        (Paper("paper:p", "P", "", ("f:1-1",)),),
        (Concept("dps", "DPS", "method"),),
        (introduces, uses),
    )
    assert [link.relation for link in add_lineage(corpus).links] == ["introduces"]


def test_a_number_that_measures_is_not_a_version(nlp):
    text = "We make an agent trained by AlphaZero 2.5 times faster. It plays NoGo well."
    names = {m.text for m in next(extract_entries([entry(text)], nlp)).mentions}
    assert "AlphaZero" in names and "AlphaZero 2.5" not in names


def _note_lineage(nlp, title: str, note: str) -> set[tuple[str, str, str]]:
    """(child, link, parent) of a title and the summary note below it, as a reading list
    gives them."""
    item = Entry(
        "t.txt", 1, 2, title=title, title_line=1, paragraphs=(Paragraph(note, 2, "summary"),)
    )
    extracted = [read_claims(x) for x in extract_entries([item], nlp)]
    graph = build_graph(add_lineage(resolve(extracted, load_vocabulary())))
    return {
        (graph.nodes[u]["label"], d["kind_of_link"], graph.nodes[v]["label"])
        for u, v, d in graph.edges(data=True)
        if d["relation"] == "builds_on" and graph.nodes[u]["kind"] != "paper"
    }


def test_what_a_note_says_grew_from_the_paper_builds_on_it(nlp):
    links = _note_lineage(
        nlp,
        "ZorbLM: Open and Efficient Foundation Language Models",
        "ZorbLM's leak and subsequent open release spawned QuuxChat, FizzLM, and hundreds of"
        " community models.",
    )
    assert ("QuuxChat", "uses", "ZorbLM") in links
    assert ("FizzLM", "uses", "ZorbLM") in links
    assert not any(child == "ZorbLM" for child, _, _ in links)


def test_what_grew_from_a_paradigm_the_paper_set_up_is_no_candidate_parent(nlp):
    # The scorer is never offered a descendant as something the paper's own work uses.
    item = Entry(
        "t.txt",
        1,
        2,
        title="ZorbLM: Open and Efficient Foundation Language Models",
        title_line=1,
        paragraphs=(
            Paragraph(
                "It established the token paradigm that subsequently underpinned QuuxChat,"
                " FizzLM, and the broader wave of audio language models.",
                2,
                "summary",
            ),
        ),
    )
    candidates = pair_features(next(extract_entries([item], nlp)))
    assert not {name_key("QuuxChat"), name_key("FizzLM")} & set(candidates)


def test_a_name_the_paper_is_inspired_by_in_an_aside_is_not_its_descendant(nlp):
    # "inspired" before a capital is a reverse cue ("inspired GPT-2"); here the artifact is
    # no subject of it, only named before an aside.
    links = _note_lineage(
        nlp,
        "zorbPose-NLP: A Language Processing Approach to Pose Estimation using Radars",
        "In this paper we presented zorbPose-NLP, a novel Natural Language Processing (NLP)"
        " inspired Sequence-to-Sequence (Seq2Seq) key-point estimator using radar data."
        " This is the first method to estimate 25 key-points using radar data alone.",
    )
    assert not any(parent == "zorbPose-NLP" for _, _, parent in links)


def test_a_title_phrase_does_not_build_on_the_name_after_its_function_word(nlp):
    # The head of "Taking a ZORBQ" or "Homology of ZorbTalk" stands before "a" / "of".
    edges = lineage_of(
        nlp,
        entry(
            "We propose Zorbing Quux Tuning (ZORBQ), which grounds models in zorbs.",
            title="Taking a ZORBQ: Leveraging Zorbs to Ground Models",
        ),
    )
    assert not any(inferred for *_, inferred in edges)
