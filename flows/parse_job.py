"""What a worker process does for one document: read it (or take its cached layout), run the
rules, and hand back the rows to store. Runs in ``flows.pool`` workers, under their memory
cap and time limit; never raises: bad input comes back as an error code and message.

What crosses back to the flow is small: the prepared rows (``models.store``), the layout
encoded for the cache (``pipeline.layout_codec``) when it was parsed now, and the OCR'd copy
when OCR ran. The layout itself, with every word, never crosses a process boundary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.errors import PipelineError


@dataclass(frozen=True)
class ParseJob:
    sha256: str
    source_file: str
    data: bytes | None = None  # the PDF; None when a cached layout or OCR'd copy is given
    layout: bytes | None = None  # a cached layout (pipeline.layout_codec)
    layout_source: str = "text"
    layout_ocr_pages: tuple[int, ...] = ()  # the OCR'd pages of a cached OCR layout
    ocr_copy: bytes | None = None  # an OCR'd copy kept from an earlier run, to re-read
    ocr_copy_source: str = "ocr"
    ocr_copy_pages: tuple[int, ...] = ()
    ocr_mode: str = "auto"
    ocr_jobs: int = 1
    max_pages: int | None = None
    contract_type: str | None = None
    counterparty: str | None = None


@dataclass(frozen=True)
class ParseResult:
    prepared: object | None = None  # models.rows.PreparedExtraction
    error_code: str | None = None
    error_message: str | None = None
    parser_version: str | None = None
    source: str = "text"  # where the text came from: text | ocr | ocr-all
    pages: int = 0
    layout: bytes | None = None  # newly parsed: for the cache
    ocr_pdf: bytes | None = None  # OCR ran now: the OCR'd copy, to keep
    ocr_pages: tuple[int, ...] = ()
    flags: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.prepared is not None


def warm_up() -> None:
    """Load spaCy and the rules once per worker process, not once per document."""
    import models.rows  # noqa: F401
    import pipeline.extract  # noqa: F401
    import pipeline.ocr  # noqa: F401


def parse_document(job: ParseJob, notify: Callable[[dict], None] | None = None) -> ParseResult:
    from pipeline.pdf import PARSER_VERSION

    try:
        return _parse(job, notify)
    except PipelineError as exc:
        return ParseResult(error_code=exc.code, error_message=exc.message,
                           parser_version=PARSER_VERSION)
    except MemoryError:
        return ParseResult(
            error_code="too_large", parser_version=PARSER_VERSION,
            error_message="The document needs more memory than the worker's limit allows.",
        )
    except Exception as exc:  # noqa: BLE001  a bug on one odd PDF must not stop the batch
        return ParseResult(error_code="internal_error", parser_version=PARSER_VERSION,
                           error_message=f"{type(exc).__name__}: {exc}")


def _parse(job: ParseJob, notify) -> ParseResult:
    from models.rows import prepare_extraction
    from pipeline.extract import layout_to_extraction
    from pipeline.layout_codec import layout_from_bytes, layout_to_bytes
    from pipeline.ocr import ReadResult, mark_ocr, read_pdf
    from pipeline.pdf import PARSER_VERSION, pdf_to_layout
    from pipeline.sanity import flag_obligations, review_flags, structure_flags

    timings: dict[str, float] = {}
    started = time.perf_counter()
    fresh = job.layout is None
    if job.layout is not None:
        read = ReadResult(layout_from_bytes(job.layout), job.layout_source, None,
                          job.layout_ocr_pages)
    elif job.ocr_copy is not None:
        layout = pdf_to_layout(job.ocr_copy, max_pages=job.max_pages)
        read = ReadResult(layout, job.ocr_copy_source, None, job.ocr_copy_pages)
    else:
        read = read_pdf(job.data or b"", mode=job.ocr_mode, max_pages=job.max_pages,
                        jobs=job.ocr_jobs, notify=notify)
    timings["read"] = time.perf_counter() - started

    started = time.perf_counter()
    extraction = layout_to_extraction(
        read.layout, contract_type=job.contract_type, counterparty=job.counterparty
    )
    flags = structure_flags(extraction)
    extraction = flag_obligations(extraction, flags)
    flags = (*flags, *review_flags(extraction))  # the document's, not each obligation's
    if read.ocr_pages:
        extraction = mark_ocr(extraction, read.ocr_pages)
        flags = (*flags, "ocr")
    prepared = prepare_extraction(extraction, sha256=job.sha256, source_file=job.source_file)
    timings["rules"] = time.perf_counter() - started

    encoded = None
    if fresh:
        started = time.perf_counter()
        encoded = layout_to_bytes(read.layout)
        timings["encode"] = time.perf_counter() - started
    return ParseResult(
        prepared=prepared, parser_version=PARSER_VERSION, source=read.source,
        pages=len(read.layout.pages), layout=encoded, ocr_pdf=read.ocr_pdf,
        ocr_pages=read.ocr_pages, flags=flags, timings=timings,
    )

