"""Extraction on a Dask cluster: what ``kg build --dask`` runs instead of the local pool.

Takes a Dask ``Client`` (from :func:`connect`) and :class:`~kg.model.Entry` records; yields
:class:`~kg.model.ExtractedEntry` records with their lineage claims read
(:func:`kg.claims.read_claims`), in the order of the entries, exactly as the local path
makes them. Batches of entries go out as Dask futures (``client.submit``, at most a few per
worker thread in flight, so the client never holds more than a window of results); each
worker builds one spaCy pipeline, once, through :class:`PipelinePlugin`. A task that raises
is retried (:data:`RETRIES`); a task whose worker dies is rescheduled by Dask itself, up to
its ``distributed.scheduler.allowed-failures``.

What runs where: reading, segmentation, resolution, lineage and the writing of the outputs
stay in the client process; only extraction and claims run on the workers. Every Dask error
becomes a :class:`~kg.errors.ClusterError` with one line of text. This module imports Dask;
nothing on the local path imports it.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import dask
from distributed import Client, LocalCluster, WorkerPlugin, get_worker

import kg
from kg.errors import ClusterError
from kg.model import Entry, ExtractedEntry

__all__ = [
    "BATCH_SIZE",
    "RETRIES",
    "PipelinePlugin",
    "connect",
    "extract_on_cluster",
    "worker_peak_memory",
]

#: Entries per task: big enough that a task's overhead (a few ms) is small beside its work.
BATCH_SIZE = 128
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


def _extract_task(batch: list[Entry], batch_size: int) -> list[ExtractedEntry]:
    plugin = get_worker().plugins[PLUGIN_NAME]
    return plugin.extract(batch, batch_size)


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


def extract_on_cluster(
    entries: Iterable[Entry],
    client: Client,
    *,
    batch_size: int = BATCH_SIZE,
    vocabulary_path: str = "",
    use_vocabulary: bool = True,
) -> Iterator[ExtractedEntry]:
    """Extract concepts and read claims of every entry on the cluster's workers.

    Parameters
    ----------
    entries : iterable of Entry
    client : distributed.Client
        From :func:`connect`.
    batch_size : int
        Entries per task.
    vocabulary_path, use_vocabulary
        Passed to :func:`kg.extract.build_pipeline` on each worker.

    Yields
    ------
    ExtractedEntry
        With ``claims`` read, in the order of ``entries``: the records
        ``read_claims(extract_entries(...))`` makes on one machine.

    Raises
    ------
    ClusterError
        A task failed after its retries, or its workers kept dying.

    Examples
    --------
    >>> from kg.model import Paragraph
    >>> text = "We introduce FooNet, a model fine-tuned from RoBERTa."
    >>> entry = Entry("p.txt", 1, 1, paragraphs=(Paragraph(text, 1, "abstract"),))
    >>> with connect(1) as client:
    ...     found = list(extract_on_cluster([entry], client))
    >>> [(m.text, m.introduced) for m in found[0].mentions]
    [('FooNet', True), ('fine-tuned', False), ('RoBERTa', False)]
    >>> [(c.child.text, c.link, c.parent.text) for c in found[0].claims]
    [('FooNet', 'fine-tunes', 'RoBERTa')]
    """
    plugin = PipelinePlugin(vocabulary_path=vocabulary_path, use_vocabulary=use_vocabulary)
    try:
        client.register_plugin(plugin, name=PLUGIN_NAME)
        threads = max(sum(client.nthreads().values()), 1)
    except Exception as error:
        raise ClusterError(_address(client), _one_line(error)) from None
    window = threads * IN_FLIGHT_PER_THREAD
    pending: deque = deque()
    try:
        stream = iter(entries)
        while batch := list(itertools.islice(stream, batch_size)):
            pending.append(
                client.submit(_extract_task, batch, batch_size, retries=RETRIES, pure=False)
            )
            if len(pending) >= window:
                yield from _take(pending.popleft())
        while pending:
            yield from _take(pending.popleft())
    except Exception as error:
        reason = f"{_one_line(error)}; nothing was written"
        raise ClusterError(_address(client), reason) from None
    finally:
        for future in pending:
            future.release()
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(PLUGIN_NAME)


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


def _take(future: Any) -> list[ExtractedEntry]:
    result = future.result()
    future.release()
    return result


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
    text = " ".join(str(error).split()) or "no message"
    return f"{name}: {text}"
