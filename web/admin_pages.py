"""User administration (admins only): add users, change a role or a password, deactivate and
re-activate; the page also shows the audit trail of these changes and of API tokens. Every
change is made and recorded by ``models.users`` under the admin who made it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from models import users
from models.audit import Actor, admin_events
from models.sessions import open_sessions
from web.security import CurrentUser, csrf_protect, require_admin
from web.templating import flash, render
from web.views import db, form_text, redirect

router = APIRouter(dependencies=[Depends(csrf_protect)])
Admin = Annotated[CurrentUser, Depends(require_admin)]
ACTIONS = ("add", "role", "password", "deactivate", "activate")
USERS_FORM = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object",
    "properties": {"do": {"type": "string", "enum": list(ACTIONS)}, "name": {"type": "string"},
                   "password": {"type": "string"}, "role": {"type": "string"}},
}}}}}


@router.get("/admin/users")
def users_page(request: Request, admin: Admin):
    with db(request) as session:
        people = [(p, open_sessions(session=session, user=p))
                  for p in users.list_users(session=session)]
        events = admin_events(session=session, limit=30)
    return render(request, "users.html", {"people": people, "roles": users.ROLES,
                                          "events": list(reversed(events))})


def _change(session, do: str, form, by: Actor) -> str:
    """Carry out one administrative action; the message saying what was done."""
    name = form_text(form, "name", limit=200).strip()
    password = form_text(form, "password", limit=2000)
    if do == "add":
        role = form_text(form, "role", "reviewer")
        users.add_user(session=session, name=name, password=password, role=role, by=by)
        return f"User {name} added ({role})."
    if do in ("deactivate", "activate"):
        users.set_active(session=session, name=name, active=do == "activate", by=by)
        return (f"{name} deactivated: their sessions have ended." if do == "deactivate"
                else f"{name} can log in again (with a new login: old sessions stay ended).")
    if do == "password":
        users.set_password(session=session, name=name, password=password, by=by)
        return f"Password of {name} changed; their open sessions have ended."
    role = form_text(form, "role")
    users.set_role(session=session, name=name, role=role, by=by)
    return f"{name} is now {role}."


@router.post("/admin/users", openapi_extra=USERS_FORM)
async def users_submit(request: Request, admin: Admin):
    form = await request.form()
    do = form_text(form, "do", limit=40)
    if do not in ACTIONS:
        raise HTTPException(400, f"Unknown action {do!r}: one of {', '.join(ACTIONS)}.")
    try:
        with db(request) as session:
            message = _change(session, do, form, Actor(admin.name, "web"))
        flash(request, message, "ok")
    except users.UserError as exc:
        flash(request, str(exc)[0].upper() + str(exc)[1:] + ".", "error")
    return redirect("/admin/users")
