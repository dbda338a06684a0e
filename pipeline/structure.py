"""``Layout`` → the numbered clause tree, each node cited as a lawyer would cite it.

Numbering is recognised at the start of a line only where a paragraph can start (after a
line ending a sentence or a heading, or after white space), and only when it follows the
numbering already seen (5.2 → 5.3, 5.2.1, 6 or 6.1; (a) → (b) or (i)). That sequence check
is what keeps "30 days" or "Clause\\n23.4" at a line start from opening a clause.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from pipeline.types import Clause, ClauseKind, Layout, Line

_CONTAINER = re.compile(
    r"^(SCHEDULE|Schedule|ANNEX|Annex|APPENDIX|Appendix|EXHIBIT|Exhibit|ATTACHMENT|Attachment)"
    r"\s+(\d{1,3}(?:\.\d{1,2})?|[A-Z]|[IVXLC]{1,6})\b\.?\s*[-–—:]?\s*(.*)$"
)
_PART = re.compile(r"^(PART|Part)\s+(\d{1,2}|[A-Z]|[IVX]{1,4})\b\.?\s*[-–—:]?\s*(.*)$")
_ARTICLE = re.compile(r"^(ARTICLE|Article)\s+(\d{1,3}|[IVXLC]{1,7})\b\.?\s*[-–—:]?\s*(.*)$")
_SECTION = re.compile(
    r"^(SECTION|Section|CLAUSE|Clause)\s+(\d{1,3}(?:\.\d{1,3}){0,4})\.?(?:\s+(.*)|$)"
)
_DECIMAL = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){0,4})(\.?)(?:\s+|(?=[A-Z“\"(]))(.*)$")
_LIMB = re.compile(r"^\(([a-z]{1,2}|[ivxlc]{1,6}|[A-Z]{1,2}|\d{1,2})\)\s*(.*)$")
# Limbs printed "A." / "a)" / "ii." (common in US filings), and "1." inside a clause's list.
_LIMB_DOTTED = re.compile(r"^([A-Z]|[a-z]|[ivx]{1,5}|\d{1,2})[.)](?:\s+(.*)|$)")
_TOC_ENTRY = re.compile(r"(\.{4,}|…{2,}|\s\.\s\.\s\.)\s*\d+\s*$")
_CONTENTS = re.compile(r"^(table\s+of\s+)?contents$", re.I)
_END_MATTER = re.compile(
    r"^(IN WITNESS|SIGNED|Signed (by|for)|EXECUTED|Executed (as|by)|AS WITNESS|"
    r"This (Agreement|Deed|Contract) has been (entered|signed|executed))"
)
_TITLE_WORD = re.compile(r"^[A-Z0-9][\w’'&/,()\-]*$")
_SMALL_WORDS = {
    "of", "and", "or", "the", "for", "to", "in", "on", "by", "a", "an", "with", "at", "upon",
    "from", "under", "its", "as", "&", "-", "–", "—",
}
_MODAL = re.compile(r"\b(shall|will|may|must)\b", re.I)
_ROMAN = re.compile(r"^[ivxlc]+$")
_ROMAN_UPPER = re.compile(r"^[IVXLC]+$")


def layout_to_clauses(layout: Layout) -> tuple[Clause, ...]:
    """The clause tree of a document, in document order."""
    return _Parser(layout).parse()


# --- numbering helpers ----------------------------------------------------------------------


def _roman_value(s: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total, prev = 0, 0
    for ch in reversed(s.lower()):
        v = values[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def _alpha_value(s: str) -> int:
    # a..z = 1..26, aa = 27, bb = 28 (legal drafting doubles the letter after z)
    if len(s) == 2 and s[0] == s[1]:
        return 26 + ord(s[0].lower()) - 96
    return ord(s[0].lower()) - 96


@dataclass
class _LimbLevel:
    style: str  # "alpha", "roman", "ALPHA", "ROMAN", "digit"
    value: int
    node: int  # index of the node of the last limb at this level


def _limb_candidates(label: str) -> list[tuple[str, int]]:
    """Every (style, value) a limb label could be: "(i)" is roman 1 or the letter after (h)."""
    out = []
    if label.isdigit():
        return [("digit", int(label))]
    if label.islower():
        if _ROMAN.match(label):
            out.append(("roman", _roman_value(label)))
        if len(label) == 1 or (len(label) == 2 and label[0] == label[1]):
            out.append(("alpha", _alpha_value(label)))
    elif label.isupper():
        if _ROMAN_UPPER.match(label):
            out.append(("ROMAN", _roman_value(label)))
        if len(label) == 1 or (len(label) == 2 and label[0] == label[1]):
            out.append(("ALPHA", _alpha_value(label)))
    return out


def _follows(prev: tuple[int, ...] | None, num: tuple[int, ...]) -> bool:
    """Whether decimal number ``num`` may come after ``prev`` (gaps of one are tolerated)."""
    if prev is None:
        return num[-1] in (0, 1) or (len(num) == 1 and num[0] <= 3)
    for k in range(min(len(prev), len(num))):
        if num[:k] == prev[:k] and 1 <= num[k] - prev[k] <= 2:
            return all(n in (0, 1) for n in num[k + 1 :])
    if len(num) > len(prev) and num[: len(prev)] == prev:
        return all(n in (0, 1) for n in num[len(prev) :])
    return False


def _parse_number(label: str) -> tuple[int, ...]:
    return tuple(int(p) for p in label.strip(".").split("."))


def _is_title(text: str, max_words: int = 10) -> bool:
    words = text.replace("\u00a0", " ").split()
    if not words or len(words) > max_words:
        return False
    if text.isupper():
        return True
    return all(_TITLE_WORD.match(w) or w.lower() in _SMALL_WORDS for w in words)


# --- the parser -----------------------------------------------------------------------------


@dataclass
class _Node:
    ref: str
    label: str
    kind: ClauseKind
    depth: int
    parent: int | None
    heading: str | None
    start: int
    page_start: int
    container: str | None = None
    number: tuple[int, ...] | None = None
    segments: list[list[int]] = field(default_factory=list)
    page_end: int = 0
    body_x0: float | None = None

    def add(self, start: int, end: int, page: int) -> None:
        if start >= end:
            return
        if self.segments and start - self.segments[-1][1] <= 1:
            self.segments[-1][1] = end
        else:
            self.segments.append([start, end])
        self.page_end = max(self.page_end, page)


class _Parser:
    def __init__(self, layout: Layout):
        self.layout = layout
        self.text = layout.text
        self.nodes: list[_Node] = []
        self.current: int | None = None  # node receiving text
        self.clause: int | None = None  # deepest numbered (non-limb) node: limbs attach here
        self.container: int | None = None  # schedule/annex node
        self.part: int | None = None
        self.article: int | None = None
        self.last_number: tuple[int, ...] | None = None
        self.number_nodes: dict[tuple[int, ...], int] = {}
        self.limbs: list[_LimbLevel] = []
        self.pending_heading: str | None = None
        self.in_toc = False
        self.awaiting_title = False  # a schedule or article heading whose title is on the next line
        gaps = [
            ln.gap_before
            for ln in layout.lines
            if ln.table is None and 0 <= ln.gap_before < 50
        ]
        self.line_gap = statistics.median(gaps) if gaps else 2.0

    # -- driving ---------------------------------------------------------------------------

    def parse(self) -> tuple[Clause, ...]:
        lines = self.layout.lines
        for i, line in enumerate(lines):
            prev = lines[i - 1] if i else None
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if self._skip_toc(line):
                continue
            opens = self._opens(prev, line) or self._stands_alone(line)
            if line.table is None and opens and self._marker(line, prev, nxt):
                continue
            self._text(line, prev)
        return self._freeze()

    def _skip_toc(self, line: Line) -> bool:
        if _CONTENTS.match(line.text.strip()):
            self.in_toc = True
            return True
        if _TOC_ENTRY.search(line.text):
            return True
        if self.in_toc:
            # A contents list ends at the first line that is not an entry ending in a page number.
            if re.search(r"\s\d{1,3}$", line.text) and len(line.text) < 120:
                return True
            self.in_toc = False
        return False

    def _opens(self, prev: Line | None, line: Line) -> bool:
        """Whether a paragraph may start at ``line`` (so a number there can be numbering)."""
        if prev is None or prev.table is not None:
            return True
        if prev.page == line.page and line.gap_before > self.line_gap + 2.5:
            return True
        end = prev.text.rstrip()
        if end[-1:] in ".;:!?)”\"—–" or end.endswith((" and", " or", "and/or", ", but")):
            return not re.search(r"\b(Clause|Section|Schedule|paragraph|Article|Part)s?$", end)
        return self._heading_like(prev)

    def _stands_alone(self, line: Line) -> bool:
        """A SCHEDULE / EXHIBIT title in capitals or bold opens a container whatever came
        before it (signature blocks end without punctuation)."""
        m = _CONTAINER.match(line.text.strip())
        return bool(m) and (m.group(1).isupper() or line.bold) and len(line.text) < 80

    def _heading_like(self, line: Line) -> bool:
        text = line.text.strip()
        return (line.bold or text.isupper()) and len(text.split()) <= 12 and text[-1:] != ","

    # -- markers ---------------------------------------------------------------------------

    def _marker(self, line: Line, prev: Line | None, nxt: Line | None) -> bool:
        text = line.text.strip()
        if _END_MATTER.match(text) and self.clause is not None:
            self._open_end_matter(line)
            return True
        if m := _CONTAINER.match(text):
            # "EXHIBIT 10.14" above a SEC filing's title labels the filing, not a schedule.
            filing_label = (
                m.group(1).lower() == "exhibit" and "." in m.group(2)
                and not self.number_nodes and self.container is None
            )
            if not filing_label and self._container_like(line, m.group(3), m.group(1)):
                self._open_container(line, m, nxt)
                return True
        if (m := _PART.match(text)) and self._container_like(line, m.group(3), m.group(1)):
            self._open_part(line, m)
            return True
        if (m := _ARTICLE.match(text)) and self._container_like(line, m.group(3), m.group(1)):
            self._open_article(line, m)
            return True
        if m := _SECTION.match(text):
            number = _parse_number(m.group(2))
            if _follows(self.last_number, number) or line.bold:
                label = f"{m.group(1).capitalize()} {m.group(2).rstrip('.')}"
                self._open_numbered(line, label, number, m.group(3) or "", labelled=True)
                return True
        if m := _DECIMAL.match(text):
            number = _parse_number(m.group(1))
            rest = m.group(3)
            plausible = _follows(self.last_number, number) or (
                line.bold and len(number) == 1 and _is_title(rest)
            )
            # A bare number followed by lower-case text is a wrapped quantity, not numbering,
            # unless it is a sub-clause completing a stem (``31.1 … if:`` / ``31.1.1 an …``).
            wrapped = rest[:1].islower() and not m.group(2)
            completes = len(number) >= 2 and (prev is None or prev.text.rstrip()[-1:] in ":;") or (
                prev is not None and prev.text.rstrip().endswith((" or", " and")))
            if plausible and not (wrapped and not completes):
                self._open_numbered(line, m.group(1).rstrip("."), number, rest, labelled=False)
                return True
        m = _LIMB.match(text) or _LIMB_DOTTED.match(text)
        if m and self._open_limb(line, m.group(1), m.group(2) or ""):
            return True
        if (
            self._heading_like(line) and _is_title(text, 12) and nxt is not None
            and _LIMB.match(nxt.text) is None and self._starts_numbered(nxt)
        ):
                node = self.nodes[self.current] if self.current is not None else None
                if self.awaiting_title and node is not None and node.heading is None:
                    node.heading = text  # SCHEDULE 8 / EXIT MANAGEMENT / 1. INTRODUCTION
                    self.awaiting_title = False
                    return True
                self.pending_heading = text
                return True
        return False

    def _starts_numbered(self, line: Line) -> bool:
        t = line.text.strip()
        return bool(_SECTION.match(t) or _DECIMAL.match(t))

    def _container_like(self, line: Line, rest: str, word: str) -> bool:
        rest = rest.strip()
        if rest and (rest[-1:] in ".;," and not rest.isupper()):
            return False
        return (word.isupper() or line.bold) and (not rest or _is_title(rest, 14))

    def _open_container(self, line: Line, m: re.Match, nxt: Line | None) -> None:
        word = m.group(1).capitalize()
        ref = f"{word} {m.group(2)}"
        heading = m.group(3).strip() or None
        self._close_limbs()
        index = self._new(
            _Node(ref=ref, label=f"{m.group(1)} {m.group(2)}", kind="schedule", depth=0,
                  parent=None, heading=heading, start=line.start, page_start=line.page),
        )
        self.container, self.part, self.article, self.clause = index, None, None, None
        self.current = index
        self.last_number = None
        self.number_nodes = {}
        self.awaiting_title = heading is None

    def _open_part(self, line: Line, m: re.Match) -> None:
        self._close_limbs()
        prefix = self.nodes[self.container].ref if self.container is not None else None
        ref = f"{prefix}, Part {m.group(2)}" if prefix else f"Part {m.group(2)}"
        index = self._new(
            _Node(ref=ref, label=f"{m.group(1)} {m.group(2)}", kind="part", depth=1,
                  parent=self.container, heading=m.group(3).strip() or None, start=line.start,
                  page_start=line.page, container=prefix),
        )
        self.part, self.current, self.clause = index, index, None
        if prefix:  # paragraph numbering restarts in each part of a schedule
            self.last_number = None
            self.number_nodes = {}

    def _open_article(self, line: Line, m: re.Match) -> None:
        self._close_limbs()
        index = self._new(
            _Node(ref=f"Article {m.group(2)}", label=f"{m.group(1)} {m.group(2)}",
                  kind="article", depth=0, parent=self.container,
                  heading=m.group(3).strip() or None, start=line.start, page_start=line.page),
        )
        self.article, self.current, self.clause = index, index, index
        self.awaiting_title = not m.group(3).strip()

    def _open_end_matter(self, line: Line) -> None:
        self._close_limbs()
        index = self._new(
            _Node(ref="Execution", label="", kind="unnumbered", depth=0, parent=None,
                  heading=None, start=line.start, page_start=line.page),
        )
        self.current, self.clause, self.container = index, None, None
        self.nodes[index].add(line.start, line.end, line.page)

    def _open_numbered(
        self, line: Line, label: str, number: tuple[int, ...], rest: str, labelled: bool
    ) -> None:
        self._close_limbs()
        scope = self.part if self.part is not None and self.nodes[self.part].container else None
        scope = scope if scope is not None else self.container
        prefix = self.nodes[scope].ref if scope is not None else None
        ref = f"{prefix}, paragraph {label}" if prefix else label
        parent = self._numbered_parent(number)
        depth = (self.nodes[parent].depth + 1) if parent is not None else 0
        heading, body_offset = self._heading(line, rest)
        if heading is None and self.pending_heading:
            heading = self.pending_heading
        self.pending_heading = None
        index = self._new(
            _Node(ref=ref, label=label, kind="paragraph" if prefix else "clause", depth=depth,
                  parent=parent, heading=heading, start=line.start, page_start=line.page,
                  container=prefix, number=number),
        )
        node = self.nodes[index]
        node.add(body_offset, line.end, line.page)
        node.body_x0 = self._body_x0(line, body_offset)
        self.number_nodes[number] = index
        self.last_number = number
        self.current = self.clause = index

    def _numbered_parent(self, number: tuple[int, ...]) -> int | None:
        for k in range(len(number) - 1, 0, -1):
            if number[:k] in self.number_nodes:
                return self.number_nodes[number[:k]]
        for candidate in (self.article, self.part, self.container):
            if candidate is not None:
                return candidate
        return None

    def _open_limb(self, line: Line, label: str, rest: str) -> bool:
        if self.clause is None and self.current is None:
            return False
        choice = self._limb_level(label)
        if choice is None:
            return False
        level, style, value = choice
        del self.limbs[level:]
        if level:
            parent = self.limbs[level - 1].node
        elif self.clause is not None:
            parent = self.clause
        else:  # limbs straight under a schedule or the front matter: siblings, not nested
            parent = self.current
            while self.nodes[parent].kind == "limb" and self.nodes[parent].parent is not None:
                parent = self.nodes[parent].parent
        parent_node = self.nodes[parent]
        index = self._new(
            _Node(ref=f"{parent_node.ref}({label})", label=f"({label})", kind="limb",
                  depth=parent_node.depth + 1, parent=parent, heading=None, start=line.start,
                  page_start=line.page, container=parent_node.container),
        )
        body = line.start + (len(line.text) - len(line.text.lstrip())) + len(label) + 2
        while body < line.end and self.text[body] == " ":
            body += 1
        self.nodes[index].add(body, line.end, line.page)
        self.nodes[index].body_x0 = self._body_x0(line, body)
        self.limbs.append(_LimbLevel(style=style, value=value, node=index))
        self.current = index
        return True

    def _limb_level(self, label: str) -> tuple[int, str, int] | None:
        """Where a limb label fits in the open limb levels: (level, style, value) or None."""
        candidates = _limb_candidates(label)
        # Continue an open level (the deepest first), else open a new level one deeper.
        for level in range(len(self.limbs) - 1, -1, -1):
            for style, value in candidates:
                if self.limbs[level].style == style and 1 <= value - self.limbs[level].value <= 2:
                    return level, style, value
        open_styles = {lv.style for lv in self.limbs}
        for style, value in candidates:
            if value == 1 and style not in open_styles:
                return len(self.limbs), style, value
        return None

    def _close_limbs(self) -> None:
        self.limbs = []

    def _heading(self, line: Line, rest: str) -> tuple[str | None, int]:
        """The heading printed after a number on ``line`` and where the body text starts."""
        rest = rest.lstrip(" .")
        if not rest:
            return None, line.end
        rest_start = self._find(rest, line)
        words = [w for w in line.words if w.start >= rest_start]
        bold_run = []
        for w in words:
            if not w.bold:
                break
            bold_run.append(w)
        if bold_run and len(bold_run) < len(words):
            heading = self.text[bold_run[0].start : bold_run[-1].end].strip(" .:-–—")
            return heading or None, bold_run[-1].end
        if (line.bold or rest.isupper()) and len(rest.split()) <= 14 and rest[-1:] not in ",;":
            return rest.strip(" .:-–—"), line.end
        bare = rest.strip(" .:")
        if rest.rstrip().endswith(".") and _is_title(bare, 10) and not _MODAL.search(bare):
            return bare, line.end
        m = re.match(r"^(.{2,80}?)\.\s+(?=[A-Z“\"(])", rest)
        if m and _is_title(m.group(1), 8) and not _MODAL.search(m.group(1)):
            return m.group(1), rest_start + m.end()
        if _is_title(rest, 8) and rest[-1:] not in ".;,:" and not _MODAL.search(rest):
            return rest.strip(), line.end
        return None, rest_start

    def _find(self, rest: str, line: Line) -> int:
        offset = line.text.rfind(rest)
        return line.start + (offset if offset >= 0 else 0)

    def _body_x0(self, line: Line, body: int) -> float | None:
        for w in line.words:
            if w.start >= body:
                return w.bbox[0]
        return None

    # -- text ------------------------------------------------------------------------------

    def _text(self, line: Line, prev: Line | None) -> None:
        if self.current is None:
            self._front_matter(line)
            return
        node = self.nodes[self.current]
        if self.awaiting_title and node.kind in ("schedule", "article"):
            self.awaiting_title = False
            if node.heading is None and self._heading_like(line) and _is_title(line.text, 14):
                node.heading = line.text.strip()
                return
        self.awaiting_title = False
        if self.pending_heading:
            # A heading that did not lead into a numbered clause is ordinary text.
            self.pending_heading = None
        if node.kind == "limb" and self._flush_out(line, prev, node):
            target = self.limbs[0].node if self.limbs else self.current
            parent = self.nodes[target].parent
            self._close_limbs()
            self.current = parent if parent is not None else self.current
            node = self.nodes[self.current]
        node.add(line.start, line.end, line.page)

    def _flush_out(self, line: Line, prev: Line | None, limb: _Node) -> bool:
        """Text after a run of limbs, back at the clause's indent, belongs to the clause."""
        if prev is None or line.table is not None or limb.body_x0 is None:
            return False
        new_paragraph = prev.page != line.page or line.gap_before > self.line_gap + 2.5
        outdented = line.x0 < limb.body_x0 - 12
        return new_paragraph and outdented and prev.text.rstrip()[-1:] in ".;:"

    def _front_matter(self, line: Line) -> None:
        index = self._new(
            _Node(ref="Front matter", label="", kind="unnumbered", depth=0, parent=None,
                  heading=None, start=line.start, page_start=line.page),
        )
        self.current = index
        self.nodes[index].add(line.start, line.end, line.page)

    def _new(self, node: _Node) -> int:
        node.page_end = node.page_start
        self.nodes.append(node)
        return len(self.nodes) - 1

    # -- output ----------------------------------------------------------------------------

    def _freeze(self) -> tuple[Clause, ...]:
        n = len(self.nodes)
        span_end = [0] * n
        for i in range(n - 1, -1, -1):
            node = self.nodes[i]
            own_end = node.segments[-1][1] if node.segments else node.start
            span_end[i] = max(span_end[i], own_end)
            if node.parent is not None:
                span_end[node.parent] = max(span_end[node.parent], span_end[i])
        page_end = [node.page_end for node in self.nodes]
        for i in range(n - 1, -1, -1):
            parent = self.nodes[i].parent
            if parent is not None:
                page_end[parent] = max(page_end[parent], page_end[i])
        has_limb_text = [False] * n
        for node in self.nodes:
            if node.kind == "limb" and node.segments and node.parent is not None:
                has_limb_text[node.parent] = True
        out = []
        for i, node in enumerate(self.nodes):
            own = any(self.text[a:b].strip() for a, b in node.segments)
            unit = node.kind in ("clause", "paragraph", "article") and (own or has_limb_text[i])
            # A schedule written as lettered paragraphs, "(A) … (B) …", has no numbered
            # paragraphs: its top-level limbs are its units.
            parent_kind = self.nodes[node.parent].kind if node.parent is not None else None
            unit = unit or (node.kind == "limb" and parent_kind in ("schedule", "part") and own)
            out.append(
                Clause(
                    index=i,
                    ref=node.ref,
                    label=node.label,
                    kind=node.kind,
                    depth=node.depth,
                    parent=node.parent,
                    heading=node.heading,
                    start=node.start,
                    segments=tuple((a, b) for a, b in node.segments),
                    span_end=span_end[i],
                    page_start=node.page_start,
                    page_end=page_end[i],
                    unit=unit,
                    container=node.container,
                )
            )
        return tuple(out)
