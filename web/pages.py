"""The pages of the review app. Routes only translate HTTP to ``models`` calls and back; every
POST passes ``csrf_protect`` (a router dependency) and the login middleware. This module holds
login, the documents and page images, and gathers the review pages (``web.review_pages``) and
user administration (``web.admin_pages``) into one ``router``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, select

from models import review, users
from models.models import Clause, Document, Obligation, Run
from models.queue import is_open
from models.sessions import end_session, open_session
from web import admin_pages, review_pages
from web.images import NoSuchPage, PageImageError
from web.security import CurrentUser, client_address, csrf_protect, current_user, safe_next
from web.templating import render
from web.views import DocumentId, PageNumber, db, redirect

router = APIRouter(dependencies=[Depends(csrf_protect)])
Reviewer = Annotated[CurrentUser, Depends(current_user)]  # any logged-in user
LOGIN_FORM = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object",
    "properties": {"name": {"type": "string"}, "password": {"type": "string"},
                   "next": {"type": "string"}, "csrf_token": {"type": "string"}},
}}}}}


# --- login ------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: Annotated[str, Query(max_length=2000)] = "/"):
    if getattr(request.state, "user", None):
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "error": None, "name": ""})


@router.post("/login", openapi_extra=LOGIN_FORM)
async def login(request: Request):
    form = await request.form()
    name, password = _text(form, "name", 200), _text(form, "password", 1024)
    target = safe_next(_text(form, "next", 2000) or "/")
    throttle, client = request.app.state.login_throttle, client_address(request)
    if throttle.blocked(name, client):
        context = {"next": target, "name": name,
                   "error": "Too many failed attempts. Try again in a few minutes."}
        return render(request, "login.html", context, status_code=429)
    with db(request) as session:
        user = users.authenticate(session=session, name=name, password=password)
        token = open_session(session=session, user=user, client=client) if user else None
    if token is None:
        throttle.failed(name, client)
        context = {"next": target, "error": "Wrong name or password.", "name": name}
        return render(request, "login.html", context, status_code=401)
    throttle.succeeded(name, client)
    # A fresh cookie on login: nothing from before (a planted token) carries over.
    request.session.clear()
    request.session["sid"] = token
    return redirect(target)


def _text(form, name: str, limit: int) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


@router.post("/logout")
def logout(request: Request):
    """Ends the session on the server: the cookie, wherever a copy of it is, opens nothing."""
    with db(request) as session:
        end_session(session=session, token=request.session.get("sid"))
    request.session.clear()
    return redirect("/login")


# --- runs and documents -----------------------------------------------------------------


def _category_counts(items, attr="categories") -> Counter:
    counts: Counter = Counter()
    for item in items:
        for category in getattr(item, attr) or []:
            counts[category] += 1
    return counts


@router.get("/")
def dashboard(request: Request, user: Reviewer):
    with db(request) as session:
        runs = list(session.exec(select(Run).order_by(Run.started_at.desc()).limit(10)))
        documents = list(session.exec(select(Document).order_by(Document.source_file)))
        obligations = list(session.exec(select(Obligation)))
    by_document: dict[int, list[Obligation]] = defaultdict(list)
    for ob in obligations:
        by_document[ob.document_id].append(ob)
    rows = []
    for doc in documents:
        obs = by_document.get(doc.id, [])
        statuses = Counter(o.status for o in obs)
        rows.append({
            "doc": doc, "total": len(obs), "categories": _category_counts(obs),
            "reviewed": len(obs) - statuses.get("extracted", 0),
            "flagged": sum(1 for o in obs if o.conflict or o.stale),
        })
    context = {
        "runs": runs, "rows": rows, "totals": Counter(o.status for o in obligations),
        "open": sum(1 for o in obligations if is_open(o)),
        "failed": [d for d in documents if d.status == "failed"],
    }
    return render(request, "dashboard.html", context)


def _document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise HTTPException(404, f"There is no document {document_id}.")
    return document


DOCUMENT_VIEWS = ("", *review.CATEGORIES, "other")


@router.get("/documents/{document_id}")
def document_page(
    request: Request, document_id: DocumentId, user: Reviewer,
    category: Annotated[str, Query(description="exit | data_return | termination | other; "
                                               "empty: every classified clause")] = "",
):
    """Each clause once, in document order, with its categories and obligations; one
    category (or the unclassified clauses) with ``category``."""
    if category not in DOCUMENT_VIEWS:
        raise HTTPException(400, f"Unknown category {category[:40]!r}: one of "
                                 f"{', '.join(v for v in DOCUMENT_VIEWS if v)}.")
    with db(request) as session:
        document = _document(session, document_id)
        clauses = list(session.exec(
            select(Clause).where(Clause.document_id == document_id).order_by(Clause.position)))
        obligations = list(session.exec(
            select(Obligation).where(Obligation.document_id == document_id)
            .order_by(Obligation.page, Obligation.position)))
    by_clause: dict[int | None, list[Obligation]] = defaultdict(list)
    for ob in obligations:
        by_clause[ob.clause_id].append(ob)
    classified = [c for c in clauses if c.categories]
    other = [c for c in clauses if not c.categories and c.text.strip()]
    if category == "other":
        shown = other
    elif category:
        shown = [c for c in classified if category in c.categories]
    else:
        shown = classified
    context = {
        "document": document, "clauses": shown, "category": category, "other": other,
        "by_clause": by_clause, "orphans": by_clause.get(None, []),
        "counts": _category_counts(obligations), "clause_counts": _category_counts(clauses),
        "classified": len(classified), "statuses": Counter(o.status for o in obligations),
        "open": sum(1 for o in obligations if is_open(o)), "total": len(obligations),
    }
    return render(request, "document.html", context)


@router.get("/documents/{document_id}/pages/{page}.png")
def page_image(request: Request, document_id: DocumentId, page: PageNumber, user: Reviewer):
    """The rendered page, found through the database (by document id and hash), never by a
    path in the request."""
    with db(request) as session:
        document = _document(session, document_id)
    try:
        png = request.app.state.images.png(document, page)
    except NoSuchPage as exc:
        raise HTTPException(404, str(exc)) from None
    except PageImageError as exc:
        raise HTTPException(410, str(exc)) from None
    return Response(
        png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"}
    )


router.include_router(review_pages.router)
router.include_router(admin_pages.router)
