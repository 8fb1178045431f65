"""Read input paths into :class:`~kg.model.Page` records.

Takes files and folders; yields one ``Page`` per readable text file, with a ``Notice`` for
everything that needed a decision (encoding guessed, HTML turned into text, a line too long
to keep, a file skipped). Raises :class:`~kg.errors.InputError` only for a path that does not
exist or a folder with nothing readable in it: those stop the run.

It does not judge what the text says: page chrome and injected text are the segmenter's job.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from kg.errors import InputError
from kg.model import Notice, Page

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_CHARS",
    "PAGE_SUFFIXES",
    "decode",
    "find_files",
    "read_pages",
]

#: Files in a folder that are read as pages; others (code, data, images) are skipped.
PAGE_SUFFIXES = frozenset({"", ".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml"})
#: Longer lines are dropped with a notice: no paper entry is that long, and a single huge
#: line (a minified dump) would dominate memory and time for nothing.
MAX_LINE_CHARS = 20_000
#: A file whose characters are more than this share control codes or undecodable bytes is
#: binary, even without NUL bytes.
MAX_BINARY_SHARE = 0.05
#: Larger files are refused with a notice rather than read into memory.
MAX_FILE_BYTES = 512 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HTML_HINT = re.compile(r"<(!doctype html|html|head|body|div|p|br|script|table)[\s>/]", re.I)
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
        "title",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})


def find_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Notice]]:
    """List the files to read under ``paths``, in a stable order.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders. A file named is read whatever it is called; in a folder (searched
        recursively, hidden files left out) only pages are: names ending in one of
        :data:`PAGE_SUFFIXES`, or with no suffix.

    Returns
    -------
    (list of Path, list of Notice)
        Files in the order given, each folder's sorted by path; and a notice for each file
        in a folder that is not a page.

    Raises
    ------
    InputError
        A path does not exist.

    Examples
    --------
    >>> find_files(["no/such/place"])
    Traceback (most recent call last):
    ...
    kg.errors.InputError: no/such/place: no such file or directory
    """
    found: list[Path] = []
    skipped: list[Notice] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path).parts
                if not candidate.is_file() or any(part.startswith(".") for part in relative):
                    continue
                if candidate.suffix.lower() in PAGE_SUFFIXES:
                    found.append(candidate)
                else:
                    skipped.append(
                        Notice(candidate.name, f"not a page ({candidate.suffix}); skipped")
                    )
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(str(raw), "no such file or directory")
    return found, skipped


def decode(data: bytes, name: str) -> tuple[str | None, list[Notice]]:
    """Decode a file's bytes to text, or say why it is not text.

    Tries a byte-order mark, then UTF-8, then UTF-16 without a mark (many NUL bytes in
    alternate positions), then Windows-1252. Files with NUL bytes otherwise are binary.

    Parameters
    ----------
    data : bytes
    name : str
        File name, for notices.

    Returns
    -------
    (str or None, list of Notice)
        The text (``None`` when the file is binary or empty) and what was decided.

    Examples
    --------
    >>> decode("café".encode("latin-1"), "a.txt")[0]
    'café'
    >>> decode(b"\\x00\\x01\\x02binary", "b.bin")[1][0].message
    'binary file, skipped'
    """
    if not data.strip():
        return None, [Notice(name, "empty file, skipped")]
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), []
            except UnicodeDecodeError:
                return None, [Notice(name, f"starts like {encoding} but does not decode, skipped")]
    if b"\x00" not in data:
        try:
            return data.decode("utf-8"), []
        except UnicodeDecodeError:
            pass
    else:
        sample = data[:4096]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if max(even, odd) > len(sample) // 4 and min(even, odd) < len(sample) // 40:
            encoding = "utf-16-le" if odd > even else "utf-16-be"
            try:
                return data.decode(encoding), [Notice(name, f"decoded as {encoding} (no BOM)")]
            except UnicodeDecodeError:
                pass
        return None, [Notice(name, "binary file, skipped")]
    text = data.decode("cp1252", errors="replace")
    if _binary_share(text) > MAX_BINARY_SHARE:
        return None, [Notice(name, "binary file, skipped")]
    return text, [Notice(name, "not UTF-8; decoded as Windows-1252 (Latin-1)")]


def _binary_share(text: str) -> float:
    sample = text[:65536]
    odd = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\n\r\t\f"))
    return odd / max(1, len(sample))


class _TextFromHTML(HTMLParser):
    """Collects the visible text of an HTML page, one block element per line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data.replace("\n", " "))


def _html_to_text(text: str) -> str:
    parser = _TextFromHTML()
    parser.feed(text)
    parser.close()
    lines = (
        re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.parts).split("\n")
    )
    return "\n".join(line for line in lines if line)


def _page_from_text(text: str, path: Path, notices: list[Notice]) -> Page:
    name = path.name
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE_CHARS:
            notices.append(
                Notice(
                    f"{name}:{number}",
                    f"line is {len(line):,} characters long (limit {MAX_LINE_CHARS:,}); skipped",
                )
            )
            line = ""
        lines.append(_CONTROL.sub(" ", line).rstrip())
    return Page(name=name, path=str(path), lines=tuple(lines), notices=tuple(notices))


def read_pages(paths: Iterable[str | Path]) -> Iterator[Page | Notice]:
    """Read every file under ``paths``.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders.

    Yields
    ------
    Page or Notice
        A ``Page`` for each text file (its own notices inside it), or a ``Notice`` for a file
        that was skipped (empty, binary, unreadable, a copy of a file already read).

    Raises
    ------
    InputError
        A path does not exist, or nothing under the paths is a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.txt").write_text("Title\\nWe present X.\\n")
    >>> _ = (folder / "b.txt").write_text("")
    >>> [type(x).__name__ for x in read_pages([folder])]
    ['Page', 'Notice']
    """
    paths = list(paths)
    files, skipped = find_files(paths)
    yield from skipped
    if not files:
        raise InputError(", ".join(str(p) for p in paths) or ".", "no pages to read")
    seen: dict[str, str] = {}
    for path in files:
        name = path.name
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                yield Notice(name, f"file is {size:,} bytes (limit {MAX_FILE_BYTES:,}); skipped")
                continue
            data = path.read_bytes()
        except OSError as error:
            yield Notice(name, f"cannot read ({error.strerror or error}); skipped")
            continue
        digest = hashlib.sha1(data).hexdigest()
        if digest in seen:
            yield Notice(name, f"same content as {seen[digest]}; skipped")
            continue
        seen[digest] = name
        text, notices = decode(data, name)
        if text is None:
            yield from notices
            continue
        if _HTML_HINT.search(text[:65536]):
            text = _html_to_text(text)
            notices.append(Notice(name, "HTML page; read its visible text"))
        if not text.strip():
            yield Notice(name, "no text, skipped")
            continue
        yield _page_from_text(text, path, notices)
