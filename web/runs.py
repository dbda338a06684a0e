"""Runs started from the review app: the start form (admins and runners), the progress page
of any run (everyone), and the small JSON document the progress page polls.

Starting is ``flows.launch`` (the Prefect deployment when a server is configured, else a
background process); progress is ``models.team_runs``. Routes only translate HTTP.
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from models.models import Run
from models.team_runs import run_progress
from web.security import CurrentUser, csrf_protect, current_user
from web.templating import flash, render
from web.views import MAX_ID, db, form_text, redirect

router = APIRouter(dependencies=[Depends(csrf_protect)])
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="A run's id.")]
MAX_UPLOAD_BYTES = 256 * 2**20  # the ingest's own limit per document (IngestOptions)
MAX_FILES = 500
CONTRACT_TYPES = {"": None, "jv": "jv", "supplier": "supplier"}
START_FORM = {"requestBody": {"content": {"multipart/form-data": {"schema": {
    "type": "object",
    "properties": {
        "source": {"type": "string", "enum": ["upload", "drop-folder"]},
        "documents": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "contract_type": {"type": "string", "enum": list(CONTRACT_TYPES)},
        "counterparty": {"type": "string", "maxLength": 200},
        "csrf_token": {"type": "string"},
    },
}}}}}


def require_runner(request: Request) -> CurrentUser:
    user = current_user(request)
    if not user.can("start_runs"):
        raise HTTPException(403, "Only administrators and runners can start runs.")
    return user


Runner = Annotated[CurrentUser, Depends(require_runner)]
Anyone = Annotated[CurrentUser, Depends(current_user)]


def where_runs_go() -> dict:
    """Where a run started here will run, for the form to say so."""
    from flows.launch import prefect_api_url

    api = prefect_api_url()
    return {"api": api, "ui": prefect_ui_url(api),
            "drop_folder": os.environ.get("OBLIGATIONS_DROP_FOLDER") if not api else None,
            "drop_folder_available": bool(api or os.environ.get("OBLIGATIONS_DROP_FOLDER"))}


def prefect_ui_url(api: str | None) -> str | None:
    return api.rstrip("/").removesuffix("/api") if api else None


@router.get("/runs/new")
def new_run(request: Request, user: Runner):
    with db(request) as session:
        recent = list(session.exec(select(Run).where(Run.origin == "web")
                                   .order_by(col(Run.id).desc()).limit(8)))
    return render(request, "runs_new.html", {"where": where_runs_go(), "recent": recent})


async def _uploads(form) -> list[tuple[str, bytes]]:
    files = [f for f in form.getlist("documents") if hasattr(f, "read")]
    if not files:
        raise HTTPException(400, "Choose at least one PDF to upload.")
    if len(files) > MAX_FILES:
        raise HTTPException(400, f"At most {MAX_FILES} files at a time: use the drop folder "
                                 "for more.")
    uploads = []
    for upload in files:
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        name = os.path.basename(upload.filename or "") or "upload.pdf"
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(400, f"{name} is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
        if not data.startswith(b"%PDF-"):
            raise HTTPException(400, f"{name[:120]} is not a PDF.")
        uploads.append((name, data))
    return uploads


@router.post("/runs", openapi_extra=START_FORM)
async def start_run(request: Request, user: Runner):
    from flows.launch import LaunchError, RunRequest, keep_upload, launch
    from models.docstore import DocumentStoreError

    form = await request.form()
    source = form_text(form, "source", "upload", limit=20)
    contract_type = form_text(form, "contract_type", limit=20)
    if source not in ("upload", "drop-folder") or contract_type not in CONTRACT_TYPES:
        raise HTTPException(400, "Unknown source or contract type.")
    counterparty = form_text(form, "counterparty", limit=200).strip() or None
    if source == "drop-folder" and not where_runs_go()["drop_folder_available"]:
        raise HTTPException(400, "No drop folder is configured for this server.")
    refs: list[str] = []
    if source == "upload":
        try:
            refs = [await run_in_threadpool(keep_upload, name, data)
                    for name, data in await _uploads(form)]
        except DocumentStoreError as exc:
            raise HTTPException(503, f"The document store cannot take the files: {exc}") \
                from None
    request_ = RunRequest(started_by=user.name, refs=tuple(refs),
                          drop_folder=source == "drop-folder",
                          contract_type=CONTRACT_TYPES[contract_type], counterparty=counterparty)
    try:  # in a thread: run_deployment called from a coroutine would hand back a coroutine
        run_id = await run_in_threadpool(launch, request.app.state.engine, request_)
    except LaunchError as exc:
        flash(request, f"The run could not start: {exc}", "error")
        return redirect("/runs/new")
    return redirect(f"/runs/{run_id}")


def _progress_or_404(request: Request, run_id: int):
    from flows.launch import notice_lost_flow_run

    with db(request) as session:
        progress = run_progress(session=session, run_id=run_id)
    if progress is None:
        raise HTTPException(404, f"There is no run {run_id}.")
    if notice_lost_flow_run(request.app.state.engine, progress.run):
        with db(request) as session:
            progress = run_progress(session=session, run_id=run_id)
    return progress


def progress_document(progress) -> dict:
    """The JSON the progress page polls: counts, parts, each document with its link and, for
    a failure, what happened in words a lawyer reads."""
    from flows.explain import explain

    data = progress.as_dict()
    for row in data["documents"]:
        row["url"] = f"/documents/{row['document_id']}" if row.get("document_id") else None
        row["what"] = explain(row.get("code")).what if row.get("status") == "failed" else None
        row.pop("sha256", None)
    return data


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: RunId, user: Anyone):
    progress = _progress_or_404(request, run_id)
    ui = prefect_ui_url(where_runs_go()["api"])
    return render(request, "run.html", {"p": progress, "data": progress_document(progress),
                                        "prefect_ui": ui})


@router.get("/runs/{run_id}/progress")
def run_progress_json(request: Request, run_id: RunId, user: Anyone):
    progress = _progress_or_404(request, run_id)
    return JSONResponse(progress_document(progress), headers={"Cache-Control": "no-store"})
