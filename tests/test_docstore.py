"""The document store (models.docstore): content-addressed, checked on read, on a local
directory and on S3 (moto in server mode on a loopback port), and what ingest and the review
app do with it (flows.sources)."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest

from flows.sources import BadReference, parse_ref, read_ref, split_refs, store_ref
from models.docstore import (
    DamagedInStore,
    DocumentStore,
    DocumentStoreError,
    NotInStore,
    default_store_url,
    get_store,
    key_of,
)
from pipeline.errors import TooLarge
from tests.team_support import Processes, create_bucket, s3_env, start_moto

SAMPLE = Path(__file__).resolve().parent.parent / "sample_docs" / "calloff_order_form.pdf"


def test_docstore_keeps_a_file_under_its_sha256(tmp_path):
    store = DocumentStore(str(tmp_path / "store"))
    data = SAMPLE.read_bytes()
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "store" / sha[:2] / f"{sha}.pdf").read_bytes() == data
    assert store.has(sha) and store.get(sha) == data
    assert store.put(data) == sha  # idempotent
    assert not [p for p in (tmp_path / "store").rglob("*") if p.name.endswith(".partial")]
    assert store.location(sha).endswith(f"/{sha[:2]}/{sha}.pdf")


def test_docstore_refuses_a_missing_or_damaged_file(tmp_path):
    store = DocumentStore(str(tmp_path / "store"))
    sha = store.put(b"%PDF-1.4 original")
    with pytest.raises(NotInStore):
        store.get("0" * 64)
    (tmp_path / "store" / sha[:2] / f"{sha}.pdf").write_bytes(b"%PDF-1.4 swapped")
    with pytest.raises(DamagedInStore, match="SHA-256 changed"):
        store.get(sha)
    with pytest.raises(NotInStore):
        key_of("../../etc/passwd")


def test_docstore_default_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OBLIGATIONS_DOCUMENT_STORE", str(tmp_path / "team"))
    assert default_store_url() == str(tmp_path / "team")
    monkeypatch.delenv("OBLIGATIONS_DOCUMENT_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_url() == str(tmp_path / "xdg" / "obligations" / "documents")


def test_docstore_bad_options_are_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("OBLIGATIONS_DOCUMENT_STORE_OPTIONS", "{not json")
    with pytest.raises(DocumentStoreError, match="not JSON"):
        DocumentStore(str(tmp_path))


def test_docstore_references_carry_hash_and_name():
    sha = "a" * 64
    ref = store_ref(sha, "dir/Contract 1.pdf")
    assert ref == f"store:{sha}/dir_Contract 1.pdf"
    assert parse_ref(ref).sha256 == sha and parse_ref(ref).name == "dir_Contract 1.pdf"
    refs, local = split_refs([ref, "/tmp/x.pdf"])
    assert [str(r) for r in refs] == [ref] and local == ["/tmp/x.pdf"]
    with pytest.raises(BadReference):
        split_refs(["store:nothex/x.pdf"])


def test_docstore_read_ref_applies_the_size_limit(document_store):
    data = SAMPLE.read_bytes()
    ref = store_ref(get_store().put(data), SAMPLE.name)
    assert read_ref(ref, None) == data
    with pytest.raises(TooLarge):
        read_ref(ref, 100)


@pytest.fixture
def s3(tmp_path, monkeypatch):
    """moto's S3 server on a free loopback port, with a bucket; the AWS variables set."""
    processes = Processes(uuid.uuid4().hex, dict(os.environ), tmp_path)
    try:
        endpoint = start_moto(processes, tmp_path)
        for key, value in s3_env(endpoint).items():
            monkeypatch.setenv(key, value)
        create_bucket(endpoint, "contracts")
        yield endpoint
    finally:
        processes.stop_all()


@pytest.mark.integration
def test_docstore_on_s3_round_trips_and_checks(s3):
    store = DocumentStore("s3://contracts/store")
    data = SAMPLE.read_bytes()
    sha = store.put(data)
    assert store.has(sha) and store.get(sha) == data
    assert store.location(sha) == f"s3://contracts/store/{sha[:2]}/{sha}.pdf"
    store.fs.pipe_file(f"contracts/store/{sha[:2]}/{sha}.pdf", b"%PDF-1.4 swapped")
    store.fs.invalidate_cache()
    with pytest.raises(DamagedInStore):
        store.get(sha)
    with pytest.raises(NotInStore):
        store.get("b" * 64)


@pytest.mark.integration
def test_docstore_unreachable_s3_is_a_store_error(monkeypatch):
    from team_support import free_port

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("OBLIGATIONS_DOCUMENT_STORE_OPTIONS",
                       '{"config_kwargs": {"retries": {"max_attempts": 1}, '
                       '"connect_timeout": 1}}')
    store = DocumentStore(f"s3://nowhere-{uuid.uuid4().hex[:8]}/store")
    with pytest.raises(DocumentStoreError):
        store.put(b"%PDF-1.4 x")
