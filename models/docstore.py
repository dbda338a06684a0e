"""The document store: every ingested PDF, kept by the SHA-256 of its bytes.

Workers on other machines and the review app read PDFs from here, never from the path where a
file was first found (a laptop's folder, an upload, a drop folder it has since left). Any
``fsspec`` URL works:

- a local directory (the default, ``$XDG_DATA_HOME/obligations/documents``), or a mounted
  share (``/mnt/contracts-store``) for a team;
- S3-compatible object storage: ``s3://bucket/prefix`` (``s3fs``), credentials and endpoint
  the usual way (``AWS_ACCESS_KEY_ID`` …, ``AWS_ENDPOINT_URL`` for a non-AWS service), or
  storage options as JSON in ``OBLIGATIONS_DOCUMENT_STORE_OPTIONS``.

A file's key is ``ab/abcdef….pdf`` (its hash, fanned out by the first two characters). Writing
is idempotent and never leaves half a file under a key; reading checks the hash, so a store
that was tampered with or damaged is refused, never shown.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from functools import lru_cache
from pathlib import Path

STORE_ENV = "OBLIGATIONS_DOCUMENT_STORE"
OPTIONS_ENV = "OBLIGATIONS_DOCUMENT_STORE_OPTIONS"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Each fsspec backend raises errors of its own (botocore's for S3, OSError for files): at this
# boundary any of them means "the store cannot be used now", said with its message.
BACKEND_ERRORS: tuple[type[Exception], ...] = (Exception,)


class DocumentStoreError(Exception):
    """The document store cannot be reached or written; the message says which and why."""

    code = "store_unavailable"

    @property
    def message(self) -> str:
        return str(self)


class NotInStore(DocumentStoreError):
    """The store has no file under that hash."""

    code = "not_in_store"


class DamagedInStore(DocumentStoreError):
    """The file under that hash is no longer the one that was stored."""

    code = "store_damaged"


def default_store_url() -> str:
    if os.environ.get(STORE_ENV):
        return os.environ[STORE_ENV]
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return str(Path(base) / "obligations" / "documents")


def _options_from_env() -> dict:
    raw = os.environ.get(OPTIONS_ENV)
    if not raw:
        return {}
    try:
        options = json.loads(raw)
    except ValueError as exc:
        raise DocumentStoreError(f"{OPTIONS_ENV} is not JSON: {exc}") from None
    if not isinstance(options, dict):
        raise DocumentStoreError(f"{OPTIONS_ENV} must be a JSON object")
    return options


def key_of(sha256: str) -> str:
    if not _SHA256.match(sha256 or ""):
        raise NotInStore(f"{sha256!r} is not a SHA-256")
    return f"{sha256[:2]}/{sha256}.pdf"


class DocumentStore:
    """One store, at ``url``; ``options`` go to the fsspec filesystem (endpoint, key …)."""

    def __init__(self, url: str | None = None, **options):
        import fsspec

        self.url = (url or default_store_url()).rstrip("/")
        try:
            self.fs, self.root = fsspec.core.url_to_fs(self.url, **(options or _options_from_env()))
        except (ImportError, ValueError) as exc:
            raise DocumentStoreError(f"cannot open the document store {self.url}: {exc}") from None
        self.local = "file" in _protocols(self.fs)

    def __repr__(self) -> str:
        return f"DocumentStore({self.url!r})"

    def _unreadable(self, exc: OSError) -> DocumentStoreError:
        return DocumentStoreError(f"the document store {self.url} cannot be read: {exc}")

    def _path(self, sha256: str) -> str:
        return f"{self.root}/{key_of(sha256)}"

    def location(self, sha256: str) -> str:
        """Where the file is, as a URL someone can look at (``s3://…``, a path)."""
        return f"{self.url}/{key_of(sha256)}"

    def has(self, sha256: str) -> bool:
        try:
            return bool(self.fs.exists(self._path(sha256)))
        except BACKEND_ERRORS as exc:
            raise self._unreadable(exc) from None

    def put(self, data: bytes, sha256: str | None = None) -> str:
        """Keep ``data``; returns its SHA-256. Storing what is there already does nothing."""
        sha256 = sha256 or hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        try:
            if self.fs.exists(path):
                return sha256
            if self.local:  # a reader must never find half a file under the key
                self.fs.makedirs(self.fs._parent(path), exist_ok=True)
                partial = f"{path}.{uuid.uuid4().hex}.partial"
                self.fs.pipe_file(partial, data)
                os.replace(partial, path)
            else:  # one PUT: an object store shows all of it or nothing
                self.fs.pipe_file(path, data)
        except BACKEND_ERRORS as exc:
            raise DocumentStoreError(
                f"the document store {self.url} refused the file: {exc}") from None
        return sha256

    def get(self, sha256: str) -> bytes:
        """The file stored under ``sha256``, checked against it."""
        path = self._path(sha256)
        try:
            data = self.fs.cat_file(path)
        except FileNotFoundError:
            raise NotInStore(f"the document store {self.url} has no file {sha256[:12]}…; "
                             "ingest the PDF again to add it") from None
        except BACKEND_ERRORS as exc:
            raise self._unreadable(exc) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DamagedInStore(f"the file {sha256[:12]}… in the document store {self.url} "
                                 "is not the one that was stored (its SHA-256 changed)")
        return data


def _protocols(fs) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


@lru_cache(maxsize=4)
def _cached(url: str, options_json: str) -> DocumentStore:
    return DocumentStore(url, **json.loads(options_json))


def get_store(url: str | None = None) -> DocumentStore:
    """The store at ``url`` (default: ``$OBLIGATIONS_DOCUMENT_STORE``, else the local
    directory), one instance per URL and options in a process."""
    return _cached(url or default_store_url(), json.dumps(_options_from_env(), sort_keys=True))
