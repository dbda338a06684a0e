"""The review pages. Routes only translate HTTP to ``models.review`` / ``models.users`` calls
and back; every POST passes ``csrf_protect`` (a router dependency) and the login middleware.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from models import review, users
from models.db import session_scope
from models.models import Clause, Document, Obligation, ObligationUpdate, Run
from web.images import NoSuchPage, PageImageError, PageSize
from web.security import (
    CurrentUser,
    csrf_protect,
    current_user,
    require_admin,
    safe_next,
)
from web.templating import flash, render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
Reviewer = Annotated[CurrentUser, Depends(current_user)]  # any logged-in user
Admin = Annotated[CurrentUser, Depends(require_admin)]

TEXT_FIELDS = (
    "modality",
    "obligor",
    "beneficiary",
    "action",
    "trigger",
    "deadline_text",
    "deadline_duration",
    "deadline_relation",
    "deadline_anchor",
    "deadline_date",
)
SNIPPET_MARGIN = 48  # points of page shown above and below the highlighted sentence


def _db(request: Request):
    return session_scope(request.app.state.engine)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- login ------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    if getattr(request.state, "user", None):
        return _redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "error": None, "name": ""})


@router.post("/login")
async def login(request: Request):
    form = await request.form()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    throttle = request.app.state.login_throttle
    if throttle.blocked(name):
        context = {"next": target, "name": name,
                   "error": "Too many failed attempts for this name. Try again in a few minutes."}
        return render(request, "login.html", context, status_code=429)
    with _db(request) as session:
        user = users.authenticate(session=session, name=name, password=password)
        fingerprint = users.password_fingerprint(user) if user else None
        user_name = user.name if user else None
    if user is None:
        throttle.failed(name)
        context = {"next": target, "error": "Wrong name or password.", "name": name}
        return render(request, "login.html", context, status_code=401)
    throttle.succeeded(name)
    # A fresh session on login: nothing from before (a planted token) carries over.
    request.session.clear()
    request.session.update({"user": user_name, "pwv": fingerprint})
    return _redirect(target)


@router.post("/logout")
def logout(request: Request):
    request.session.clear()
    return _redirect("/login")


# --- runs and documents -----------------------------------------------------------------


def _category_counts(items, attr="categories") -> Counter:
    counts: Counter = Counter()
    for item in items:
        for category in getattr(item, attr) or []:
            counts[category] += 1
    return counts


@router.get("/")
def dashboard(request: Request, user: Reviewer):
    with _db(request) as session:
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
        rows.append(
            {
                "doc": doc,
                "total": len(obs),
                "categories": _category_counts(obs),
                "reviewed": len(obs) - statuses.get("extracted", 0),
                "flagged": sum(1 for o in obs if o.conflict or o.stale),
            }
        )
    totals = Counter(o.status for o in obligations)
    context = {
        "runs": runs,
        "rows": rows,
        "totals": totals,
        "open": sum(1 for o in obligations if o.status == "extracted" or o.conflict or o.stale),
        "failed": [d for d in documents if d.status == "failed"],
    }
    return render(request, "dashboard.html", context)


def _document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise HTTPException(404, f"There is no document {document_id}.")
    return document


@router.get("/documents/{document_id}")
def document_page(request: Request, document_id: int, user: Reviewer):
    with _db(request) as session:
        document = _document(session, document_id)
        clauses = list(
            session.exec(
                select(Clause).where(Clause.document_id == document_id).order_by(Clause.position)
            )
        )
        obligations = list(
            session.exec(
                select(Obligation)
                .where(Obligation.document_id == document_id)
                .order_by(Obligation.page, Obligation.position)
            )
        )
    by_clause: dict[int | None, list[Obligation]] = defaultdict(list)
    for ob in obligations:
        by_clause[ob.clause_id].append(ob)
    sections = []
    for category in review.CATEGORIES:
        members = [c for c in clauses if category in (c.categories or [])]
        sections.append({"category": category, "clauses": members})
    other = [c for c in clauses if not c.categories and c.text.strip()]
    context = {
        "document": document,
        "sections": sections,
        "other": other,
        "by_clause": by_clause,
        "orphans": by_clause.get(None, []),
        "counts": _category_counts(obligations),
        "clause_counts": _category_counts(clauses),
        "statuses": Counter(o.status for o in obligations),
        "total": len(obligations),
    }
    return render(request, "document.html", context)


@router.get("/documents/{document_id}/pages/{page}.png")
def page_image(request: Request, document_id: int, page: int, user: Reviewer):
    """The rendered page, found through the database (by document id and hash), never by a
    path in the request."""
    with _db(request) as session:
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


# --- the queue --------------------------------------------------------------------------


def _queue_filter(params: dict[str, Any]) -> review.QueueFilter:
    document = params.get("document")
    status = params.get("status", "open")
    return review.QueueFilter(
        document_id=int(document) if str(document or "").isdigit() else None,
        category=params.get("category") if params.get("category") in review.CATEGORIES else None,
        status=(status if status in (*review.STATUSES, "open", "flagged") else None),
        obligor=params.get("obligor") or None,
        sort=params.get("sort")
        if params.get("sort") in ("page", "confidence", "updated")
        else "page",
    )


def _filter_params(filters: review.QueueFilter) -> dict[str, str]:
    return {
        "document": str(filters.document_id or ""),
        "category": filters.category or "",
        "status": filters.status or "all",
        "obligor": filters.obligor or "",
        "sort": filters.sort,
    }


def _saved_filter(request: Request) -> review.QueueFilter:
    return _queue_filter(request.session.get("queue", {}))


def _queue_url(request: Request, selected: str | None = None) -> str:
    params = dict(request.session.get("queue", {}))
    if selected:
        params["selected"] = selected
    return "/queue" + (f"?{urlencode(params)}" if params else "")


@router.get("/queue")
def queue(request: Request, user: Reviewer):
    params = dict(request.query_params)
    filters = _queue_filter(params)
    # Remembered, so that next / previous on an obligation page walk this same queue.
    request.session["queue"] = _filter_params(filters)
    with _db(request) as session:
        rows = review.list_queue(session=session, filters=filters)
        documents = {d.id: d for d in session.exec(select(Document).order_by(Document.source_file))}
        obligors = review.obligors(session=session)
    context = {
        "rows": rows,
        "documents": documents,
        "obligors": obligors,
        "filters": filters,
        "selected": params.get("selected") or (rows[0].id if rows else None),
        "statuses": review.STATUSES,
        "categories": review.CATEGORIES,
    }
    return render(request, "queue.html", context)


# --- one obligation ---------------------------------------------------------------------


def _boxes_by_page(bboxes: list) -> dict[int, list[tuple[float, float, float, float]]]:
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


def _band(boxes: list, size: PageSize) -> tuple[float, float, float, float]:
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


def _snippets(request: Request, document: Document, bboxes: list, fallback_page: int | None):
    """One view per page the sentence stands on: the page image, the highlight rectangles and
    two view boxes (the band around the sentence, and the whole page), in PDF points."""
    pages = _boxes_by_page(bboxes) or ({fallback_page: []} if fallback_page else {})
    views, error = [], None
    for page, boxes in pages.items():
        try:
            size: PageSize = request.app.state.images.size(document, page)
        except PageImageError as exc:
            error = str(exc)
            continue
        left, top, right, bottom = _band(boxes, size)
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


def _obligation(session: Session, obligation_id: str) -> Obligation:
    obligation = review.get_obligation(session=session, obligation_id=obligation_id)
    if obligation is None:
        raise HTTPException(404, f"There is no obligation {obligation_id}.")
    return obligation


def _obligation_context(request: Request, obligation_id: str) -> dict:
    with _db(request) as session:
        ob = _obligation(session, obligation_id)
        document = session.get(Document, ob.document_id)
        clause = session.get(Clause, ob.clause_id) if ob.clause_id else None
        events = review.history(session=session, obligation_id=ob.id)
        filters = _saved_filter(request)
        previous_id, next_id = review.neighbours(session=session, obligation=ob, filters=filters)
        position = [o.id for o in review.list_queue(session=session, filters=filters)]
    views, image_error = _snippets(request, document, ob.bboxes, ob.page)
    return {
        "ob": ob,
        "document": document,
        "clause": clause,
        # Newest first; the events of one write keep their order (field changes, then status).
        "events": sorted(events, key=lambda e: (-e.at.timestamp(), e.id or 0)),
        "definitions": review.definitions_for(ob, document),
        "roles": sorted({p.get("role") for p in document.parties or [] if p.get("role")}),
        "views": views,
        "image_error": image_error,
        "previous_id": previous_id,
        "next_id": next_id,
        "queue_index": position.index(ob.id) + 1 if ob.id in position else None,
        "queue_total": len(position),
        "queue_url": _queue_url(request, ob.id),
        "modalities": review.MODALITIES,
        "relations": review.RELATIONS,
        "categories": review.CATEGORIES,
        "conflict": None,
        "mine": {},
        "values": None,
        "comment": "",
    }


@router.get("/obligations/{obligation_id}")
def obligation_page(request: Request, obligation_id: str, user: Reviewer):
    return render(request, "obligation.html", _obligation_context(request, obligation_id))


def _update_from_form(form) -> ObligationUpdate:
    """Only the fields the form carries: a queue's quick approve carries none, so it changes
    none. Categories are checkboxes, present only when ticked: ``categories_present`` says the
    form had them."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in form:
            values[name] = str(form.get(name, ""))
    if "deadline_business_days" in form:
        raw = str(form.get("deadline_business_days", ""))
        values["deadline_business_days"] = {"yes": True, "no": False}.get(raw)
    if "categories_present" in form:
        values["categories"] = [str(c) for c in form.getlist("categories")]
    # Blank means "none" for optional fields; the model requires these two to be set.
    if values.get("modality") == "":
        values.pop("modality")
    return ObligationUpdate(**{k: (v if v != "" else None) for k, v in values.items()})


def _unsaved(conflict: review.Conflict, sent: dict) -> dict:
    """What the late reviewer changed: their form against the version they had loaded (the
    current values with the other reviewers' changes taken back), not against the current
    one, which would list every field the others changed as theirs too."""
    loaded = dict(conflict.current)
    for change in reversed(conflict.changes):  # newest first: the oldest "old" wins
        if change["field"] in loaded:
            loaded[change["field"]] = change["old"]
    return {k: v for k, v in sent.items() if loaded.get(k) != v}


@router.post("/obligations/{obligation_id}")
async def obligation_submit(request: Request, obligation_id: str, user: Reviewer):
    form = await request.form()
    do = str(form.get("do", "save"))
    comment = str(form.get("comment", "")).strip() or None
    version_raw = str(form.get("version", ""))
    expected = int(version_raw) if version_raw.isdigit() else None
    came_from_queue = form.get("return") == "queue"
    if do not in ("save", "approve", "reject", "reopen"):
        raise HTTPException(400, f"Unknown action {do!r}.")
    update = _update_from_form(form)
    try:
        with _db(request) as session:
            if do in ("save", "approve"):
                review.correct(
                    session=session,
                    obligation_id=obligation_id,
                    update=update,
                    user=user.name,
                    expected_version=expected,
                    comment=comment if do == "save" else None,
                )
                expected = None  # checked: the rest is this same transaction
            if do == "approve":
                review.approve(
                    session=session,
                    obligation_id=obligation_id,
                    user=user.name,
                    expected_version=expected,
                    comment=comment,
                )
            elif do == "reject":
                review.reject(
                    session=session,
                    obligation_id=obligation_id,
                    user=user.name,
                    expected_version=expected,
                    comment=comment,
                )
            elif do == "reopen":
                review.reopen(
                    session=session,
                    obligation_id=obligation_id,
                    user=user.name,
                    expected_version=expected,
                    comment=comment,
                )
            ob = _obligation(session, obligation_id)
            _, next_id = review.neighbours(
                session=session, obligation=ob, filters=_saved_filter(request)
            )
    except review.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except review.Conflict as exc:
        if came_from_queue:
            flash(request, str(exc), "error")
            return _redirect(_queue_url(request, obligation_id))
        context = _obligation_context(request, obligation_id)
        sent = update.model_dump(exclude_unset=True)
        context["conflict"] = exc
        context["mine"] = _unsaved(exc, sent)
        if do != "save":
            context["mine"]["status"] = {
                "approve": "approved",
                "reject": "rejected",
                "reopen": "extracted",
            }[do]
        return render(request, "obligation.html", context, status_code=409)
    except review.InvalidUpdate as exc:
        if came_from_queue:
            flash(request, str(exc), "error")
            return _redirect(_queue_url(request, obligation_id))
        context = _obligation_context(request, obligation_id)
        context["invalid"] = str(exc)
        # The form comes back as the reviewer filled it in: nothing they typed is lost.
        context["values"] = {**review.snapshot(context["ob"]),
                             **update.model_dump(exclude_unset=True)}
        context["comment"] = comment or ""
        return render(request, "obligation.html", context, status_code=422)

    label = {
        "save": "Correction saved",
        "approve": "Approved",
        "reject": "Rejected",
        "reopen": "Reopened",
    }[do]
    if came_from_queue:
        flash(request, f"{label}: clause {ob.clause_ref}.", "ok")
        return _redirect(_queue_url(request, next_id or obligation_id))
    if do in ("approve", "reject") and next_id:
        flash(request, f"{label}: clause {ob.clause_ref}. Here is the next one.", "ok")
        return _redirect(f"/obligations/{next_id}")
    if do in ("approve", "reject"):
        flash(
            request, f"{label}: clause {ob.clause_ref}. That was the last one in the queue.", "ok"
        )
        return _redirect(_queue_url(request, obligation_id))
    flash(request, f"{label}.", "ok")
    return _redirect(f"/obligations/{obligation_id}")


# --- adding a missed obligation ---------------------------------------------------------


def _clause_context(request: Request, clause_id: int) -> dict:
    with _db(request) as session:
        clause = session.get(Clause, clause_id)
        if clause is None:
            raise HTTPException(404, f"There is no clause {clause_id}.")
        document = session.get(Document, clause.document_id)
        existing = list(session.exec(select(Obligation).where(Obligation.clause_id == clause_id)))
    views, image_error = _snippets(request, document, clause.bboxes, clause.page_start)
    return {
        "clause": clause,
        "document": document,
        "existing": existing,
        "views": views,
        "image_error": image_error,
        "roles": sorted({p.get("role") for p in document.parties or [] if p.get("role")}),
        "modalities": review.MODALITIES,
        "relations": review.RELATIONS,
        "categories": review.CATEGORIES,
        "values": {"categories": list(clause.categories or []), "modality": "obligation"},
        "invalid": None,
    }


@router.get("/clauses/{clause_id}/add")
def add_form(request: Request, clause_id: int, user: Reviewer):
    return render(request, "add.html", _clause_context(request, clause_id))


@router.post("/clauses/{clause_id}/add")
async def add_submit(request: Request, clause_id: int, user: Reviewer):
    form = await request.form()
    update = _update_from_form(form)
    text = str(form.get("text", ""))
    comment = str(form.get("comment", "")).strip() or None
    try:
        with _db(request) as session:
            ob = review.add_obligation(
                session=session,
                clause_id=clause_id,
                text=text,
                fields=update,
                user=user.name,
                comment=comment,
            )
            new_id = ob.id
    except review.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except review.InvalidUpdate as exc:
        context = _clause_context(request, clause_id)
        context["invalid"] = str(exc)
        context["values"] = {
            **update.model_dump(exclude_unset=True),
            "text": text,
            "comment": comment,
        }
        return render(request, "add.html", context, status_code=422)
    flash(request, "Obligation added. It is marked as written by you.", "ok")
    return _redirect(f"/obligations/{new_id}")


# --- users (admins only) ----------------------------------------------------------------


@router.get("/admin/users")
def users_page(request: Request, admin: Admin):
    with _db(request) as session:
        people = users.list_users(session=session)
    return render(request, "users.html", {"people": people, "roles": users.ROLES})


@router.post("/admin/users")
async def users_submit(request: Request, admin: Admin):
    form = await request.form()
    do = str(form.get("do", ""))
    name = str(form.get("name", "")).strip()
    try:
        with _db(request) as session:
            if do == "add":
                users.add_user(
                    session=session,
                    name=name,
                    password=str(form.get("password", "")),
                    role=str(form.get("role", "reviewer")),
                )
                message = f"User {name} added."
            elif do in ("deactivate", "activate"):
                if name == admin.name:
                    raise users.InvalidUser("you cannot deactivate yourself")
                users.set_active(session=session, name=name, active=do == "activate")
                message = f"User {name} {do}d."
            elif do == "password":
                users.set_password(
                    session=session, name=name, password=str(form.get("password", ""))
                )
                message = f"Password of {name} changed; their open sessions have ended."
            elif do == "role":
                if name == admin.name:
                    raise users.InvalidUser("you cannot change your own role")
                users.set_role(session=session, name=name, role=str(form.get("role", "")))
                message = f"{name} is now {form.get('role')}."
            else:
                raise HTTPException(400, f"Unknown action {do!r}.")
        flash(request, message, "ok")
    except users.UserError as exc:
        flash(request, str(exc).capitalize() + ".", "error")
    return _redirect("/admin/users")
