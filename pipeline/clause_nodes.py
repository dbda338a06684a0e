"""Nodes of the clause tree as the parser builds them (``Node``), and the frozen
``ClauseNode``s they become: where each node and its descendants end, which nodes are
classification units."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.types import ClauseKind, ClauseNode


@dataclass
class Node:
    ref: str
    label: str
    kind: ClauseKind
    depth: int
    parent: int | None
    heading: str | None
    start: int
    page_start: int
    container: str | None = None
    section: str | None = None
    number: tuple[float, ...] | None = None
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


def freeze(nodes: list[Node], text: str) -> tuple[ClauseNode, ...]:
    n = len(nodes)
    span_end = [0] * n
    for i in range(n - 1, -1, -1):
        node = nodes[i]
        own_end = node.segments[-1][1] if node.segments else node.start
        span_end[i] = max(span_end[i], own_end)
        if node.parent is not None:
            span_end[node.parent] = max(span_end[node.parent], span_end[i])
    page_end = [node.page_end for node in nodes]
    for i in range(n - 1, -1, -1):
        parent = nodes[i].parent
        if parent is not None:
            page_end[parent] = max(page_end[parent], page_end[i])
    has_limb_text = [False] * n
    for node in nodes:
        if node.kind == "limb" and node.segments and node.parent is not None:
            has_limb_text[node.parent] = True
    out = []
    for i, node in enumerate(nodes):
        own = any(text[a:b].strip() for a, b in node.segments)
        unit = node.kind in ("clause", "paragraph", "article") and (own or has_limb_text[i])
        # A schedule written as lettered paragraphs, "(A) … (B) …", has no numbered
        # paragraphs: its top-level limbs are its units.
        parent_kind = nodes[node.parent].kind if node.parent is not None else None
        unit = unit or (node.kind == "limb" and parent_kind in ("schedule", "part") and own)
        out.append(
            ClauseNode(
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
                section=node.section,
            )
        )
    return tuple(out)
