"""Group-bys for resolution and lineage: in this process, or spread over a Dask cluster.

Resolution (:mod:`kg.resolve`) reduces what every entry says about a concept, a title, a word
5-gram, a name, into one answer per key. Each such reduction is written as two plain
functions over *parts* of the corpus (a part: what one batch of entries yields):

- ``split(part, buckets, *args)`` returns the part's data cut into ``buckets`` lists or
  dicts by a stable hash of the key (:func:`bucket_of`), so every part sends a key's data
  to the same bucket;
- ``reduce(pieces, *args)`` gets one bucket's pieces from every part, *in the parts'
  order*, and returns that bucket's answer.

Because a key's data meets in one bucket, in corpus order, the answer does not depend on how
the corpus was cut or how many buckets there are: :class:`InProcess` runs it with one bucket,
:class:`kg.cluster.OnCluster` with one per worker thread, and both give the same graph (a
test compares them). With several inputs (a join), ``splits`` has one function per input
and ``reduce`` gets one list of pieces per input. ``args`` (shared values, such as the
concept keys) go to every split and to the reduce, whether or not each one reads them.
Lineage's DAG pass (:mod:`kg.lineage`) uses the same machinery, one connected component of
claims per key.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

__all__ = ["GroupBy", "InProcess", "bucket_of"]


def bucket_of(key: str | int, buckets: int) -> int:
    """The bucket of ``key``: the same in every process (Python's ``hash`` of a string is
    not; it changes with ``PYTHONHASHSEED``).

    Examples
    --------
    >>> bucket_of("roberta", 4) == bucket_of("roberta", 4), bucket_of(12, 4)
    (True, 0)
    """
    if isinstance(key, int):
        return key % buckets
    return zlib.crc32(key.encode()) % buckets


class GroupBy(Protocol):
    """Where resolution's group-bys run. Parts and answers are *handles*: the values
    themselves in this process, Dask futures on a cluster; :meth:`gather` turns handles into
    values, and :meth:`share` makes a value every task can read."""

    buckets: int

    def group(
        self,
        inputs: Sequence[Sequence[Any]],
        splits: Sequence[Callable[..., Sequence[Any]]],
        reduce: Callable[..., Any],
        args: tuple = (),
    ) -> list[Any]: ...

    def gather(self, handles: Sequence[Any]) -> list[Any]: ...

    def share(self, value: Any) -> Any: ...


class InProcess:
    """Group-bys in this process: one bucket by default; more only to check that the answer
    does not depend on them (tests do).

    Examples
    --------
    >>> def split(part, buckets):
    ...     return [[x for x in part if x % buckets == b] for b in range(buckets)]
    >>> def reduce(pieces):
    ...     return sorted(x for piece in pieces for x in piece)
    >>> InProcess().group([[[1, 2], [3]]], [split], reduce)
    [[1, 2, 3]]
    >>> InProcess(buckets=2).group([[[1, 2], [3]]], [split], reduce)
    [[2], [1, 3]]
    """

    def __init__(self, buckets: int = 1) -> None:
        self.buckets = buckets

    def group(
        self,
        inputs: Sequence[Sequence[Any]],
        splits: Sequence[Callable[..., Sequence[Any]]],
        reduce: Callable[..., Any],
        args: tuple = (),
    ) -> list[Any]:
        cut = [
            [split(part, self.buckets, *args) for part in parts]
            for parts, split in zip(inputs, splits, strict=True)
        ]
        return [
            reduce(*[[pieces[b] for pieces in one] for one in cut], *args)
            for b in range(self.buckets)
        ]

    def gather(self, handles: Sequence[Any]) -> list[Any]:
        return list(handles)

    def share(self, value: Any) -> Any:
        return value
