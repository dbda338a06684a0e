"""The audit trail of administration: who added a user, changed a role or a password,
deactivated or re-activated someone, created or revoked an API token, and when.

Obligation reviews have their own trail (``ReviewEvent``, one row per changed field); this one
is for the access to the product. Rows are only ever added. Functions take a keyword-only
``session`` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from models.models import AdminEvent, utcnow

VIA = ("web", "cli")
ACTIONS = (
    "user.add",
    "user.role",
    "user.password",
    "user.deactivate",
    "user.activate",
    "token.create",
    "token.revoke",
)


@dataclass(frozen=True)
class Actor:
    """Who is doing it: a logged-in user of the web app, or the account at the shell."""

    name: str
    via: str = "web"

    def __post_init__(self) -> None:
        if self.via not in VIA:
            raise ValueError(f"unknown channel {self.via!r}: one of {VIA}")
        if not self.name.strip():
            raise ValueError("an administrative change needs the name of whoever made it")


def record(
    *, session: Session, actor: Actor, action: str, target: str, detail: dict | None = None
) -> AdminEvent:
    if action not in ACTIONS:
        raise ValueError(f"unknown administrative action {action!r}")
    event = AdminEvent(
        at=utcnow(), actor=actor.name, via=actor.via, action=action, target=target,
        detail=detail or {},
    )
    session.add(event)
    return event


def admin_events(
    *, session: Session, since: datetime | None = None, limit: int | None = None
) -> list[AdminEvent]:
    """The administrative events, oldest first (the newest ``limit`` when given)."""
    query = select(AdminEvent)
    if since is not None:
        query = query.where(AdminEvent.at >= since)
    if limit is not None:
        newest = query.order_by(AdminEvent.at.desc(), AdminEvent.id.desc()).limit(limit)
        return list(reversed(list(session.exec(newest))))
    return list(session.exec(query.order_by(AdminEvent.at, AdminEvent.id)))
