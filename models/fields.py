"""What a reviewer may write into an obligation's fields, and when a value is a change.

- ``normalise`` puts a submitted value in the form it is stored in: Unicode NFC, line breaks
  as ``\\n`` (browsers send ``\\r\\n`` from a textarea), no surrounding white space, blank as
  None, categories in canonical order, durations upper case. ``is_change`` compares the stored
  and the submitted value after normalising both, so a form posted back untouched, from
  whatever browser, is never a correction (the web form, the CLI and any future API all go
  through here).
- ``validate`` refuses values a field does not allow, with a message naming the field.
- ``derive_deadline`` reads duration, business days, relation, anchor and date from deadline
  words as the extractor would; ``deadline_mismatches`` says where the stored parts contradict
  the words (the wording says 45 days, the duration says P60D).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from models.models import ObligationUpdate

CATEGORIES = ("exit", "data_return", "termination")
MODALITIES = ("obligation", "prohibition", "permission")
RELATIONS = ("within", "before", "after", "at_least", "by", "every", "immediately", "promptly")
EDITABLE_FIELDS = tuple(ObligationUpdate.model_fields)
DEADLINE_PARTS = (
    "deadline_duration", "deadline_business_days", "deadline_relation", "deadline_anchor",
    "deadline_date",
)
MAX_TEXT = 20_000  # characters in one field: a clause is rarely a tenth of it
# ISO-8601 durations as the pipeline writes them: P30D, P3M, P1Y6M, PT48H, P2W.
_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"
)


class InvalidValue(ValueError):
    """A correction with a value outside what the field allows; the message names it."""


def normalise_value(value: str | None) -> str | None:
    """NFC, ``\\n`` line breaks, no surrounding white space; blank is None."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return value.strip() or None


def normalise(name: str, value: Any) -> Any:
    """``value`` for field ``name`` in its stored form (see the module's docstring). Lenient:
    an invalid value comes back normalised, not refused (``validate`` refuses)."""
    if name == "categories":
        given = [normalise_value(c) for c in value or [] if isinstance(c, str)]
        return [c for c in CATEGORIES if c in given] + sorted(
            {c for c in given if c and c not in CATEGORIES}
        )
    if name == "deadline_business_days":
        return value if isinstance(value, bool) else None
    if not isinstance(value, str):
        return value
    value = normalise_value(value)
    if value is not None and name == "deadline_duration":
        value = value.upper()
    return value


def is_change(name: str, stored: Any, submitted: Any) -> bool:
    """Whether ``submitted`` differs from ``stored`` once both are normalised."""
    return normalise(name, stored) != normalise(name, submitted)


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values normalised, or ``InvalidValue`` naming the first one not allowed."""
    out = {}
    for name, raw in values.items():
        value = normalise(name, raw)
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise InvalidValue(f"{name} is too long ({len(value)} characters, {MAX_TEXT} at most)")
        _check(name, value)
        if name == "deadline_date" and value is not None:
            value = date.fromisoformat(value).isoformat()
        out[name] = value
    return out


def _check(name: str, value: Any) -> None:
    if name == "categories":
        unknown = [c for c in value if c not in CATEGORIES]
        if unknown:
            raise InvalidValue(f"unknown category {unknown[0]!r}: one of {CATEGORIES}")
    elif name == "modality" and value not in MODALITIES:
        raise InvalidValue(f"unknown modality {value!r}: one of {MODALITIES}")
    elif name == "action" and not value:
        raise InvalidValue("the action cannot be empty")
    elif name == "deadline_relation" and value is not None and value not in RELATIONS:
        raise InvalidValue(f"unknown deadline relation {value!r}: one of {RELATIONS}")
    elif name == "deadline_duration" and value is not None and not _DURATION.match(value):
        raise InvalidValue(
            f"deadline duration {value!r} is not ISO-8601 (e.g. P30D, P3M, PT48H)"
        )
    elif name == "deadline_date" and value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise InvalidValue(
                f"deadline date {value!r} is not a date in the form YYYY-MM-DD"
            ) from None


# --- deadlines ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _read_deadline(text: str):
    from pipeline.deadlines import find_deadline

    return find_deadline(text)


def derive_deadline(text: str | None) -> dict[str, Any]:
    """The structured parts the words ``text`` state, as the extractor reads them (all None
    when they state no time)."""
    parsed = _read_deadline(text) if text else None
    return {
        "deadline_duration": parsed.duration if parsed else None,
        "deadline_business_days": parsed.business_days if parsed else None,
        "deadline_relation": parsed.relation if parsed else None,
        "deadline_anchor": parsed.anchor if parsed else None,
        "deadline_date": parsed.date if parsed else None,
    }


@dataclass(frozen=True)
class DeadlineMismatch:
    field: str  # one of DEADLINE_PARTS
    stored: Any
    read: Any  # what the words say

    def __str__(self) -> str:
        label = self.field.removeprefix("deadline_").replace("_", " ")
        return f"the wording says {label} {shown(self.read)}, the field says {shown(self.stored)}"


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "none" if value is None else str(value)


def _same_anchor(a: str, b: str) -> bool:
    def words(s: str) -> list[str]:
        return [w for w in re.findall(r"[a-z0-9]+", s.lower()) if w not in ("the", "of", "a")]

    return words(a) == words(b)


def deadline_mismatches(values: Mapping[str, Any]) -> list[DeadlineMismatch]:
    """Where the stored parts of a deadline contradict its words. A part the words do not
    state (no anchor in "within 30 days") contradicts nothing; a business-day flag only
    counts when the words give a duration."""
    text = values.get("deadline_text")
    if not text:
        return []
    read = derive_deadline(text)
    out = []
    for name in ("deadline_duration", "deadline_relation", "deadline_anchor", "deadline_date"):
        stored, said = values.get(name), read[name]
        if said is None or stored is None:
            continue
        same = _same_anchor(stored, said) if name == "deadline_anchor" else (
            normalise(name, stored) == normalise(name, said))
        if not same:
            out.append(DeadlineMismatch(name, stored, said))
    flag = values.get("deadline_business_days")
    if read["deadline_duration"] and flag is not None and flag != read["deadline_business_days"]:
        out.append(DeadlineMismatch("deadline_business_days", flag,
                                    read["deadline_business_days"]))
    return out
