"""Where an ingest reads a document from: a local path, or the document store.

A flow run on another machine cannot read the folder a batch was found in, nor the file a
reviewer uploaded to the review app: such documents travel as *store references*,
``store:<sha256>/<file name>``, and are read from the document store (``models.docstore``).
Every document an ingest reads is kept in the store (``keep``), so that the review app and
every worker can reach it afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.docstore import DocumentStoreError, get_store
from pipeline.errors import TooLarge

PREFIX = "store:"
_REF = re.compile(r"^store:([0-9a-f]{64})/([^/\x00]+)$")


@dataclass(frozen=True)
class StoreRef:
    sha256: str
    name: str

    def __str__(self) -> str:
        return f"{PREFIX}{self.sha256}/{self.name}"


def store_ref(sha256: str, name: str) -> str:
    """The reference a flow parameter carries for a document in the store."""
    clean = name.replace("/", "_").replace("\x00", "").strip() or "document.pdf"
    return str(StoreRef(sha256, clean))


def parse_ref(text: str) -> StoreRef | None:
    match = _REF.match(text)
    return StoreRef(match.group(1), match.group(2)) if match else None


def is_ref(text: str) -> bool:
    return text.startswith(PREFIX)


def split_refs(paths: list[str]) -> tuple[list[StoreRef], list[str]]:
    """The store references among ``paths`` and the local paths. A text that starts like a
    reference but is not one is a usage error (``BadReference``)."""
    refs, local = [], []
    for path in paths:
        if is_ref(path):
            ref = parse_ref(path)
            if ref is None:
                raise BadReference(f"not a document store reference: {path[:120]!r} "
                                   "(expected store:<sha256>/<file name>)")
            refs.append(ref)
        else:
            local.append(path)
    return refs, local


class BadReference(ValueError):
    """A ``store:`` parameter that does not name a document the way the store does."""


def read_ref(text: str, max_bytes: int | None) -> bytes:
    """The bytes of a stored document (``DocumentStoreError`` when the store cannot give
    them, ``TooLarge`` over the limit)."""
    ref = parse_ref(text)
    if ref is None:
        raise BadReference(f"not a document store reference: {text[:120]!r}")
    data = get_store().get(ref.sha256)
    if max_bytes is not None and len(data) > max_bytes:
        raise TooLarge(f"The file is {len(data) / 2**20:.1f} MB, more than the limit of "
                       f"{max_bytes / 2**20:.0f} MB.")
    return data


def keep(sha256: str, data: bytes) -> None:
    """Keep the document's bytes in the store (nothing to do when it is there already)."""
    get_store().put(data, sha256)


__all__ = ["BadReference", "DocumentStoreError", "StoreRef", "is_ref", "keep", "parse_ref",
           "read_ref", "split_refs", "store_ref"]
