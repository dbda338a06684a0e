"""Which files an ingest takes: the PDFs under the paths given, and every entry it leaves
out with the reason (a symlink loop, a broken link, a folder it may not list, a device).

Listing only: nothing here opens a file or reads its size. Everything that touches a file
(stat, hash, read, parse) happens in the document's own task, where a failure is that
document's failure (``flows.ingest``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


class MissingPath(ValueError):
    """A path given to ingest does not exist."""


@dataclass(frozen=True)
class SkippedEntry:
    path: str
    reason: str


@dataclass
class Listing:
    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)
    other_files: int = 0  # files in the folders that are not *.pdf (not listed one by one)


def is_pdf_name(name: str) -> bool:
    return name.lower().endswith(".pdf")


def collect_pdfs(paths: Iterable[str | os.PathLike]) -> Listing:
    """Files as given (whatever their name), folders searched recursively for ``*.pdf`` in
    any case, following symbolic links to folders once each (a link back up the tree is a
    loop, listed and not followed). Each file once, in a stable order. A path that does not
    exist raises ``MissingPath`` (a usage error)."""
    listing = Listing()
    seen_files: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if os.path.isdir(path):
            _walk(path, listing, seen_files, ancestors=())
        elif os.path.lexists(path) and not os.path.exists(path):
            listing.skipped.append(SkippedEntry(str(path), "broken symbolic link"))
        elif os.path.exists(path):
            _add_file(Path(os.path.abspath(path)), listing, seen_files)
        else:
            raise MissingPath(f"no such file or folder: {raw}")
    return listing


def _add_file(path: Path, listing: Listing, seen: set[str]) -> None:
    key = os.path.realpath(path)
    if key not in seen:
        seen.add(key)
        listing.files.append(path)


def _walk(folder: Path, listing: Listing, seen: set[str], ancestors: tuple) -> None:
    try:
        identity = _identity(folder)
    except OSError as exc:
        reason = f"cannot open the folder: {exc.strerror}"
        listing.skipped.append(SkippedEntry(str(folder), reason))
        return
    if identity in ancestors:
        reason = "symbolic link loop (a folder inside itself)"
        listing.skipped.append(SkippedEntry(str(folder), reason))
        return
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        reason = f"cannot list the folder: {exc.strerror}"
        listing.skipped.append(SkippedEntry(str(folder), reason))
        return
    ancestors = (*ancestors, identity)
    for entry in entries:
        _visit(entry, listing, seen, ancestors)


def _visit(entry: os.DirEntry, listing: Listing, seen: set[str], ancestors: tuple) -> None:
    path = Path(os.path.abspath(entry.path))
    try:
        if entry.is_dir():  # follows links: a linked folder is searched too (once)
            _walk(path, listing, seen, ancestors)
            return
        if not is_pdf_name(entry.name):
            listing.other_files += entry.is_file()
            return
        if entry.is_file():
            _add_file(path, listing, seen)
        elif entry.is_symlink() and not os.path.exists(path):
            listing.skipped.append(SkippedEntry(str(path), "broken symbolic link"))
        else:
            listing.skipped.append(SkippedEntry(str(path), "not a regular file"))
    except OSError as exc:
        listing.skipped.append(SkippedEntry(str(path), f"cannot look at it: {exc.strerror}"))


def _identity(folder: Path) -> tuple[int, int]:
    st = os.stat(folder)
    return st.st_dev, st.st_ino
