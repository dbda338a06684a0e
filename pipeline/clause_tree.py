"""The clause tree's builder: the operations that open nodes (a schedule, a part, an article,
a numbered clause, a limb) as the parser reads the lines. Its nodes are ``clause_nodes``."""

from __future__ import annotations

import re
import statistics

from pipeline.clause_nodes import Node
from pipeline.numbering import MODAL, PART_ANNEX, LimbLevel, is_title, limb_candidates
from pipeline.types import Layout, Line


class TreeBuilder:
    """The parser's state and the operations that open nodes: a schedule, a part, an
    article, a numbered clause or paragraph (cited with its container), a limb (its level
    chosen by the numbering grammar), the front matter and the execution block."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.text = layout.text
        self.nodes: list[Node] = []
        self.current: int | None = None  # node receiving text
        self.clause: int | None = None  # deepest numbered (non-limb) node: limbs attach here
        self.container: int | None = None  # schedule/annex node (the innermost)
        self.schedule: int | None = None  # the outermost schedule, whose parts these are
        self.part: int | None = None
        self.article: int | None = None
        self.last_number: tuple[float, ...] | None = None
        # The last number of each length: where a document's automatic numbering broke
        # ("3. PROVISION OF INFORMATION" / "2.2 The Supplier …"), sub-clauses still follow
        # each other.
        self.last_of_length: dict[int, tuple[float, ...]] = {}
        self.number_nodes: dict[tuple[float, ...], int] = {}
        self.limbs: list[LimbLevel] = []
        self.pending_heading: str | None = None
        self.sections: dict[int, str] = {}  # number length -> the heading of the current run
        self.in_toc = False
        self.awaiting_title = False  # a schedule or article heading whose title is on the next line
        gaps = [
            ln.gap_before for ln in layout.lines if ln.table is None and 0 <= ln.gap_before < 50
        ]
        self.line_gap = statistics.median(gaps) if gaps else 2.0

    def _open_container(self, line: Line, m: re.Match, nxt: Line | None) -> None:
        printed, label, rest = (
            (m.group(2), m.group(3), m.group(4))
            if m.re is PART_ANNEX
            else (m.group(1), m.group(2), m.group(3))
        )
        word = printed.capitalize()
        heading = rest.strip() or None
        self._close_limbs()
        # "PART B - ANNEX 1: …" inside a schedule: the annex of that part,
        # "Schedule C8, Part B, Annex 1".
        inside = None
        if m.re is PART_ANNEX and self.schedule is not None:
            inside = self._part_named(m.group("part"))
        ref = f"{word} {label}"
        if inside is not None:
            ref = f"{self.nodes[inside].ref}, {ref}"
        index = self._new(
            Node(
                ref=ref,
                label=f"{printed} {label}",
                kind="schedule",
                depth=0 if inside is None else self.nodes[inside].depth + 1,
                parent=inside,
                heading=heading,
                start=line.start,
                page_start=line.page,
                container=self.nodes[inside].ref if inside is not None else None,
            ),
        )
        # An annex to a schedule does not end it: a later "PART E" is still the schedule's.
        annex_of_schedule = (
            word in ("Annex", "Annexure", "Appendix")
            and self.schedule is not None
            and self.nodes[self.schedule].ref.startswith("Schedule")
        )
        if inside is None and not annex_of_schedule:
            self.schedule = index
        self.container, self.part, self.article, self.clause = index, None, None, None
        self.current = index
        self.last_number = None
        if not annex_of_schedule:  # Word's numbering may run on through a schedule's annexes
            self.last_of_length = {}
        self.sections = {}
        self.number_nodes = {}
        self.awaiting_title = heading is None

    def _part_named(self, label: str) -> int | None:
        """The part of the current schedule printed with ``label`` (its latest)."""
        wanted = (
            f"{self.nodes[self.schedule].ref}, Part {label}" if self.schedule is not None else ""
        )
        found = [i for i, n in enumerate(self.nodes) if n.kind == "part" and n.ref == wanted]
        return found[-1] if found else None

    def _open_part(self, line: Line, m: re.Match) -> None:
        self._close_limbs()
        outer = self.schedule if self.container is not None else None
        prefix = self.nodes[outer].ref if outer is not None else None
        ref = f"{prefix}, Part {m.group(2)}" if prefix else f"Part {m.group(2)}"
        index = self._new(
            Node(
                ref=ref,
                label=f"{m.group(1)} {m.group(2)}",
                kind="part",
                depth=1,
                parent=outer,
                heading=m.group(3).strip() or None,
                start=line.start,
                page_start=line.page,
                container=prefix,
            ),
        )
        self.container = outer
        self.part, self.current, self.clause = index, index, None
        if prefix:  # paragraph numbering restarts in each part of a schedule (but may also
            self.last_number = None  # run on from the previous part: last_of_length stays)
            self.sections = {}
            self.number_nodes = {}

    def _open_article(self, line: Line, m: re.Match) -> None:
        self._close_limbs()
        index = self._new(
            Node(
                ref=f"Article {m.group(2)}",
                label=f"{m.group(1)} {m.group(2)}",
                kind="article",
                depth=0,
                parent=self.container,
                heading=m.group(3).strip() or None,
                start=line.start,
                page_start=line.page,
            ),
        )
        self.article, self.current, self.clause = index, index, index
        self.awaiting_title = not m.group(3).strip()

    def _open_end_matter(self, line: Line) -> None:
        self._close_limbs()
        index = self._open_unnumbered("Execution", line)
        self.current, self.clause, self.container = index, None, None

    def _open_numbered(
        self, line: Line, label: str, number: tuple[float, ...], rest: str, labelled: bool
    ) -> None:
        self._close_limbs()
        scope = self.part if self.part is not None and self.nodes[self.part].container else None
        scope = scope if scope is not None else self.container
        prefix = self.nodes[scope].ref if scope is not None else None
        ref = f"{prefix}, paragraph {label}" if prefix else label
        parent = self._numbered_parent(number)
        depth = (self.nodes[parent].depth + 1) if parent is not None else 0
        heading, body_offset = self._heading(line, rest)
        depth_key = len(number)
        for deeper in [d for d in self.sections if d > depth_key]:
            del self.sections[deeper]
        if heading is None and self.pending_heading:
            heading = self.pending_heading
            self.sections[depth_key] = heading  # a heading on its own line opens a run
        elif heading is not None:
            self.sections.pop(depth_key, None)
        section = self.sections.get(depth_key) if heading is None else None
        self.pending_heading = None
        index = self._new(
            Node(
                ref=ref,
                label=label,
                kind="paragraph" if prefix else "clause",
                depth=depth,
                parent=parent,
                heading=heading,
                start=line.start,
                page_start=line.page,
                container=prefix,
                number=number,
                section=section,
            ),
        )
        node = self.nodes[index]
        node.add(body_offset, line.end, line.page)
        node.body_x0 = self._body_x0(line, body_offset)
        self.number_nodes[number] = index
        self.last_number = number
        self.last_of_length[len(number)] = number
        self.current = self.clause = index

    def _numbered_parent(self, number: tuple[float, ...]) -> int | None:
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
            parent = self.current if self.current is not None else 0
            while (
                self.nodes[parent].kind == "limb" and (up := self.nodes[parent].parent) is not None
            ):
                parent = up
        parent_node = self.nodes[parent]
        index = self._new(
            Node(
                ref=f"{parent_node.ref}({label})",
                label=f"({label})",
                kind="limb",
                depth=parent_node.depth + 1,
                parent=parent,
                heading=None,
                start=line.start,
                page_start=line.page,
                container=parent_node.container,
            ),
        )
        body = line.start + (len(line.text) - len(line.text.lstrip())) + len(label) + 2
        while body < line.end and self.text[body] == " ":
            body += 1
        self.nodes[index].add(body, line.end, line.page)
        self.nodes[index].body_x0 = self._body_x0(line, body)
        self.limbs.append(LimbLevel(style=style, value=value, node=index))
        self.current = index
        return True

    def _limb_level(self, label: str) -> tuple[int, str, int] | None:
        """Where a limb label fits in the open limb levels: (level, style, value) or None."""
        candidates = limb_candidates(label)
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
        if rest.rstrip().endswith(".") and is_title(bare, 10) and not MODAL.search(bare):
            return bare, line.end
        m = re.match(r"^(.{2,80}?)\.\s+(?=[A-Z“\"(])", rest)
        if m and is_title(m.group(1), 8) and not MODAL.search(m.group(1)):
            return m.group(1), rest_start + m.end()
        if is_title(rest, 8) and rest[-1:] not in ".;,:" and not MODAL.search(rest):
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

    def _front_matter(self, line: Line) -> None:
        self.current = self._open_unnumbered("Front matter", line)

    def _open_unnumbered(self, ref: str, line: Line) -> int:
        """A top-level node without a number (the front matter, the execution block), holding
        ``line``."""
        index = self._new(
            Node(
                ref=ref,
                label="",
                kind="unnumbered",
                depth=0,
                parent=None,
                heading=None,
                start=line.start,
                page_start=line.page,
            ),
        )
        self.nodes[index].add(line.start, line.end, line.page)
        return index

    def _new(self, node: Node) -> int:
        node.page_end = node.page_start
        self.nodes.append(node)
        return len(self.nodes) - 1
