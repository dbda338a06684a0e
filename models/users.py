"""Reviewers and admins of the web app: add, list, deactivate, set a password, log in.

Passwords are hashed with Argon2id (argon2-cffi, its recommended parameters); only the hash is
stored. Database functions take a keyword-only ``session`` and never commit: the caller's
``session_scope`` does.
"""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from models.models import User

ROLES = ("reviewer", "admin")
MIN_PASSWORD_LENGTH = 8

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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_fingerprint(user: User) -> str:
    """A short digest of the stored hash: kept in the session so that a password change (or a
    deactivation) ends every session opened before it."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUser(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise InvalidUser(f"invalid user name {name!r}: 1 to 100 characters, no spaces")
    return name


def get_user(*, session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)))


def add_user(*, session: Session, name: str, password: str, role: str = "reviewer") -> User:
    name = _check_name(name)
    if role not in ROLES:
        raise InvalidUser(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    _check_password(password)
    if get_user(session=session, name=name) is not None:
        raise UserExists(name)
    user = User(name=name, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    return user


def _existing(session: Session, name: str) -> User:
    user = get_user(session=session, name=name)
    if user is None:
        raise UnknownUser(name)
    return user


def set_active(*, session: Session, name: str, active: bool) -> User:
    user = _existing(session, name)
    user.active = active
    session.add(user)
    session.flush()
    return user


def deactivate_user(*, session: Session, name: str) -> User:
    return set_active(session=session, name=name, active=False)


def set_password(*, session: Session, name: str, password: str) -> User:
    _check_password(password)
    user = _existing(session, name)
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def set_role(*, session: Session, name: str, role: str) -> User:
    if role not in ROLES:
        raise InvalidUser(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    user = _existing(session, name)
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
