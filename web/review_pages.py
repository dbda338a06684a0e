"""The review pages: the queue (a page at a time), an obligation with its source and form, and
adding an obligation the extraction missed. Routes translate HTTP to ``models.review`` /
``models.queue`` calls and back."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, select

from models import fields, queue, review
from models.models import Clause, Document, Obligation
from web.images import PageImageError
from web.security import CurrentUser, csrf_protect, current_user
from web.templating import flash, render
from web.views import (
    ClauseId,
    ObligationId,
    db,
    form_text,
    redirect,
    roles_of,
    snippets,
    update_from_form,
)

router = APIRouter(dependencies=[Depends(csrf_protect)])
Reviewer = Annotated[CurrentUser, Depends(current_user)]
DECISIONS = {"save": "Correction saved", "approve": "Approved", "reject": "Rejected",
             "reopen": "Reopened"}
_VERSION = re.compile(r"[0-9]{1,18}")
_FIELD_PROPS = {name: {"type": "string"} for name in (
    "do", "version", "comment", "return", "categories_present", "modality", "obligor",
    "beneficiary", "action", "trigger", "deadline_text", "deadline_duration",
    "deadline_business_days", "deadline_relation", "deadline_anchor", "deadline_date", "text",
)}
# The forms as the OpenAPI document describes them (the routes read them by hand, so that a
# field missing from the form means "not changed"): what the property-based tests post.
REVIEW_FORM = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "properties": {
        **_FIELD_PROPS, "do": {"type": "string", "enum": list(DECISIONS)},
        "categories": {"type": "array", "items": {"type": "string"}},
    }}}}}}


# --- the queue --------------------------------------------------------------------------


def _filters(params: dict) -> queue.QueueFilter:
    """The queue filter from request parameters; a value it does not allow is a 400 saying
    which and what it allows (never silently ignored)."""
    document = params.get("document") or ""
    if document and not re.fullmatch(r"[0-9]{1,19}", document):
        raise HTTPException(400, f"document must be a document's number, not {document[:40]!r}.")
    status = params.get("status") or "open"
    try:
        return queue.QueueFilter(
            document_id=int(document) if document else None,
            category=params.get("category") or None,
            status=None if status == "all" else status,
            obligor=params.get("obligor") or None,
            sort=params.get("sort") or "page",
        )
    except queue.InvalidFilter as exc:
        raise HTTPException(400, str(exc)[0].upper() + str(exc)[1:] + ".") from None


def _filter_params(filters: queue.QueueFilter, quick: bool) -> dict[str, str]:
    return {
        "document": str(filters.document_id or ""), "category": filters.category or "",
        "status": filters.status or "all", "obligor": filters.obligor or "",
        "sort": filters.sort, **({"quick": "1"} if quick else {}),
    }


def saved_filter(request: Request) -> queue.QueueFilter:
    try:
        return _filters(request.session.get("queue", {}))
    except HTTPException:  # a filter saved by an older version: start afresh
        return queue.QueueFilter()


def queue_url(request: Request, selected: str | None = None) -> str:
    params = dict(request.session.get("queue", {}))
    if selected:
        params["selected"] = selected
    return "/queue" + (f"?{urlencode(params)}" if params else "")


@router.get("/queue")
def queue_page(
    request: Request, user: Reviewer,
    document: Annotated[str, Query(max_length=40)] = "",
    category: Annotated[str, Query(max_length=40)] = "",
    status: Annotated[str, Query(max_length=40)] = "open",
    obligor: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=40)] = "page",
    page: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    selected: Annotated[str, Query(max_length=40)] = "",
    quick: Annotated[str, Query(pattern="^[01]?$")] = "",
):
    filters = _filters({"document": document, "category": category, "status": status,
                        "obligor": obligor, "sort": sort})
    # Remembered, so that next / previous on an obligation page walk this same queue.
    request.session["queue"] = _filter_params(filters, quick == "1")
    with db(request) as session:
        if page is None and selected:
            page = queue.page_of(session=session, filters=filters, obligation_id=selected,
                                 size=queue.PAGE_SIZE)
        shown = queue.queue_page(session=session, filters=filters, page=page or 1,
                                 size=queue.PAGE_SIZE)
        documents = {d.id: d for d in session.exec(select(Document).order_by(Document.source_file))}
        obligors = queue.obligors(session=session)
    ids = [o.id for o in shown.rows]
    base = _filter_params(filters, quick == "1")
    context = {
        "shown": shown, "rows": shown.rows, "documents": documents, "obligors": obligors,
        "filters": filters, "quick": quick == "1", "statuses": queue.STATUSES,
        "categories": review.CATEGORIES, "no_party": queue.NO_PARTY,
        "selected": selected if selected in ids else (ids[0] if ids else None),
        "mismatches": {o.id: fields.deadline_mismatches(review.snapshot(o)) for o in shown.rows},
        "page_url": lambda n: "/queue?" + urlencode({**base, "page": n}),
        "toggle_quick_url": "/queue?" + urlencode(
            {**base, "quick": "" if quick == "1" else "1", "page": shown.page}),
        "clear_url": "/queue?" + urlencode({"status": "open", **({"quick": "1"} if quick else {})}),
    }
    return render(request, "queue.html", context)


# --- one obligation ---------------------------------------------------------------------


def _obligation(session: Session, obligation_id: str) -> Obligation:
    obligation = review.get_obligation(session=session, obligation_id=obligation_id)
    if obligation is None:
        raise HTTPException(404, f"There is no obligation {obligation_id}.")
    return obligation


def obligation_context(request: Request, obligation_id: str) -> dict:
    with db(request) as session:
        ob = _obligation(session, obligation_id)
        document = session.get(Document, ob.document_id)
        clause = session.get(Clause, ob.clause_id) if ob.clause_id else None
        events = review.history(session=session, obligation_id=ob.id)
        where = queue.position(session=session, obligation=ob, filters=saved_filter(request))
    views, image_error = snippets(request, document, ob.bboxes, ob.page)
    return {
        "ob": ob, "document": document, "clause": clause,
        # Newest first; the events of one write keep their order (field changes, then status).
        "events": sorted(events, key=lambda e: (-e.at.timestamp(), e.id or 0)),
        "definitions": review.definitions_for(ob, document), "roles": roles_of(document),
        "explained": ob.origin != "reviewer" and bool(ob.text),
        "views": views, "image_error": image_error,
        "previous_id": where.previous_id, "next_id": where.next_id,
        "queue_index": where.index, "queue_total": where.total,
        "queue_url": queue_url(request, ob.id),
        "modalities": review.MODALITIES, "relations": review.RELATIONS,
        "categories": review.CATEGORIES,
        "mismatches": fields.deadline_mismatches(review.snapshot(ob)),
        "conflict": None, "mine": {}, "values": None, "comment": "", "invalid": None,
    }


# The displaCy drawing positions every label with inline styles, which the app's policy
# forbids; it is served as a page of its own, framed by the obligation page only, that may
# style inline but runs nothing and loads nothing (the contract's words are escaped).
WHY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    "X-Frame-Options": "SAMEORIGIN",
}


@router.get("/obligations/{obligation_id}/why")
def obligation_why(request: Request, obligation_id: ObligationId, user: Reviewer):
    with db(request) as session:
        ob = _obligation(session, obligation_id)
        document = session.get(Document, ob.document_id)
        clause = session.get(Clause, ob.clause_id) if ob.clause_id else None
        drawing = review.explanation(ob, clause, document)
    if drawing is None:
        raise HTTPException(404, "A reviewer added this obligation: no rule extracted it.")
    return HTMLResponse(drawing, headers=WHY_HEADERS)


@router.get("/obligations/{obligation_id}")
def obligation_page(request: Request, obligation_id: ObligationId, user: Reviewer):
    return render(request, "obligation.html", obligation_context(request, obligation_id))


@router.get("/deadline-reading")
def deadline_reading(user: Reviewer, text: Annotated[str, Query(max_length=500)] = "") -> dict:
    """How the extractor reads deadline words: what saving new words fills in."""
    return fields.derive_deadline(text.strip() or None)


def _unsaved(conflict: review.Conflict, sent: dict) -> dict:
    """What the late reviewer changed: their form against the version they had loaded (the
    current values with the other reviewers' changes taken back), not against the current
    one, which would list every field the others changed as theirs too."""
    loaded = dict(conflict.current)
    for change in reversed(conflict.changes):  # newest first: the oldest "old" wins
        if change["field"] in loaded:
            loaded[change["field"]] = change["old"]
    return {k: v for k, v in sent.items() if fields.is_change(k, loaded.get(k), v)}


def _apply(session: Session, obligation_id: str, do: str, update, user: str, expected: int,
           comment: str | None) -> Obligation:
    """The decision ``do`` in one transaction: save-then-approve approves with the edits."""
    if do in ("save", "approve"):
        review.correct(session=session, obligation_id=obligation_id, update=update, user=user,
                       expected_version=expected, comment=comment if do == "save" else None)
        expected = None  # checked: the rest is this same transaction
    if do != "save":
        getattr(review, do)(session=session, obligation_id=obligation_id, user=user,
                            expected_version=expected, comment=comment)
    return _obligation(session, obligation_id)


def _refused(request, obligation_id, do, update, comment, exc, came_from_queue):
    """The page again, saying why nothing was saved, with everything the reviewer typed."""
    if came_from_queue:
        flash(request, str(exc), "error")
        return redirect(queue_url(request, obligation_id))
    context = obligation_context(request, obligation_id)
    context["comment"] = comment or ""  # a comment typed before a conflict is not lost
    sent = update.model_dump(exclude_unset=True)
    if isinstance(exc, review.Conflict):
        context["conflict"], context["mine"] = exc, _unsaved(exc, sent)
        if do != "save":
            context["mine"]["status"] = {"approve": "approved", "reject": "rejected",
                                         "reopen": "extracted"}[do]
        return render(request, "obligation.html", context, status_code=409)
    context["invalid"] = str(exc)
    context["values"] = {**review.snapshot(context["ob"]), **sent}
    return render(request, "obligation.html", context, status_code=422)


@router.post("/obligations/{obligation_id}", openapi_extra=REVIEW_FORM)
async def obligation_submit(request: Request, obligation_id: ObligationId, user: Reviewer):
    form = await request.form()
    do = form_text(form, "do", "save")
    comment = form_text(form, "comment").strip() or None
    came_from_queue = form.get("return") == "queue"
    if do not in DECISIONS:
        raise HTTPException(400, f"Unknown action {do[:40]!r}: one of {', '.join(DECISIONS)}.")
    version = form_text(form, "version")
    if not _VERSION.fullmatch(version):
        raise HTTPException(400, "The form did not say which version of the obligation you "
                                 "reviewed, so nothing was saved. Reload the page and try again.")
    update = update_from_form(form)
    try:
        with db(request) as session:
            ob = _apply(session, obligation_id, do, update, user.name, int(version), comment)
            derived = [e for e in review.last_write(session=session, obligation=ob)
                       if e.action == "derive"]
            _, next_id = queue.neighbours(session=session, obligation=ob,
                                          filters=saved_filter(request))
    except review.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except (review.Conflict, review.InvalidUpdate, review.NothingToReopen) as exc:
        return _refused(request, obligation_id, do, update, comment, exc, came_from_queue)
    if derived:
        parts = ", ".join(f"{e.field.removeprefix('deadline_').replace('_', ' ')} "
                          f"{fields.shown(e.new)}"
                          for e in derived)
        flash(request, f"Read from the new deadline wording: {parts}. Check them below.", "info")
    return _next_page(request, ob, do, next_id, came_from_queue)


def _next_page(request: Request, ob: Obligation, do: str, next_id: str | None, from_queue: bool):
    label = DECISIONS[do]
    if from_queue:
        flash(request, f"{label}: clause {ob.clause_ref}.", "ok")
        return redirect(queue_url(request, next_id or ob.id))
    if do in ("approve", "reject") and next_id:
        flash(request, f"{label}: clause {ob.clause_ref}. Here is the next one.", "ok")
        return redirect(f"/obligations/{next_id}")
    if do in ("approve", "reject"):
        flash(request, f"{label}: clause {ob.clause_ref}. That was the last one in the queue.",
              "ok")
        return redirect(queue_url(request, ob.id))
    flash(request, f"{label}.", "ok")
    return redirect(f"/obligations/{ob.id}")


# --- adding a missed obligation ---------------------------------------------------------


def _clause_context(request: Request, clause_id: int) -> dict:
    with db(request) as session:
        clause = session.get(Clause, clause_id)
        if clause is None:
            raise HTTPException(404, f"There is no clause {clause_id}.")
        document = session.get(Document, clause.document_id)
        existing = list(session.exec(select(Obligation).where(Obligation.clause_id == clause_id)))
    views, image_error = snippets(request, document, clause.bboxes, clause.page_start)
    return {
        "clause": clause, "document": document, "existing": existing, "views": views,
        "image_error": image_error, "roles": roles_of(document),
        "units": [" ".join(u.split()) for u in review.quotable_units(clause.text)],
        "modalities": review.MODALITIES, "relations": review.RELATIONS,
        "categories": review.CATEGORIES,
        "values": {"categories": list(clause.categories or []), "modality": "obligation"},
        "invalid": None,
    }


@router.get("/clauses/{clause_id}/add")
def add_form(request: Request, clause_id: ClauseId, user: Reviewer):
    return render(request, "add.html", _clause_context(request, clause_id))


def _layout(request: Request, session: Session, clause_id: int):
    """The document's words with their positions, to highlight the quote; None when the PDF
    cannot be read (the clause is highlighted instead)."""
    clause = session.get(Clause, clause_id)
    document = session.get(Document, clause.document_id) if clause else None
    if document is None:
        return None
    try:
        return request.app.state.images.layout(document)
    except PageImageError:
        return None


@router.post("/clauses/{clause_id}/add", openapi_extra=REVIEW_FORM)
async def add_submit(request: Request, clause_id: ClauseId, user: Reviewer):
    form = await request.form()
    update = update_from_form(form)
    text = form_text(form, "text")
    comment = form_text(form, "comment").strip() or None
    try:
        with db(request) as session:
            ob = review.add_obligation(
                session=session, clause_id=clause_id, text=text, fields=update, user=user.name,
                comment=comment, layout=_layout(request, session, clause_id),
            )
            new_id = ob.id
    except review.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except review.InvalidUpdate as exc:
        context = _clause_context(request, clause_id)
        context["invalid"] = str(exc)
        context["values"] = {**update.model_dump(exclude_unset=True), "text": text,
                             "comment": comment}
        return render(request, "add.html", context, status_code=422)
    flash(request, "Obligation added. It is marked as written by you.", "ok")
    return redirect(f"/obligations/{new_id}")
