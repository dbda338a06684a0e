"""SQLModel tables, engine and sessions."""

from models.db import database_url, get_engine, init_db, session_scope
from models.models import (
    ApiToken,
    Clause,
    Document,
    ExportState,
    HandoverMark,
    Obligation,
    ObligationUpdate,
    ReviewEvent,
    Run,
    User,
    utcnow,
)

__all__ = [
    "ApiToken", "Clause", "Document", "ExportState", "HandoverMark", "Obligation",
    "ObligationUpdate", "ReviewEvent", "Run", "User", "database_url", "get_engine", "init_db",
    "session_scope", "utcnow",
]
