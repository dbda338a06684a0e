"""The exit checklist against the gold (CHECKLIST.md, "How the product is scored").

Item accuracy: over every (contract, item) pair, the share whose predicted state equals the
gold state, per item and overall. A predicted ``present`` / ``weak`` that is right on state but
shares no ref with the gold refs is counted right and listed as a ref miss. Pure: gold files
are read here, predictions come in as ``Checklist`` objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.checklist import Checklist
from pipeline.checklist_rules import STATES
from pipeline.evaluate import norm_ref


class ChecklistGoldError(ValueError):
    """A gold file's checklist is not complete or not valid."""

    code = "invalid_checklist_gold"


@dataclass(frozen=True)
class GoldChecklist:
    document: str  # the PDF's file name
    sha256: str | None
    source: str | None  # where the PDF is, for real contracts (relative to shared/)
    gold_set: str  # samples | dev | test
    items: dict[str, tuple[str, tuple[str, ...]]]  # item -> (state, refs)


def load_checklist_gold(
    directory: Path | Iterable[Path], item_ids: Iterable[str], gold_set: str | None = None
) -> tuple[list[GoldChecklist], list[str]]:
    """The checklists of the gold files in ``directory`` (or the given files) and the names of
    files without one. A checklist that leaves out an item, names an unknown one or an unknown
    state raises ``ChecklistGoldError``."""
    expected = list(item_ids)
    found, without = [], []
    paths = sorted(directory.glob("*.yaml")) if isinstance(directory, Path) else directory
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        checklist = data.get("checklist")
        if not checklist:
            without.append(path.name)
            continue
        found.append(_gold_of(path, data, checklist, expected, gold_set))
    return found, without


def _gold_of(path: Path, data: dict, checklist, expected: list[str], gold_set) -> GoldChecklist:
    if not isinstance(checklist, dict):
        raise ChecklistGoldError(f"{path.name}: checklist: must be a mapping of item ids")
    unknown = sorted(set(checklist) - set(expected))
    absent = [i for i in expected if i not in checklist]
    if unknown or absent:
        raise ChecklistGoldError(
            f"{path.name}: checklist: "
            + "; ".join(
                part
                for part in (
                    f"unknown items {unknown}" if unknown else "",
                    f"items not listed {absent}" if absent else "",
                )
                if part
            )
        )
    items = {}
    for item_id in expected:
        entry = checklist[item_id] or {}
        state = entry.get("status")
        if state not in STATES:
            raise ChecklistGoldError(f"{path.name}: checklist.{item_id}.status: {state!r}")
        items[item_id] = (state, tuple(str(r) for r in entry.get("refs") or ()))
    return GoldChecklist(
        document=data.get("document", path.stem),
        sha256=data.get("sha256"),
        source=data.get("source"),
        gold_set=gold_set or data.get("set") or "samples",
        items=items,
    )


def score_checklists(gold: list[GoldChecklist], predicted: Iterable[Checklist]) -> dict:
    """``{"items": {id: {correct, total, accuracy}}, "accuracy", "correct", "total",
    "confusion": {gold: {predicted: n}}, "ref_misses", "mistakes", "unscored"}``."""
    by_name = {c.document: c for c in predicted}
    per_item: dict[str, list[int]] = {}
    confusion: dict[str, Counter] = {s: Counter() for s in STATES}
    ref_misses: list[str] = []
    mistakes: list[str] = []
    unscored: list[str] = []
    for g in gold:
        checklist = by_name.get(g.document)
        if checklist is None:
            unscored.append(g.document)
            continue
        for item_id, (state, refs) in g.items.items():
            got = checklist.item(item_id)
            counts = per_item.setdefault(item_id, [0, 0])
            counts[1] += 1
            confusion[state][got.state] += 1
            if got.state != state:
                mistakes.append(f"{g.document}: {item_id}: gold {state} got {got.state}")
                continue
            counts[0] += 1
            if state != "missing" and refs and not _share(refs, got.refs):
                ref_misses.append(
                    f"{g.document}: {item_id}: gold {list(refs)} got {list(got.refs)}"
                )
    correct = sum(c[0] for c in per_item.values())
    total = sum(c[1] for c in per_item.values())
    return {
        "items": {
            k: {"correct": v[0], "total": v[1], "accuracy": round(v[0] / v[1], 4)}
            for k, v in per_item.items()
        },
        "accuracy": round(correct / total, 4) if total else None,
        "correct": correct,
        "total": total,
        "contracts": len(gold) - len(unscored),
        "confusion": {k: dict(v) for k, v in confusion.items()},
        "ref_misses": ref_misses,
        "mistakes": mistakes,
        "unscored": unscored,
    }


def _share(gold_refs: tuple[str, ...], predicted_refs: tuple[str, ...]) -> bool:
    return bool({norm_ref(r) for r in gold_refs} & {norm_ref(r) for r in predicted_refs})
