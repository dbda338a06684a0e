"""The stable identity of an obligation (DESIGN.md §4): derived from content, so two fresh
databases agree on it, and unchanged by a reviewer's correction (which edits fields, never
the source text)."""

from __future__ import annotations

import hashlib
import re

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_text(text: str) -> str:
    """Lower case, every run of anything but letters and digits one space."""
    return _NOT_WORD.sub(" ", text.lower()).strip()


def obligation_key(document_sha256: str, ref: str, text: str, occurrence: int = 0) -> str:
    """32 hex characters of SHA-256 over the document's hash, the clause ref, the normalised
    source text and the occurrence of that text in the clause (for the rare sentence that
    yields two obligations)."""
    payload = "\x1f".join((document_sha256, ref, normalise_text(text), str(occurrence)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
