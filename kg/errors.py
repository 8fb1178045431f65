"""Exceptions raised by the library; the CLI turns each into one line and exit code 1.

A message names the input and, where there is one, the way out.
"""

from __future__ import annotations

__all__ = [
    "ClusterError",
    "ConceptNotFound",
    "GraphFileError",
    "InputError",
    "KgError",
    "OutputError",
]


class KgError(Exception):
    """Base class of every error ``kg`` reports to the user."""


class InputError(KgError):
    """An input path cannot be used.

    Examples
    --------
    >>> str(InputError("pages/", "no such file or directory"))
    'pages/: no such file or directory'
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class OutputError(KgError):
    """An output file cannot be written."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}")


class GraphFileError(KgError):
    """A saved graph cannot be read."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}. Build it first with: kg build")


class ConceptNotFound(KgError):
    """No node has the name asked for.

    Examples
    --------
    >>> str(ConceptNotFound("Roberta", ["RoBERTa"]))
    "no concept named 'Roberta'. Did you mean: RoBERTa?"
    >>> str(ConceptNotFound("zzz", []))
    "no concept named 'zzz'. Try: kg search zzz"
    """

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        if self.suggestions:
            hint = f"Did you mean: {', '.join(self.suggestions)}?"
        else:
            hint = f"Try: kg search {name}"
        super().__init__(f"no concept named {name!r}. {hint}")


class ClusterError(KgError):
    """The Dask cluster of ``kg build --dask`` cannot be used, or failed during the build.

    Examples
    --------
    >>> str(ClusterError("tcp://10.0.0.5:8786", "OSError: Timed out"))
    'Dask cluster tcp://10.0.0.5:8786: OSError: Timed out'
    """

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"Dask cluster {where}: {reason}")
