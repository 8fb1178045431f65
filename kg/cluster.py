"""What ``kg build --dask`` runs on a Dask cluster: extraction, and resolution's group-bys.

:class:`OnCluster` takes a Dask ``Client`` (from :func:`connect`). Its :meth:`~OnCluster.summarise`
sends batches of :class:`~kg.model.Entry` records out as Dask futures (``client.submit``, at
most a few per worker thread in flight): a worker extracts each batch with its one spaCy
pipeline (built once, through :class:`PipelinePlugin`), reads the claims, and summarises it for
resolution (:func:`kg.resolve.summarise`). Only the entries' records come back; the batch's
facts (spellings, 5-grams, words, titles, names) stay on the worker as a future. Resolution's
group-bys (:class:`kg.groupby.GroupBy`) then run as Dask tasks over those futures: each part is
split into buckets by key and each bucket reduced on some worker, so concepts are made and
paper-merging candidates found without the corpus meeting in one process.

A task that raises is retried (:data:`RETRIES`); a task whose worker dies is rescheduled by
Dask itself, up to its ``distributed.scheduler.allowed-failures``. A worker lost after its
batches were summarised takes their facts with it, and the build fails with one line. Every
Dask error becomes a :class:`~kg.errors.ClusterError` with one line of text. This module
imports Dask; nothing on the local path imports it.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import operator
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import CancelledError
from typing import Any

import dask
from distributed import Client, LocalCluster, WorkerPlugin, get_worker

import kg
from kg.errors import ClusterError
from kg.model import Entry, ExtractedEntry
from kg.resolve import merge_facts, summarise
from kg.vocab import Vocabulary

__all__ = [
    "BATCH_SIZE",
    "RETRIES",
    "OnCluster",
    "PipelinePlugin",
    "connect",
    "worker_peak_memory",
]

#: Entries per task: big enough that a task's overhead (a few ms) is small beside its work.
BATCH_SIZE = 128
#: Batches whose facts are merged into one part for resolution's group-bys (about 2,000
#: entries): each group-by makes a few tasks per part, and Dask spends about a millisecond a
#: task.
MERGED_BATCHES = 16
#: Times a task that raised is tried again before the build fails.
RETRIES = 2
#: Tasks in flight per worker thread: enough to keep every worker busy while the client
#: takes results in order, few enough that results do not pile up in the client.
IN_FLIGHT_PER_THREAD = 4
#: Messages each Dask stream of this process keeps for debugging (see :func:`connect`).
MESSAGE_LOG = 8
#: Seconds to wait for a scheduler with no workers to get one.
WORKER_WAIT = 30.0
PLUGIN_NAME = "kg-pipeline"


class PipelinePlugin(WorkerPlugin):
    """Gives each worker one extraction pipeline, built on its first task and kept.

    A worker that joins later, or is restarted after a crash, gets the plugin too (Dask
    installs registered plugins on every worker). Tasks on a worker with several threads
    take turns with the pipeline (spaCy pipelines are not shared across threads); run
    workers with ``--nthreads 1``.

    Parameters
    ----------
    vocabulary_path, use_vocabulary
        Passed to :func:`kg.extract.build_pipeline`.

    Examples
    --------
    >>> PipelinePlugin(use_vocabulary=False).options
    {'vocabulary_path': '', 'use_vocabulary': False}
    """

    def __init__(self, *, vocabulary_path: str = "", use_vocabulary: bool = True) -> None:
        self.options = {"vocabulary_path": vocabulary_path, "use_vocabulary": use_vocabulary}
        self._nlp: Any = None
        self._lock: threading.Lock | None = None

    def setup(self, worker: Any) -> None:
        self._nlp, self._lock = None, threading.Lock()

    def teardown(self, worker: Any) -> None:
        self._nlp = None

    def extract(self, batch: list[Entry], batch_size: int) -> list[ExtractedEntry]:
        """What one task does: extract and read claims, with this worker's pipeline."""
        # Imported here: the client (kg build) never extracts, and need not load spaCy.
        from kg.claims import read_claims
        from kg.extract import build_pipeline, extract_entries

        assert self._lock is not None, "the plugin runs its setup before any task"
        with self._lock:
            if self._nlp is None:
                self._nlp = build_pipeline(**self.options)
            found = list(extract_entries(batch, self._nlp, batch_size=batch_size))
        return [read_claims(item) for item in found]


def _extract_task(
    batch: list[Entry], batch_size: int, first: int, vocabulary: Vocabulary
) -> tuple[list, Any]:
    """Extract a batch of entries numbered from ``first``, read their claims, and summarise
    them for resolution: ``(records, concept facts, paper facts)``."""
    plugin = get_worker().plugins[PLUGIN_NAME]
    records, (concepts, papers) = summarise(plugin.extract(batch, batch_size), first, vocabulary)
    return records, concepts, papers


def _reduce_task(reduce: Callable[..., Any], pieces: list[list[Any]], args: tuple) -> Any:
    return reduce(*pieces, *args)


def _kg_version() -> str:
    return kg.__version__


def _peak_rss_kb() -> int:
    """This process's peak resident memory in kB (``VmHWM``; 0 where /proc has none)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextlib.contextmanager
def connect(target: str | int, *, quiet_logs: bool = True) -> Iterator[Client]:
    """A Dask client: on a ``LocalCluster`` of ``target`` worker processes that it starts
    and stops, or on the scheduler at address ``target`` (``tcp://host:8786``).

    The workers must run the same kg version as this process; with no worker connected it
    waits :data:`WORKER_WAIT` seconds for one.

    Parameters
    ----------
    target : int or str
        A number of local worker processes, or a scheduler address.
    quiet_logs : bool
        Keep Dask's own warnings (a worker restarted ...) off the terminal.

    Yields
    ------
    distributed.Client

    Raises
    ------
    ClusterError
        The scheduler cannot be reached, has no workers, or its workers run another kg.

    Examples
    --------
    >>> with connect(1) as client:
    ...     [threads for threads in client.nthreads().values()]
    ...     min(worker_peak_memory(client).values()) > 0
    [1]
    True
    """
    where = f"local:{target}" if isinstance(target, int) else str(target)
    level = logging.ERROR if quiet_logs else logging.WARNING
    # Dask keeps the last messages of every stream for debugging (1,000 by default), and a
    # batch of entries is one: held in this process they are the whole corpus, not a log.
    with dask.config.set({"distributed.admin.low-level-log-length": MESSAGE_LOG}):
        yield from _connect(target, where, level)


def _connect(target: str | int, where: str, level: int) -> Iterator[Client]:
    cluster: LocalCluster | None = None
    client: Client | None = None
    try:
        try:
            if isinstance(target, int):
                cluster = LocalCluster(
                    n_workers=target,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # Its health endpoint on any free port: 8787 may be another scheduler's.
                    scheduler_kwargs={"dashboard_address": ":0"},
                    silence_logs=level,
                )
                client = Client(cluster)
            else:
                client = Client(target)
        except OSError as error:
            reason = f"cannot reach the scheduler ({error}); is dask scheduler running there?"
            raise ClusterError(where, reason) from None
        except Exception as error:  # any other failure to reach or start Dask is one line
            raise ClusterError(where, _one_line(error)) from None
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT)
            versions = client.run(_kg_version)
        except TimeoutError:
            reason = f"no worker connected in {WORKER_WAIT:.0f} s"
            if not isinstance(target, int):
                reason += f"; start one with: dask worker {target}"
            raise ClusterError(where, reason) from None
        except Exception as error:  # a worker that cannot run kg's code at all
            reason = f"{_one_line(error)}; every worker needs kg[dask] {kg.__version__}"
            raise ClusterError(where, reason) from None
        others = {worker: v for worker, v in versions.items() if v != kg.__version__}
        if others:
            worker, version = sorted(others.items())[0]
            raise ClusterError(
                where,
                f"worker {worker} runs kg {version}, this machine kg {kg.__version__}; "
                "install the same kg on every machine",
            )
        yield client
    finally:
        with contextlib.suppress(Exception):
            if client is not None:
                client.close()
        with contextlib.suppress(Exception):
            if cluster is not None:
                cluster.close()


class OnCluster:
    """Extraction and resolution's group-bys (:class:`kg.groupby.GroupBy`) on a Dask cluster.

    Parameters
    ----------
    client : distributed.Client
        From :func:`connect`.
    batch_size : int
        Entries per extraction task.
    buckets : int, optional
        Buckets per group-by; by default one per worker thread.
    vocabulary_path, use_vocabulary
        Passed to :func:`kg.extract.build_pipeline` on each worker.

    Examples
    --------
    >>> from kg.model import Paragraph
    >>> from kg.resolve import resolve_parts
    >>> from kg.vocab import load_vocabulary
    >>> text = "We introduce FooNet, a model fine-tuned from RoBERTa."
    >>> entry = Entry("p.txt", 1, 1, paragraphs=(Paragraph(text, 1, "abstract"),))
    >>> with connect(1) as client:
    ...     cluster = OnCluster(client)
    ...     vocabulary = load_vocabulary()
    ...     parts = list(cluster.summarise([entry], vocabulary))
    ...     resolution = resolve_parts(parts, vocabulary, cluster)
    ...     links = [link for _, links in resolution.papers for link in links]
    >>> [(link.child, link.relation, link.parent) for link in links][-1]
    ('foonet', 'builds_on', 'roberta')
    """

    def __init__(
        self,
        client: Client,
        *,
        batch_size: int = BATCH_SIZE,
        buckets: int | None = None,
        vocabulary_path: str = "",
        use_vocabulary: bool = True,
    ) -> None:
        self.client, self.batch_size = client, batch_size
        self.plugin = PipelinePlugin(vocabulary_path=vocabulary_path, use_vocabulary=use_vocabulary)
        try:
            self.threads = max(sum(client.nthreads().values()), 1)
        except Exception as error:
            raise ClusterError(_address(client), _one_line(error)) from None
        self.buckets = buckets or self.threads

    def summarise(
        self, entries: Iterable[Entry], vocabulary: Vocabulary
    ) -> Iterator[tuple[list, Any]]:
        """Extract and summarise every entry on the workers (:func:`kg.resolve.summarise`).

        Yields
        ------
        (list, (Future, Future))
            Each batch's records, in the order of ``entries``, and futures on its facts
            (concepts', papers'), which stay on the workers, merged with those of the
            batches beside it (:data:`MERGED_BATCHES`): batches with the same futures are
            one part.

        Raises
        ------
        ClusterError
            A task failed after its retries, or its workers kept dying.
        """
        client = self.client
        try:
            client.register_plugin(self.plugin, name=PLUGIN_NAME)
        except Exception as error:
            raise ClusterError(_address(client), _one_line(error)) from None
        shared = self.share(vocabulary)
        window = self.threads * IN_FLIGHT_PER_THREAD
        pending: deque[_Batch] = deque()
        taken: list[tuple[list, Any]] = []
        first = 0
        try:
            stream = iter(entries)
            while batch := list(itertools.islice(stream, self.batch_size)):
                pending.append(_Batch(batch, first, self.batch_size, shared, client))
                first += len(batch)
                if len(pending) >= window:
                    taken.append(pending.popleft().take())
                if len(taken) == MERGED_BATCHES:
                    yield from self._merged(taken)
            while pending:
                taken.append(pending.popleft().take())
                if len(taken) == MERGED_BATCHES:
                    yield from self._merged(taken)
            yield from self._merged(taken)
        except ClusterError:
            raise
        except Exception as error:
            raise _failed(client, error) from None
        finally:
            for batch in pending:
                batch.release()
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(PLUGIN_NAME)

    def _merged(self, taken: list[tuple[list, Any]]) -> Iterator[tuple[list, Any]]:
        """The batches taken, each with futures on their facts merged into one part
        (:func:`kg.resolve.merge_facts`): a group-by makes a few tasks per part."""
        if not taken:
            return
        client = self.client
        merged = client.submit(merge_facts, [facts for _, facts in taken], pure=False)
        halves = tuple(client.submit(operator.getitem, merged, i, pure=False) for i in (0, 1))
        for records, facts in taken:
            for half in facts:
                half.release()
            yield records, halves
        taken.clear()

    def group(
        self,
        inputs: Sequence[Sequence[Any]],
        splits: Sequence[Callable[..., Sequence[Any]]],
        reduce: Callable[..., Any],
        args: tuple = (),
    ) -> list[Any]:
        """Futures on each bucket's answer (see :class:`kg.groupby.GroupBy`)."""
        client, buckets = self.client, self.buckets
        try:
            cut = [
                [
                    client.submit(split, part, buckets, *args, retries=RETRIES, pure=False)
                    for part in parts
                ]
                for parts, split in zip(inputs, splits, strict=True)
            ]
            return [
                client.submit(
                    _reduce_task,
                    reduce,
                    [
                        [client.submit(operator.getitem, c, b, pure=False) for c in one]
                        for one in cut
                    ],
                    args,
                    retries=RETRIES,
                    pure=False,
                )
                for b in range(buckets)
            ]
        except Exception as error:
            raise _failed(client, error) from None

    def gather(self, handles: Sequence[Any]) -> list[Any]:
        try:
            return list(self.client.gather(list(handles)))
        except Exception as error:
            raise _failed(self.client, error) from None

    def share(self, value: Any) -> Any:
        """A future on ``value`` (a task's result rather than scattered data, so that Dask
        makes it again if the workers holding it die)."""
        try:
            return self.client.submit(_value, value, pure=False)
        except Exception as error:
            raise _failed(self.client, error) from None


def worker_peak_memory(client: Client) -> dict[str, int]:
    """Each worker's peak resident memory, in kB (``VmHWM`` read on the worker).

    Returns
    -------
    dict
        ``{worker address: kB}``.

    See Also
    --------
    connect : its example reads the workers' peak memory.
    """
    return client.run(_peak_rss_kb)


class _Batch:
    """One batch of entries out for extraction: scattered to a worker (so that its text is
    not part of the task, which Dask keeps as long as the task's facts live), then extracted
    and summarised there. If the worker holding it dies first, it is sent again from here, up
    to :data:`RETRIES` times; once taken, this process forgets it."""

    def __init__(
        self, entries: list[Entry], first: int, batch_size: int, vocabulary: Any, client: Client
    ) -> None:
        self.entries, self.first, self.batch_size = entries, first, batch_size
        self.vocabulary, self.client, self.tries = vocabulary, client, 0
        self._submit()

    def _submit(self) -> None:
        client = self.client
        for tried in range(RETRIES + 1):
            try:
                [data] = client.scatter([self.entries], hash=False)
                break
            except OSError:  # the worker it went to died (CommClosedError)
                if tried == RETRIES:
                    raise
        both = client.submit(
            _extract_task,
            data,
            self.batch_size,
            self.first,
            self.vocabulary,
            retries=RETRIES,
            pure=False,
        )
        # Futures on the one result: the records come here, the facts stay.
        self.records = client.submit(operator.getitem, both, 0, pure=False)
        self.facts = tuple(client.submit(operator.getitem, both, i, pure=False) for i in (1, 2))
        self.tries += 1

    def take(self) -> tuple[list, Any]:
        """The batch's records, and futures on its concept facts and paper facts."""
        while True:
            try:
                records = self.records.result()
                break
            except CancelledError:  # its worker died with the batch: send it again
                if self.tries > RETRIES:
                    reason = "workers died extracting the same batch again and again"
                    raise ClusterError(
                        _address(self.client), f"{reason}; nothing was written"
                    ) from None
                self.release()
                self._submit()
        self.records.release()
        self.entries = []
        return records, self.facts

    def release(self) -> None:
        self.records.release()
        for facts in self.facts:
            facts.release()


def _value(value: Any) -> Any:
    return value


def _failed(client: Client, error: BaseException) -> ClusterError:
    return ClusterError(_address(client), f"{_one_line(error)}; nothing was written")


def _address(client: Client) -> str:
    try:
        return str(client.scheduler.address)
    except Exception:
        return "the Dask cluster"


def _one_line(error: BaseException) -> str:
    """``Type: message`` on one line; Dask's KilledWorker said plainly."""
    name = type(error).__name__
    if name == "KilledWorker":
        return "workers died running the same task again and again (KilledWorker)"
    if isinstance(error, CancelledError):
        return (
            "a worker died holding batches it had summarised, which Dask cannot make again "
            "(only their records came back); run the build again"
        )
    text = " ".join(str(error).split()) or "no message"
    return f"{name}: {text}"
