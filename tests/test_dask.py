"""``kg build --dask``: the same graph as a local build, worker deaths, and bad input.

The Dask tests need the ``dask`` extra (the README's test command installs it); without it
they are skipped, but the tests of what happens without Dask still run. Worker faults are a
test-only :class:`distributed.WorkerPlugin` registered on a cluster the test starts; nothing
in kg knows about them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from kg.cli import main

from .conftest import ROOT, SEEDS

HAVE_DASK = all(importlib.util.find_spec(name) for name in ("dask", "distributed"))
needs_dask = pytest.mark.skipif(
    not HAVE_DASK, reason="Dask is not installed: pip install '.[test,dask]' to run this test"
)
#: The real pages: all six pwc-dev pages (2,625 abstracts), about 15 s per build here.
PWC_PAGES = sorted((ROOT.parent / "shared" / "corpora" / "pwc-dev").glob("page_*.txt"))


def canonical(graphml: Path) -> tuple[list, list]:
    """Nodes and edges with all their attributes, sorted, to compare two builds."""
    graph = nx.read_graphml(graphml)
    nodes = sorted((node, sorted(data.items())) for node, data in graph.nodes(data=True))
    edges = sorted((u, v, sorted(data.items())) for u, v, data in graph.edges(data=True))
    return nodes, edges


def build(*args: str):
    return CliRunner().invoke(main, ["build", *args, "--quiet"])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def cluster():
    """A two-worker cluster started by the test, for ``--dask ADDRESS``; yields its client."""
    import cloudpickle
    from distributed import Client, LocalCluster

    # The fault plugins below travel to the workers by value, not as an import of tests/.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=40,
        ) as local,
        Client(local) as client,
    ):
        yield client
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


if HAVE_DASK:
    from distributed import WorkerPlugin

    class KillWorker(WorkerPlugin):
        """Kills the worker process as a kg task (by default an extraction) starts on it,
        while ``trigger`` exists; with ``once``, the first worker to remove the trigger is
        the only one to die."""

        def __init__(self, trigger: str, *, once: bool, task: str = "_extract_task") -> None:
            self.trigger, self.once, self.task = trigger, once, task

        def transition(self, key, start, finish, **kwargs) -> None:
            if finish != "executing" or not str(key).startswith(self.task):
                return
            try:
                if self.once:
                    os.remove(self.trigger)
                elif not os.path.exists(self.trigger):
                    return
            except FileNotFoundError:
                return
            os._exit(1)


def same_outputs(one: Path, other: Path) -> None:
    """The two folders hold the same five files: the same bytes, and for graph.db the same
    rows (SQLite's pages may differ)."""
    from .test_stored_build import rows

    assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in other.iterdir())
    for name in ("graph.graphml", "graph.json", "graph.gexf", "graph.html"):
        assert (one / name).read_bytes() == (other / name).read_bytes(), name
    assert rows(one / "graph.db") == rows(other / "graph.db")


@needs_dask
def test_dask_local_build_of_the_seeds_is_the_local_graph(seeds_graph, tmp_path):
    result = build(str(SEEDS), "--dask", "local:2", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert canonical(tmp_path / "graph.graphml") == canonical(seeds_graph[1] / "graph.graphml")
    same_outputs(tmp_path, seeds_graph[1])


@needs_dask
@pytest.mark.skipif(not PWC_PAGES, reason="../shared/corpora/pwc-dev/ is not here")
def test_dask_local_build_of_real_pages_is_the_local_graph(tmp_path):
    pages = [str(page) for page in PWC_PAGES]
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert build(*pages, "-o", str(local)).exit_code == 0
    result = build(*pages, "--dask", "local:2", "-o", str(dask))
    assert result.exit_code == 0, result.output
    nodes, edges = canonical(dask / "graph.graphml")
    assert (nodes, edges) == canonical(local / "graph.graphml")
    assert len(nodes) > 5000 and len(edges) > 10000
    same_outputs(dask, local)


@needs_dask
def test_dask_build_with_focus_draws_the_same_page(seeds_graph, tmp_path):
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert build(str(SEEDS), "--focus", "RoBERTa", "-o", str(local)).exit_code == 0
    result = build(str(SEEDS), "--focus", "RoBERTa", "--dask", "local:1", "-o", str(dask))
    assert result.exit_code == 0, result.output
    same_outputs(dask, local)


@needs_dask
def test_a_worker_killed_during_the_build_still_gives_the_local_graph(
    cluster, seeds_graph, tmp_path
):
    trigger = tmp_path / "kill-once"
    trigger.touch()
    cluster.register_plugin(KillWorker(str(trigger), once=True), name="test-kill-once")
    try:
        result = build(str(SEEDS), "--dask", cluster.scheduler.address, "-o", str(tmp_path / "o"))
    finally:
        cluster.unregister_worker_plugin("test-kill-once")
    assert not trigger.exists()  # a worker removed it, then died
    assert result.exit_code == 0, result.output
    graph = canonical(tmp_path / "o" / "graph.graphml")
    assert graph == canonical(seeds_graph[1] / "graph.graphml")


@needs_dask
def test_workers_that_keep_dying_fail_the_build_in_one_line_and_leave_output_alone(
    cluster, seeds_graph, tmp_path
):
    out = tmp_path / "output"
    shutil.copytree(seeds_graph[1], out)
    before = snapshot(out)
    trigger = tmp_path / "kill-always"
    trigger.touch()
    cluster.register_plugin(KillWorker(str(trigger), once=False), name="test-kill-always")
    try:
        result = build(str(SEEDS), "--dask", cluster.scheduler.address, "-o", str(out))
    finally:
        trigger.unlink()
        cluster.unregister_worker_plugin("test-kill-always")
    assert result.exit_code == 1
    assert result.output in (
        f"Error: Dask cluster {cluster.scheduler.address}: workers died {doing} again and again"
        f"{why}; nothing was written\n"
        for doing, why in [
            ("extracting the same batch", ""),  # the batch was lost with its worker
            ("running the same task", " (KilledWorker)"),  # Dask gave up on the task
        ]
    ), result.output
    assert snapshot(out) == before


@needs_dask
def test_a_worker_killed_in_a_group_by_gives_the_local_graph_or_a_clean_failure(
    cluster, seeds_graph, tmp_path
):
    """Once every batch is summarised, its facts live only on the worker that made it: a
    worker that dies in a group-by takes some with it. The build then fails in one line and
    leaves output/ as it was (or, if Dask had copies, gives the local graph)."""
    out = tmp_path / "output"
    shutil.copytree(seeds_graph[1], out)
    before = snapshot(out)
    trigger = tmp_path / "kill-in-reduce"
    trigger.touch()
    plugin = KillWorker(str(trigger), once=True, task="_reduce_task")
    cluster.register_plugin(plugin, name="test-kill-reduce")
    try:
        result = build(str(SEEDS), "--dask", cluster.scheduler.address, "-o", str(out))
    finally:
        cluster.unregister_worker_plugin("test-kill-reduce")
    assert not trigger.exists()  # a worker died in a group-by
    if result.exit_code == 0:
        assert canonical(out / "graph.graphml") == canonical(seeds_graph[1] / "graph.graphml")
    else:
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: Dask cluster {cluster.scheduler.address}: ")
        assert result.output.endswith("; nothing was written\n")
        assert result.output.count("\n") == 1
        assert snapshot(out) == before


@needs_dask
def test_workers_running_another_kg_version_are_refused(cluster, monkeypatch, tmp_path):
    import kg

    real = kg.__version__
    monkeypatch.setattr(kg, "__version__", "0.0.1")  # this process's; the workers keep theirs
    result = build(str(SEEDS), "--dask", cluster.scheduler.address, "-o", str(tmp_path))
    assert result.exit_code == 1
    # Which worker is named depends on which answered first: a worker an earlier test
    # killed may still be restarting, under another address.
    pattern = (
        rf"Error: Dask cluster {re.escape(cluster.scheduler.address)}: worker tcp://\S+ runs kg "
        rf"{re.escape(real)}, this machine kg 0\.0\.1; install the same kg on every machine\n"
    )
    assert re.fullmatch(pattern, result.output), result.output
    assert list(tmp_path.iterdir()) == []


@needs_dask
def test_the_client_keeps_few_messages_of_its_streams():
    """Dask logs the last 1,000 messages of each stream; a batch of entries is a message, so
    the log would hold the corpus in the client (and in a local cluster's scheduler)."""
    import dask

    from kg.cluster import MESSAGE_LOG, connect

    with connect(1):
        assert dask.config.get("distributed.admin.low-level-log-length") == MESSAGE_LOG
    assert dask.config.get("distributed.admin.low-level-log-length") != MESSAGE_LOG


@needs_dask
def test_an_unreachable_scheduler_is_one_line_and_exit_code_1(tmp_path):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = build(str(SEEDS), "--dask", "tcp://127.0.0.1:9", "-o", str(tmp_path / "o"))
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: Dask cluster tcp://127.0.0.1:9: cannot reach the scheduler ("
    )
    assert result.output.endswith("); is dask scheduler running there?\n")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["local:0", "local:abc", "local:-1", ""])
def test_a_bad_local_worker_count_is_a_usage_error(value, tmp_path):
    result = build(str(SEEDS), "--dask", value, "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "Error: Invalid value for '--dask'" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_dask_and_jobs_together_are_a_usage_error(tmp_path):
    result = build(str(SEEDS), "--dask", "local:2", "-j", "2", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert result.output.endswith("Error: use just one of --dask and -j/--jobs\n")


def test_without_dask_the_option_says_how_to_install_it(monkeypatch, tmp_path):
    for name in [n for n in sys.modules if n.split(".")[0] in ("dask", "distributed")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(sys.modules, "kg.cluster", raising=False)
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setitem(sys.modules, "dask", None)
    result = build(str(SEEDS), "--dask", "local:2", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert result.output == (
        "Error: --dask needs Dask, which is not installed: pip install 'kg[dask]'\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_local_build_does_not_import_dask(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("FooNet: A Model\nWe introduce FooNet, a model based on BERT.\n", "utf-8")
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from kg.cli import main\n"
        f"result = CliRunner().invoke(main, ['build', {str(page)!r}, '-o', {str(tmp_path)!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
