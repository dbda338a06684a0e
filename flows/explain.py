"""Why a document failed, in words a lawyer understands, and what to do about it.

The failure codes are the stable ones of ``pipeline.errors`` and ``flows.document``; the
technical message stays beside these words (in the sidecar file, the run report), for
whoever has to look further.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    what: str  # what happened, in one sentence
    todo: str  # what to do about it


_AGAIN = "Put the file back in the drop folder (or upload it again) to try once more."
_IT = "If it happens again, send this note and the file to the people who run the system."

EXPLANATIONS: dict[str, Explanation] = {
    "empty_file": Explanation(
        "The file is empty: it has no content at all.",
        "The copy probably went wrong. Save or export the contract again and resubmit it."),
    "empty_pdf": Explanation(
        "The PDF has no pages.",
        "Export the contract to PDF again and resubmit it."),
    "not_a_pdf": Explanation(
        "The file is not a PDF, even though its name ends in .pdf (it may be a Word "
        "document or a web page saved with the wrong name).",
        "Open it, save it as PDF (File > Save as > PDF) and resubmit that copy."),
    "corrupt_pdf": Explanation(
        "The PDF is damaged: part of it is missing or garbled, so it cannot be read.",
        "Download or export the contract again and resubmit it; if it came by email, ask "
        "the sender for a fresh copy."),
    "encrypted_pdf": Explanation(
        "The PDF is protected by a password, so its text cannot be read.",
        "Ask whoever sent it for an unprotected copy (or open it with the password and "
        "save it as a new PDF without one), then resubmit it."),
    "no_text_layer": Explanation(
        "The PDF is a scan (pictures of pages) and its words could not be read.",
        "Resubmit a copy with selectable text if there is one (the original Word file "
        "saved as PDF); otherwise ask for the scan to be run through text recognition."),
    "ocr_failed": Explanation(
        "The PDF is a scan, and reading its words from the page images failed.",
        "A clearer scan (300 dpi, straight pages) usually works. " + _IT),
    "ocr_unavailable": Explanation(
        "The PDF is a scan, and the text recognition it needs is not installed where the "
        "run took place.", _IT),
    "too_large": Explanation(
        "The file is larger than the system accepts.",
        "Split the PDF (the main agreement apart from large schedules) or ask for the "
        "limit to be raised for this run."),
    "timeout": Explanation(
        "Reading the document took longer than the time allowed for one document.",
        "Very long contracts can need more time: ask for the run to be repeated with a "
        "longer limit."),
    "unreadable": Explanation(
        "The file could not be opened (it may be locked, or access to it denied).",
        "Check that the file is not open elsewhere or restricted, then resubmit it."),
    "vanished": Explanation(
        "The file disappeared (was moved or deleted) before it could be read.", _AGAIN),
    "worker_crashed": Explanation(
        "The computer reading the document stopped while doing so (often a document too "
        "large for its memory).", _AGAIN + " " + _IT),
    "part_failed": Explanation(
        "The machine that was to read this document stopped before it did.", _AGAIN),
    "database_error": Explanation(
        "The document was read, but the database would not store the result.",
        _AGAIN + " " + _IT),
    "store_unavailable": Explanation(
        "The document could not be saved to the document store, where the review app and "
        "every machine read it from.", _AGAIN + " " + _IT),
    "not_in_store": Explanation(
        "The document was not in the document store when the run looked for it.", _AGAIN),
    "store_damaged": Explanation(
        "The copy of the document in the document store is damaged.", _AGAIN + " " + _IT),
    "internal_error": Explanation(
        "The system hit a fault of its own on this document. The document itself may be "
        "fine.", _IT),
}
_UNKNOWN = Explanation("The document could not be processed.", _IT)


def explain(code: str | None) -> Explanation:
    return EXPLANATIONS.get(code or "", _UNKNOWN)


def failure_note(file_name: str, code: str | None, message: str | None, *,
                 run_id: int | None, when: str) -> str:
    """The text of the ``.txt`` note left beside a failed file."""
    e = explain(code)
    return "\n".join([
        f"{file_name} could not be processed.",
        "",
        f"What happened: {e.what}",
        "",
        f"What to do: {e.todo}",
        "",
        "For the people who run the system:",
        f"  error code: {code or 'unknown'}",
        f"  detail: {message or '-'}",
        f"  run: {run_id if run_id is not None else '-'} ({when})",
        "",
    ])
