"""``Layout`` → the numbered clause tree, each node cited as a lawyer would cite it.

Numbering is recognised at the start of a line only where a paragraph can start (after a
line ending a sentence or a heading, or after white space), and only when it follows the
numbering already seen (5.2 → 5.3, 5.2.1, 6 or 6.1; (a) → (b) or (i)). That sequence check
is what keeps "30 days" or "Clause\\n23.4" at a line start from opening a clause.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.clause_nodes import Node, freeze
from pipeline.clause_tree import TreeBuilder
from pipeline.numbering import (
    ARTICLE,
    BULLET,
    CONTAINER,
    CONTENTS,
    DECIMAL,
    END_MATTER,
    GLUED,
    LIMB,
    LIMB_DOTTED,
    PART,
    PART_ANNEX,
    SECTION,
    TOC_ENTRY,
    follows,
    is_title,
    parse_number,
    printed_label,
)
from pipeline.types import ClauseNode, Layout, Line


def layout_to_clauses(layout: Layout) -> tuple[ClauseNode, ...]:
    """The clause tree of a document, in document order."""
    return _Parser(_bold_that_means_something(layout)).parse()


def _bold_that_means_something(layout: Layout) -> Layout:
    """A document set all in bold has no bold headings: bold is dropped where most of the
    body text is bold, so that every line is not read as a heading."""
    body = [ln for ln in layout.lines if ln.table is None]
    if not body or sum(ln.bold for ln in body) <= 0.5 * len(body):
        return layout
    lines = tuple(
        replace(ln, bold=False, words=tuple(replace(w, bold=False) for w in ln.words))
        for ln in layout.lines
    )
    return replace(layout, lines=lines)


# --- the parser -----------------------------------------------------------------------------


class _Parser(TreeBuilder):
    """Reads the lines and decides what each one is; ``TreeBuilder`` builds the tree."""

    # -- driving ---------------------------------------------------------------------------

    def parse(self) -> tuple[ClauseNode, ...]:
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
        return freeze(self.nodes, self.text)

    def _skip_toc(self, line: Line) -> bool:
        if CONTENTS.match(line.text.strip()):
            self.in_toc = True
            return True
        if TOC_ENTRY.search(line.text):
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
        if end[-1:] in '.;:!?)”"—–' or end.endswith((" and", " or", "and/or", ", but")):
            return not re.search(r"\b(Clause|Section|Schedule|paragraph|Article|Part)s?$", end)
        return self._heading_like(prev)

    def _stands_alone(self, line: Line) -> bool:
        """A SCHEDULE / EXHIBIT title in capitals or bold opens a container whatever came
        before it (signature blocks end without punctuation)."""
        m = CONTAINER.match(line.text.strip())
        return m is not None and (m.group(1).isupper() or line.bold) and len(line.text) < 80

    def _heading_like(self, line: Line) -> bool:
        text = line.text.strip()
        if len(text.split()) > 12 or text[-1:] in ",.;:":
            return False
        # Bold or capitals; or a short line in title case set apart by white space above.
        apart = line.gap_before > self.line_gap + 4
        return line.bold or text.isupper() or (apart and is_title(text, 8) and text[:1].isupper())

    # -- markers ---------------------------------------------------------------------------

    def _marker(self, line: Line, prev: Line | None, nxt: Line | None) -> bool:
        """Whether ``line`` opens a node (and it was opened) or is a heading for the next."""
        text = BULLET.sub("", line.text.strip())
        if END_MATTER.match(text) and self.clause is not None:
            self._open_end_matter(line)
            return True
        return (
            self._container_marker(line, text, nxt)
            or self._numbered_marker(line, text, prev)
            or self._limb_marker(line, text)
            or self._heading_marker(line, text, nxt)
        )

    def _container_marker(self, line: Line, text: str, nxt: Line | None) -> bool:
        if (m := PART_ANNEX.match(text)) and self._container_like(line, m.group(4), m.group(2)):
            self._open_container(line, m, nxt)
            return True
        if m := CONTAINER.match(text):
            # "EXHIBIT 10.14" above a SEC filing's title labels the filing, not a schedule.
            filing_label = (
                m.group(1).lower() == "exhibit"
                and "." in m.group(2)
                and not self.number_nodes
                and self.container is None
            )
            if not filing_label and self._container_like(line, m.group(3), m.group(1)):
                self._open_container(line, m, nxt)
                return True
        if (m := PART.match(text)) and self._container_like(line, m.group(3), m.group(1)):
            self._open_part(line, m)
            return True
        if (m := ARTICLE.match(text)) and self._container_like(line, m.group(3), m.group(1)):
            self._open_article(line, m)
            return True
        return False

    def _numbered_marker(self, line: Line, text: str, prev: Line | None) -> bool:
        if m := SECTION.match(text):
            number = parse_number(m.group(2))
            if self._follows(number) or line.bold:
                label = f"{m.group(1).capitalize()} {printed_label(m.group(2))}"
                self._open_numbered(line, label, number, m.group(3) or "", labelled=True)
                return True
        if m := DECIMAL.match(text) or GLUED.match(text):
            label, rest = self._longest_following(m.group(1), m.group(3))
            number = parse_number(label)
            plausible = self._follows(number) or (line.bold and len(number) == 1 and is_title(rest))
            # A bare number followed by lower-case text is a wrapped quantity, not numbering,
            # unless it is a sub-clause completing a stem (``31.1 … if:`` / ``31.1.1 an …``).
            wrapped = rest[:1].islower() and not m.group(2)
            completes = (
                len(number) >= 2
                and (prev is None or prev.text.rstrip()[-1:] in ":;")
                or (prev is not None and prev.text.rstrip().endswith((" or", " and", "/or")))
            )
            if plausible and not (wrapped and not completes):
                self._open_numbered(line, printed_label(label), number, rest, labelled=False)
                return True
        return False

    def _longest_following(self, printed: str, rest: str) -> tuple[str, str]:
        """ "6. 2. 1. 30 (thirty) days": the longest leading run of the printed number that
        follows the numbering so far ("6. 2. 1."), the rest being text ("30 (thirty) …")."""
        parts = printed.split(".")
        for k in range(len(parts), 0, -1):
            # Cut only where the printed number has a space: "2.17" is one number.
            if k < len(parts) and not parts[k][:1].isspace():
                continue
            label = ".".join(parts[:k])
            if label.strip() and self._follows(parse_number(label)):
                dropped = ".".join(parts[k:]).strip(" .")
                return label, f"{dropped} {rest}".strip() if dropped else rest
        return printed, rest

    def _follows(self, number: tuple[float, ...]) -> bool:
        if follows(self.last_number, number):
            return True
        same = self.last_of_length.get(len(number))
        if len(number) < 2 or same is None or number[:-1] != same[:-1]:
            return False
        return 1 <= number[-1] - same[-1] <= 6  # a broken run skips a few: 2.12 … 2.17

    def _limb_marker(self, line: Line, text: str) -> bool:
        m = LIMB.match(text) or LIMB_DOTTED.match(text)
        return m is not None and self._open_limb(line, m.group(1), m.group(2) or "")

    def _heading_marker(self, line: Line, text: str, nxt: Line | None) -> bool:
        """A heading on a line of its own, above the numbered clause it names."""
        if not (
            self._heading_like(line)
            and is_title(text, 12)
            and nxt is not None
            and LIMB.match(nxt.text) is None
            and self._starts_numbered(nxt)
        ):
            return False
        node = self.nodes[self.current] if self.current is not None else None
        if self.awaiting_title and node is not None and node.heading is None:
            node.heading = text  # SCHEDULE 8 / EXIT MANAGEMENT / 1. INTRODUCTION
            self.awaiting_title = False
            return True
        self.pending_heading = text
        return True

    def _starts_numbered(self, line: Line) -> bool:
        t = line.text.strip()
        return bool(SECTION.match(t) or DECIMAL.match(t))

    def _container_like(self, line: Line, rest: str, word: str) -> bool:
        rest = rest.strip()
        if rest and (rest[-1:] in ".;," and not rest.isupper()):
            return False
        # A title may carry a note in brackets: "PART A: SHORT FORM … (applicable to Lot 1a)".
        title = rest.split("(")[0].strip() if rest[:1] != "(" else rest
        return (word.isupper() or line.bold) and (not title or is_title(title, 14))

    # -- text ------------------------------------------------------------------------------

    def _text(self, line: Line, prev: Line | None) -> None:
        if self.current is None:
            self._front_matter(line)
            return
        node = self.nodes[self.current]
        if self.awaiting_title and node.kind in ("schedule", "article"):
            self.awaiting_title = False
            if node.heading is None and self._heading_like(line) and is_title(line.text, 14):
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

    def _flush_out(self, line: Line, prev: Line | None, limb: Node) -> bool:
        """Text after a run of limbs, back at the clause's indent, belongs to the clause."""
        if prev is None or line.table is not None or limb.body_x0 is None:
            return False
        new_paragraph = prev.page != line.page or line.gap_before > self.line_gap + 2.5
        outdented = line.x0 < limb.body_x0 - 12
        return new_paragraph and outdented and prev.text.rstrip()[-1:] in ".;:"
