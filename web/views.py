"""What the page routes share: the parameters they accept (ids checked at the edge, so an id
that cannot exist is a 404, never a database error), the review form as data, and the views
of the source page around a highlighted sentence."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import RedirectResponse

from models.db import session_scope
from models.models import Document, ObligationUpdate
from web.images import PageImageError, PageSize

MAX_ID = 2**63 - 1  # the largest id a database integer column holds
DocumentId = Annotated[int, Path(ge=1, le=MAX_ID, description="A document's id.")]
ClauseId = Annotated[int, Path(ge=1, le=MAX_ID, description="A clause's id.")]
PageNumber = Annotated[int, Path(ge=1, le=100_000, description="A page number, from 1.")]
ObligationId = Annotated[
    str, Path(pattern=r"^[0-9a-f]{1,40}$", description="An obligation's id (hex).")
]

TEXT_FIELDS = (
    "modality", "obligor", "beneficiary", "action", "trigger", "deadline_text",
    "deadline_duration", "deadline_relation", "deadline_anchor", "deadline_date",
)
SNIPPET_MARGIN = 48  # points of page shown above and below the highlighted sentence


def db(request: Request):
    return session_scope(request.app.state.engine)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def form_text(form, name: str, default: str = "", limit: int = 20_000) -> str:
    """One text field of a posted form: a string (an uploaded file is not one), cut at
    ``limit`` characters (``models.fields`` refuses longer values with a message)."""
    value = form.get(name, default)
    return value[: limit + 1] if isinstance(value, str) else default


def update_from_form(form) -> ObligationUpdate:
    """Only the fields the form carries: a queue's quick approve carries none, so it changes
    none. Categories are checkboxes, present only when ticked: ``categories_present`` says the
    form had them. Values go to ``models.review`` as typed: it normalises and compares."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in form:
            values[name] = form_text(form, name)
    if "deadline_business_days" in form:
        raw = form_text(form, "deadline_business_days")
        values["deadline_business_days"] = {"yes": True, "no": False}.get(raw)
    if "categories_present" in form:
        values["categories"] = [c for c in form.getlist("categories") if isinstance(c, str)]
    # Blank means "none" for optional fields; the model requires a modality.
    if values.get("modality") == "":
        values.pop("modality")
    return ObligationUpdate(**{k: (v if v != "" else None) for k, v in values.items()})


def boxes_by_page(bboxes: list) -> dict[int, list[tuple[float, float, float, float]]]:
    """Stored bboxes (``{"page", "bbox": [x0, top, x1, bottom]}``, PDF points, origin top
    left) grouped by page."""
    out: dict[int, list] = defaultdict(list)
    for item in bboxes or []:
        if isinstance(item, dict) and "bbox" in item:
            page, box = item.get("page"), item["bbox"]
        elif isinstance(item, list | tuple) and len(item) == 5:
            page, box = item[0], item[1:]
        else:
            continue
        if isinstance(page, int) and len(box) == 4:
            out[page].append(tuple(float(v) for v in box))
    return dict(sorted(out.items()))


def band(boxes: list, size: PageSize) -> tuple[float, float, float, float]:
    """The part of the page to show around the highlighted boxes: the text column (so the
    type reads at about its printed size) and enough lines above and below for context."""
    if not boxes:
        return 0, 0, size.width, size.height
    # From the sentence's left edge (its clause number stands just left of it), at least
    # 80% of the page wide: the lines around it are wider than a short sentence.
    left = max(min(b[0] for b in boxes) - 50, 0)
    right = min(max(max(b[2] for b in boxes) + 36, left + 0.8 * size.width), size.width)
    left = max(min(left, right - 0.8 * size.width), 0)
    top = max(min(b[1] for b in boxes) - SNIPPET_MARGIN, 0)
    bottom = min(max(b[3] for b in boxes) + SNIPPET_MARGIN, size.height)
    if bottom - top < 200:  # enough context to read the lines around it
        pad = (200 - (bottom - top)) / 2
        top, bottom = max(top - pad, 0), min(bottom + pad, size.height)
    return left, top, right, bottom


def snippets(request: Request, document: Document, bboxes: list, fallback_page: int | None):
    """One view per page the sentence stands on: the page image, the highlight rectangles and
    two view boxes (the band around the sentence, and the whole page), in PDF points."""
    pages = boxes_by_page(bboxes) or ({fallback_page: []} if fallback_page else {})
    views, error = [], None
    for page, boxes in pages.items():
        try:
            size: PageSize = request.app.state.images.size(document, page)
        except PageImageError as exc:
            error = str(exc)
            continue
        left, top, right, bottom = band(boxes, size)
        views.append(
            {
                "page": page,
                "size": size,
                "boxes": boxes,
                "snippet": f"{left:.1f} {top:.1f} {right - left:.1f} {bottom - top:.1f}",
                "full": f"0 0 {size.width:.1f} {size.height:.1f}",
                "src": f"/documents/{document.id}/pages/{page}.png",
            }
        )
    return views, error


def roles_of(document: Document) -> list[str]:
    return sorted({p.get("role") for p in document.parties or [] if p.get("role")})
