"""A list kept on disk: what a build holds per entry when the corpus is bigger than memory.

:class:`Spill` is an append-only sequence of picklable records in a SQLite file, read back in
order or by position. :func:`kg.resolve.resolve_parts` keeps its per-entry records in one
(``kg build --dask``), so the building process holds per entry only the few numbers paper
merging's guards check. The file is the build's own scratch space: it is written and read by
the same process and deleted when the spill is closed.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Spill"]

#: Records written to SQLite together; a bigger batch is fewer statements, more memory.
BATCH = 512


class Spill:
    """An append-only list of records, pickled into a temporary SQLite file.

    Parameters
    ----------
    folder : str or Path, optional
        Where the file goes (the system's temporary folder by default).

    Examples
    --------
    >>> with Spill() as records:
    ...     for n in range(1000):
    ...         records.append({"n": n})
    ...     len(records), records[997], sum(r["n"] for r in records)
    (1000, {'n': 997}, 499500)
    """

    def __init__(self, folder: str | Path | None = None) -> None:
        handle, self.path = tempfile.mkstemp(dir=folder, prefix=".kg-spill.", suffix=".sqlite")
        os.close(handle)
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE records (number INTEGER PRIMARY KEY, data BLOB)")
        self._pending: list[tuple[int, bytes]] = []
        self._length = 0

    def append(self, record: Any) -> None:
        self._pending.append((self._length, pickle.dumps(record, pickle.HIGHEST_PROTOCOL)))
        self._length += 1
        if len(self._pending) >= BATCH:
            self._flush()

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, number: int) -> Any:
        if not 0 <= number < self._length:
            raise IndexError(number)
        self._flush()
        (data,) = self._db.execute(
            "SELECT data FROM records WHERE number = ?", (number,)
        ).fetchone()
        return pickle.loads(data)

    def __iter__(self) -> Iterator[Any]:
        self._flush()
        # A cursor of its own, so reads by position can interleave with the iteration.
        for (data,) in self._db.cursor().execute("SELECT data FROM records ORDER BY number"):
            yield pickle.loads(data)

    def close(self) -> None:
        """Close and delete the file."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _flush(self) -> None:
        if self._pending:
            self._db.executemany("INSERT INTO records VALUES (?, ?)", self._pending)
            self._pending.clear()
