"""The grammar of clause numbering: what a printed label may be and what may follow what
(5.2 → 5.3, 5.2.1, 6 or 6.1; (a) → (b) or (i); (h) → (i) is a letter, (i) under (a) a
roman numeral), and the shapes of headings, schedules, parts and articles."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "CALL-OFF SCHEDULE C8: (OPTIONAL)", "JOINT SCHEDULE 3", "SCHEDULE – I", "Annexure 3"
_QUALIFIER = r"(?:(?:CALL[- ]OFF|Call[- ]Off|JOINT|Joint|FRAMEWORK|Framework)\s+)?"
_OPTIONAL = r"(?:\((?:OPTIONAL|Optional|O)\)\s*)?"
CONTAINER = re.compile(
    rf"^{_QUALIFIER}(SCHEDULE|Schedule|ANNEXURE|Annexure|ANNEX|Annex|APPENDIX|Appendix|EXHIBIT|"
    r"Exhibit|ATTACHMENT|Attachment)\s*[-–—]?\s*([A-Z]?\d{1,3}(?:\.\d{1,2})?|[A-Z]|[IVXLC]{1,6})"
    rf"\b\.?\s*{_OPTIONAL}[-–—:]?\s*{_OPTIONAL}(.*)$"
)
# "PART B - ANNEX 1: BASELINE SECURITY REQUIREMENTS": an annex of a part (word and label in
# groups 1 and 2 as in CONTAINER, the part's label named).
PART_ANNEX = re.compile(
    r"^(?:PART|Part)\s+(?P<part>[A-Z]|\d{1,2})\s*[-–—:]\s*(ANNEX|Annex|APPENDIX|Appendix)\s+"
    r"(\d{1,3}|[A-Z])\b\.?\s*[-–—:]?\s*(.*)$"
)
PART = re.compile(r"^(PART|Part)\s+(\d{1,2}|[A-Z]|[IVX]{1,4})\b\.?\s*[-–—:]?\s*(.*)$")
ARTICLE = re.compile(
    r"^(ARTICLE|Article)\s*[-–—]?\s*(\d{1,3}[A-Z]?|[IVXLC]{1,7})\b\.?\s*[-–—:]?\s*(.*)$"
)
# Numbers as printed: "12.1", "12.1.", "16A.1", and "6. 2. 1." (a space after each full stop,
# as some filings are typeset).
_NUMBER = r"\d{1,3}[A-Z]?(?:\.\s?\d{1,3}){0,4}"
SECTION = re.compile(rf"^(SECTION|Section|CLAUSE|Clause)\s+({_NUMBER})\.?(?:\s+(.*)|$)")
DECIMAL = re.compile(rf"^({_NUMBER})(\.?)(?:\s+|(?=[A-Z“\"(]))(.*)$")
# "3.3.1unless otherwise …": a sub-clause number run into its first word (a lost tab).
GLUED = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){2,4})()(?=[a-z])(.*)$")
# A bullet glyph before a clause number: "• 12.1 …", "(cid:127) 12.1 …"
BULLET = re.compile(r"^(?:\(cid:\d+\)|[•●▪◦·∙‣⁃■□►➢])\s*")
LIMB = re.compile(r"^\(([a-z]{1,2}|[ivxlc]{1,6}|[A-Z]{1,2}|\d{1,2})\)\s*(.*)$")
# Limbs printed "A." / "a)" / "ii." (common in US filings), and "1." inside a clause's list.
LIMB_DOTTED = re.compile(r"^([A-Z]|[a-z]|[ivx]{1,5}|\d{1,2})[.)](?:\s+(.*)|$)")
TOC_ENTRY = re.compile(r"(\.{4,}|…{2,}|\s\.\s\.\s\.)\s*(?:(?i:page)\s+)?\d+\s*$")
CONTENTS = re.compile(r"^(table\s+of\s+)?contents$", re.I)
END_MATTER = re.compile(
    r"^(IN WITNESS|SIGNED|Signed (by|for)|EXECUTED|Executed (as|by)|AS WITNESS|"
    r"This (Agreement|Deed|Contract) has been (entered|signed|executed))"
)
TITLE_WORD = re.compile(r"^[A-Z0-9][\w’'&/,()\-]*$")
SMALL_WORDS = {
    "of",
    "and",
    "or",
    "the",
    "for",
    "to",
    "in",
    "on",
    "by",
    "a",
    "an",
    "with",
    "at",
    "upon",
    "from",
    "under",
    "its",
    "as",
    "&",
    "-",
    "–",
    "—",
}
MODAL = re.compile(r"\b(shall|will|may|must)\b", re.I)
ROMAN = re.compile(r"^[ivxlc]+$")
ROMAN_UPPER = re.compile(r"^[IVXLC]+$")


def roman_value(s: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total, prev = 0, 0
    for ch in reversed(s.lower()):
        v = values[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def alpha_value(s: str) -> int:
    # a..z = 1..26, aa = 27, bb = 28 (legal drafting doubles the letter after z)
    if len(s) == 2 and s[0] == s[1]:
        return 26 + ord(s[0].lower()) - 96
    return ord(s[0].lower()) - 96


@dataclass
class LimbLevel:
    style: str  # "alpha", "roman", "ALPHA", "ROMAN", "digit"
    value: int
    node: int  # index of the node of the last limb at this level


def limb_candidates(label: str) -> list[tuple[str, int]]:
    """Every (style, value) a limb label could be: "(i)" is roman 1 or the letter after (h)."""
    out = []
    if label.isdigit():
        return [("digit", int(label))]
    if label.islower():
        if ROMAN.match(label):
            out.append(("roman", roman_value(label)))
        if len(label) == 1 or (len(label) == 2 and label[0] == label[1]):
            out.append(("alpha", alpha_value(label)))
    elif label.isupper():
        if ROMAN_UPPER.match(label):
            out.append(("ROMAN", roman_value(label)))
        if len(label) == 1 or (len(label) == 2 and label[0] == label[1]):
            out.append(("ALPHA", alpha_value(label)))
    return out


def follows(prev: tuple[float, ...] | None, num: tuple[float, ...]) -> bool:
    """Whether decimal number ``num`` may come after ``prev`` (gaps of one are tolerated; a
    lettered number, "16A", may follow any "16…")."""
    if prev is None:
        return num[-1] in (0, 1) or (len(num) == 1 and num[0] <= 3)
    for k in range(min(len(prev), len(num))):
        step = num[k] - prev[k]
        if num[:k] == prev[:k] and (1 <= step <= 2 or (0 < step < 1 and num[k] % 1)):
            return all(n in (0, 1) for n in num[k + 1 :])
    if len(num) > len(prev) and num[: len(prev)] == prev:
        return all(n in (0, 1) for n in num[len(prev) :])
    return False


def parse_number(label: str) -> tuple[float, ...]:
    """ "12.1" → (12, 1); "6. 2. 1." → (6, 2, 1); "16A.1" → (16.01, 1)."""
    out: list[float] = []
    for part in label.replace(" ", "").strip(".").split("."):
        letter = part[-1] if part[-1:].isalpha() else ""
        digits = part[:-1] if letter else part
        out.append(int(digits) + ((ord(letter.upper()) - 64) / 100 if letter else 0))
    return tuple(out)


def printed_label(label: str) -> str:
    """A number as a lawyer cites it: "6. 2. 1." → "6.2.1", "12.1." → "12.1"."""
    return label.replace(" ", "").rstrip(".")


def is_title(text: str, max_words: int = 10) -> bool:
    words = text.replace("\u00a0", " ").split()
    if not words or len(words) > max_words:
        return False
    if text.isupper():
        return True
    return all(TITLE_WORD.match(w) or w.lower() in SMALL_WORDS for w in words)
