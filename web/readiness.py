"""Exit readiness in the web app: the estate matrix (contracts × checklist items), each
contract's checklist with the clauses behind every item, the exit timeline as a chart, and
the handover marks and gaps; ``/api/v1/exit-readiness/{sha256}`` serves the export record to
the registry. Routes translate HTTP to ``models.readiness`` calls and back, nothing more.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from models import readiness
from models.db import session_scope
from models.models import Document
from web.readiness_chart import timeline_chart
from web.security import CurrentUser, csrf_protect, current_user
from web.templating import flash, render

pages = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
Reviewer = Annotated[CurrentUser, Depends(current_user)]
EVENTS = ("notice_served", "termination_date", "exit_date")


def _db(request: Request):
    return session_scope(request.app.state.engine)


def _processed(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise HTTPException(404, f"There is no document {document_id}.")
    if document.status != "processed":
        raise HTTPException(409, f"{document.source_file} is {document.status}: nothing to check.")
    return document


@pages.get("/readiness")
def estate(request: Request, user: Reviewer):
    with _db(request) as session:
        rows = readiness.estate_checklists(session=session)
        marks = {m.document_id: m.role for m, _ in readiness.handover_marks(session=session)}
    items = rows[0][1].items if rows else ()
    missing_per_item = {
        i.item: sum(c.item(i.item).state != "present" for _, c in rows) for i in items
    }
    context = {"rows": rows, "items": items, "marks": marks, "gaps": missing_per_item}
    return render(request, "readiness_estate.html", context)


@pages.get("/readiness/documents/{document_id}")
def document_checklist(request: Request, document_id: int, user: Reviewer):
    with _db(request) as session:
        document = _processed(session, document_id)
        checklist = readiness.document_checklist(session=session, document=document)
        role = readiness.handover_role(session=session, document=document)
    context = {"document": document, "checklist": checklist, "role": role,
               "counts": checklist.counts()}
    return render(request, "readiness_document.html", context)


def _events(request: Request) -> tuple[dict[str, date], list[str]]:
    events, errors = {}, []
    for name in EVENTS:
        value = request.query_params.get(name, "").strip()
        if not value:
            continue
        try:
            events[name] = date.fromisoformat(value)
        except ValueError:
            errors.append(f"{name.replace('_', ' ')}: {value!r} is not a date (YYYY-MM-DD)")
    return events, errors


@pages.get("/readiness/timeline")
def timeline_page(request: Request, user: Reviewer, document: int | None = None):
    events, errors = _events(request)
    with _db(request) as session:
        documents = readiness.processed_documents(session=session)
        chosen = [_processed(session, document)] if document else documents
        timeline = (
            readiness.documents_timeline(session=session, documents=chosen, events=events)
            if events and chosen else None
        )
    query = urlencode({k: v.isoformat() for k, v in events.items()}
                      | ({"document": document} if document else {}))
    context = {
        "documents": documents, "document_id": document, "events": events, "errors": errors,
        "values": {k: request.query_params.get(k, "") for k in EVENTS},
        "timeline": timeline, "chart": timeline_chart(timeline) if timeline else None,
        "query": query, "several": document is None,
    }
    return render(request, "readiness_timeline.html", context, status_code=400 if errors else 200)


@pages.get("/readiness/timeline.{kind}")
def timeline_download(request: Request, kind: str, user: Reviewer, document: int | None = None):
    from models import utcnow
    from pipeline.timeline_files import timeline_csv, timeline_ics

    if kind not in ("csv", "ics"):
        raise HTTPException(404, "Download the timeline as .csv or .ics.")
    events, errors = _events(request)
    if errors or not events:
        raise HTTPException(400, "; ".join(errors) or "Give at least one event date.")
    with _db(request) as session:
        chosen = [_processed(session, document)] if document else readiness.processed_documents(
            session=session)
        timeline = readiness.documents_timeline(session=session, documents=chosen, events=events)
    if kind == "csv":
        return Response(timeline_csv(timeline), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="exit-timeline.csv"'})
    return Response(timeline_ics(timeline, utcnow()), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="exit-timeline.ics"'})


@pages.get("/readiness/handover")
def handover_page(request: Request, user: Reviewer):
    with _db(request) as session:
        marks = readiness.handover_marks(session=session)
        documents = readiness.processed_documents(session=session)
        comparisons = readiness.handover_gaps(session=session)
    marked = {d.id: m for m, d in marks}
    context = {"marks": marks, "documents": documents, "marked": marked,
               "comparisons": comparisons}
    return render(request, "readiness_handover.html", context)


@pages.post("/readiness/documents/{document_id}/handover")
async def set_handover(request: Request, document_id: int, user: Reviewer):
    form = await request.form()
    role = str(form.get("role", ""))
    with _db(request) as session:
        document = _processed(session, document_id)
        if role == "none":
            readiness.clear_handover(session=session, document=document)
            message = f"{document.source_file} is no longer marked."
        else:
            try:
                readiness.mark_handover(session=session, document=document, role=role,
                                        user=user.name)
            except readiness.ReadinessError as exc:
                raise HTTPException(400, str(exc)) from None
            message = f"{document.source_file} marked {role}."
    flash(request, message, "ok")
    target = str(form.get("next", "/readiness/handover"))
    return RedirectResponse(target if target.startswith("/readiness") else "/readiness/handover",
                            status_code=303)


# --- the registry's API --------------------------------------------------------------------------


def _api_router() -> APIRouter:
    from web.api import require_token

    api = APIRouter(prefix="/api/v1", tags=["registry"], dependencies=[Depends(require_token)])

    @api.get("/exit-readiness/{sha256}")
    def exit_readiness(request: Request, sha256: str) -> dict:
        """The exit-readiness record of one contract (schemas/exit-readiness.v1.json)."""
        events, errors = _events(request)
        if errors:
            raise HTTPException(400, "; ".join(errors))
        with Session(request.app.state.engine) as session:
            document = session.exec(select(Document).where(Document.sha256 == sha256)).first()
            if document is None or document.status != "processed":
                raise HTTPException(404, "No processed document with that SHA-256.")
            return readiness.exit_readiness(session=session, document=document, events=events)

    return api


router = APIRouter()
router.include_router(pages)
router.include_router(_api_router())
