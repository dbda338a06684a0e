"""Reviewers and admins of the web app: add, list, change role or password, deactivate,
re-activate, log in; and who may run the review from the command line.

Passwords are hashed with Argon2id (argon2-cffi, its recommended parameters); only the hash is
stored. Every administrative change is recorded in the audit trail (``models.audit``) with who
made it; a password change, a deactivation and a re-activation end the user's open sessions
(``models.sessions``). Database functions take a keyword-only ``session`` and never commit:
the caller's ``session_scope`` does.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from models.audit import Actor, record
from models.models import User
from models.sessions import end_user_sessions

# What each role may do, in one place: a new role (say one that starts ingest runs) is one
# more entry here, and the web app asks ``can(role, permission)``, never for a role by name.
PERMISSIONS: dict[str, frozenset[str]] = {
    "reviewer": frozenset({"review"}),
    # Starts ingest runs from the review app (uploads, the drop folder), and reviews.
    "runner": frozenset({"review", "start_runs"}),
    "admin": frozenset({"review", "manage_users", "start_runs"}),
}
ROLES = tuple(PERMISSIONS)
MIN_PASSWORD_LENGTH = 8
# Review decisions made by a script rather than a person are recorded under this prefix
# (``review approve --as-system NAME``); user names may not contain the colon, so no person
# can pass for a script or the reverse.
SYSTEM_PREFIX = "system:"

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that a wrong name costs as long as a
# wrong password and login timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


class UserError(Exception):
    """A user-management request that cannot be carried out."""


class UserExists(UserError):
    def __init__(self, name: str):
        super().__init__(f"a user named {name!r} already exists")


class UnknownUser(UserError):
    def __init__(self, name: str):
        super().__init__(f"no user named {name!r}")


class InvalidUser(UserError):
    """A bad name, role or password; the message says which."""


class NotAReviewer(UserError):
    """The name given for the audit trail is not an active user."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def can(role: str | None, permission: str) -> bool:
    return permission in PERMISSIONS.get(role or "", frozenset())


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUser(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:  # Argon2 takes any length; a megabyte "password" is an attack
        raise InvalidUser("the password must have at most 1024 characters")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() or c == ":" for c in name):
        raise InvalidUser(
            f"invalid user name {name!r}: 1 to 100 characters, no spaces and no colon"
        )
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidUser(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return role


def get_user(*, session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)))


def add_user(
    *, session: Session, name: str, password: str, role: str = "reviewer", by: Actor
) -> User:
    name = _check_name(name)
    _check_role(role)
    _check_password(password)
    if get_user(session=session, name=name) is not None:
        raise UserExists(name)
    user = User(name=name, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    record(session=session, actor=by, action="user.add", target=name, detail={"role": role})
    return user


def _existing(session: Session, name: str) -> User:
    user = get_user(session=session, name=name)
    if user is None:
        raise UnknownUser(name)
    return user


def set_active(*, session: Session, name: str, active: bool, by: Actor) -> User:
    """Deactivate or re-activate ``name``; either way their open sessions end (a re-activated
    user logs in afresh: nothing from before the deactivation opens anything)."""
    user = _existing(session, name)
    if by.via == "web" and by.name == user.name and not active:
        raise InvalidUser("you cannot deactivate yourself")
    if user.active == active:
        raise InvalidUser(f"{name} is already {'active' if active else 'deactivated'}")
    user.active = active
    session.add(user)
    end_user_sessions(session=session, user=user, reason="activated" if active else "deactivated")
    record(session=session, actor=by, action="user.activate" if active else "user.deactivate",
           target=name)
    session.flush()
    return user


def deactivate_user(*, session: Session, name: str, by: Actor) -> User:
    return set_active(session=session, name=name, active=False, by=by)


def set_password(*, session: Session, name: str, password: str, by: Actor) -> User:
    """A new password for ``name``; every session they had open ends."""
    _check_password(password)
    user = _existing(session, name)
    user.password_hash = hash_password(password)
    session.add(user)
    end_user_sessions(session=session, user=user, reason="password")
    record(session=session, actor=by, action="user.password", target=name)
    session.flush()
    return user


def set_role(*, session: Session, name: str, role: str, by: Actor) -> User:
    _check_role(role)
    user = _existing(session, name)
    if by.via == "web" and by.name == user.name:
        raise InvalidUser("you cannot change your own role")
    if user.role == role:
        raise InvalidUser(f"{name} is already {role}")
    record(session=session, actor=by, action="user.role", target=name,
           detail={"old": user.role, "new": role})
    user.role = role
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, name: str, password: str) -> User | None:
    """The active user with this name and password, else None (same answer, same time, for a
    wrong name, a wrong password and a deactivated user)."""
    user = get_user(session=session, name=name.strip())
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def reviewer_name(*, session: Session, user: str | None, as_system: str | None) -> str:
    """The name a review from the command line is recorded under: an active user allowed to
    review, or ``system:NAME`` for scripted bulk work that says so (never both, never a name
    nobody has)."""
    if as_system is not None:
        if user is not None:
            raise NotAReviewer("give either --user or --as-system, not both")
        label = as_system.strip()
        if not label or len(label) > 60 or any(c.isspace() or c == ":" for c in label):
            raise NotAReviewer(f"invalid system name {as_system!r}: 1 to 60 characters, "
                               "no spaces and no colon")
        return SYSTEM_PREFIX + label
    if not user:
        raise NotAReviewer("say who is reviewing: --user NAME (an active user) or "
                           "--as-system NAME for scripted bulk work")
    found = get_user(session=session, name=user)
    if found is None or not found.active:
        raise NotAReviewer(f"{user!r} is not an active user: give the name of one "
                           "(obligations users list), or --as-system NAME for scripted work")
    if not can(found.role, "review"):
        raise NotAReviewer(f"{user!r} ({found.role}) may not review obligations")
    return found.name
