"""Jinja2 set-up: autoescaping on for every template, a few display filters, and ``render``,
which adds what every page needs (the user, the CSRF token, one-shot messages)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from web.security import csrf_token

HERE = Path(__file__).resolve().parent

CATEGORY_LABELS = {"exit": "Exit", "data_return": "Data return", "termination": "Termination"}
STATUS_LABELS = {
    "extracted": "To review",
    "approved": "Approved",
    "corrected": "Corrected",
    "rejected": "Rejected",
}
FIELD_LABELS = {
    "categories": "Categories",
    "modality": "Modality",
    "obligor": "Obligor",
    "beneficiary": "Beneficiary",
    "action": "Action",
    "trigger": "Trigger",
    "deadline_text": "Deadline",
    "deadline_duration": "Duration",
    "deadline_business_days": "Business days",
    "deadline_relation": "Relation",
    "deadline_anchor": "Anchor",
    "deadline_date": "Date",
    "status": "Status",
    "deadline": "Deadline",
    "origin": "Origin",
    "comment": "Comment",
}


def _when(value: datetime | None) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC") if value else ""


def _value(value) -> str:
    """A stored value as a reviewer reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(CATEGORY_LABELS.get(v, str(v)) for v in value)
    if isinstance(value, dict):
        if all(isinstance(v, int | float) for v in value.values()):  # counts per category
            return ", ".join(f"{CATEGORY_LABELS.get(k, k)} {v}" for k, v in value.items()) or "—"
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _plural(count: int | None, word: str, many: str | None = None) -> str:
    """``1 page``, ``2 pages``, ``? pages`` when unknown."""
    if count is None:
        return f"? {many or word + 's'}"
    return f"{count} {word if count == 1 else (many or word + 's')}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name: contract text is never markup
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["value"] = _value
    env.filters["category"] = lambda c: CATEGORY_LABELS.get(c, c)
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
    env.filters["field_label"] = lambda f: FIELD_LABELS.get(f, f or "")
    env.filters["plural"] = _plural
    env.globals["CATEGORY_LABELS"] = CATEGORY_LABELS
    env.globals["STATUS_LABELS"] = STATUS_LABELS
    return env


templates = Jinja2Templates(env=_environment())


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A message shown once, on the next page rendered for this session."""
    request.session["flash"] = [*request.session.get("flash", []), [kind, message]]


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):
    user = getattr(request.state, "user", None)
    ctx = {
        "user": user,
        "csrf_token": csrf_token(request),
        "messages": request.session.pop("flash", []),
        "page": name.removesuffix(".html"),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
