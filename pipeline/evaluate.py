"""Predictions against the gold annotations (sample_docs/gold/GUIDELINES.md §5) and against
CUAD's expert spans (../shared/cuad/README.md). Pure: gold and predictions are plain data.

``score(gold, predicted)`` returns the figures ``obligations evaluate --json`` prints:
``{"clauses": {CATEGORY: {precision, recall, f1, tp, fp, fn}}, "obligations": {…},
"fields": {"obligor", "modality", "deadline"}}`` plus per-document mistakes for whoever is
tuning the rules.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.types import CATEGORIES, Extraction

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "or",
        "and",
        "by",
        "for",
        "with",
        "any",
        "this",
        "that",
        "its",
        "their",
        "his",
        "her",
        "such",
    ]
)


@dataclass(frozen=True)
class DocLabels:
    """One document's units and obligations, gold or predicted, in comparable form."""

    document: str
    units: dict[str, frozenset[str]]  # normalised ref -> categories
    obligations: tuple[dict, ...]  # {ref, text|quote, categories, modality, obligor, deadline}
    printed_refs: dict[str, str] = field(default_factory=dict)


def norm_ref(ref: str) -> str:
    return _WS.sub(" ", ref).strip().lower()


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _fold(text: str) -> str:
    """White space, case, typographic quotes and dashes folded (a quote copied from one
    PDF reader matches the text another gives)."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).translate(_QUOTES)).strip().lower()


# --- loading -------------------------------------------------------------------------------


def load_gold(directory: Path | Iterable[Path]) -> list[DocLabels]:
    """The gold files in a folder (or the given files) as ``DocLabels``. An obligation's
    categories are its unit's unless it lists its own (GUIDELINES.md §4a)."""
    paths = sorted(Path(directory).glob("*.yaml")) if isinstance(directory, Path) else directory
    docs = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        units = {norm_ref(c["ref"]): frozenset(c["categories"]) for c in data.get("clauses") or []}
        printed = {norm_ref(c["ref"]): c["ref"] for c in data.get("clauses") or []}
        obligations = []
        for ob in data.get("obligations") or []:
            ref = norm_ref(ob["ref"])
            obligations.append(
                {
                    "ref": ref,
                    "quote": ob["quote"],
                    "categories": frozenset(ob["categories"])
                    if ob.get("categories")
                    else _unit_categories(ref, units),
                    "modality": ob.get("modality"),
                    "obligor": ob.get("obligor"),
                    "deadline": ob.get("deadline"),
                }
            )
        docs.append(DocLabels(data["document"], units, tuple(obligations), printed))
    return docs


def _unit_categories(ref: str, units: dict[str, frozenset[str]]) -> frozenset[str]:
    """An obligation's categories are its unit's: the longest unit ref that prefixes it."""
    best = ""
    for unit in units:
        if (ref == unit or ref.startswith(unit + "(") or ref.startswith(unit + ".")) and len(
            unit
        ) > len(best):
            best = unit
    return units.get(best, frozenset())


def labels_from_extraction(document: str, extraction: Extraction) -> DocLabels:
    clauses = extraction.clauses
    units: dict[str, frozenset[str]] = {}
    printed = {}
    for c in extraction.classifications:
        if c.categories:
            units[norm_ref(clauses[c.clause].ref)] = frozenset(c.categories)
            printed[norm_ref(clauses[c.clause].ref)] = clauses[c.clause].ref
    obligations = tuple(
        {
            "ref": norm_ref(o.ref),
            "text": o.text,
            "categories": frozenset(o.categories),
            "modality": o.modality,
            "obligor": o.obligor,
            "deadline": o.deadline.as_dict() if o.deadline else None,
            "confidence": o.confidence,
        }
        for o in extraction.obligations
    )
    return DocLabels(document, units, obligations, printed)


# --- scoring -------------------------------------------------------------------------------


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: set, predicted: set) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    def figures(self) -> dict:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def score(gold: Iterable[DocLabels], predicted: Iterable[DocLabels]) -> dict:
    predicted_by_doc = {p.document: p for p in predicted}
    tally = _Tally()
    for g in gold:
        p = predicted_by_doc.get(g.document) or DocLabels(g.document, {}, ())
        tally.document(g, p)
    return tally.figures()


# Confidence bands a reviewer can sort by: the share right in each (issue 10).
_BANDS = (("high (>= 0.8)", 0.8), ("medium (0.5-0.8)", 0.5), ("low (< 0.5)", 0.0))


def _band(confidence: float | None) -> str:
    value = confidence if confidence is not None else 0.0
    return next(band for band, floor in _BANDS if value >= floor)


@dataclass
class _Tally:
    """Every count ``score`` reports, filled one document at a time."""

    clauses: dict[str, _Counts] = field(default_factory=lambda: {c: _Counts() for c in CATEGORIES})
    obligations: dict[str, _Counts] = field(
        default_factory=lambda: {c: _Counts() for c in CATEGORIES}
    )
    everything: _Counts = field(default_factory=_Counts)
    bands: dict[str, list[int]] = field(default_factory=lambda: {b: [0, 0] for b, _ in _BANDS})
    fields: dict[str, list[int]] = field(
        default_factory=lambda: {"obligor": [0, 0], "modality": [0, 0], "deadline": [0, 0]}
    )
    documents: int = 0
    mistakes: dict[str, dict] = field(default_factory=dict)

    def document(self, g: DocLabels, p: DocLabels) -> None:
        self.documents += 1
        mistakes = self.mistakes.setdefault(
            g.document,
            {"clauses": [], "obligations_missed": [], "obligations_extra": [], "fields": []},
        )
        for cat in CATEGORIES:
            gold_refs = {r for r, cats in g.units.items() if cat in cats}
            pred_refs = {r for r, cats in p.units.items() if cat in cats}
            self.clauses[cat].add(gold_refs, pred_refs)
            mistakes["clauses"] += [f"FN {cat} {r}" for r in sorted(gold_refs - pred_refs)]
            mistakes["clauses"] += [f"FP {cat} {r}" for r in sorted(pred_refs - gold_refs)]
        pairs = _match_obligations(g.obligations, p.obligations)
        self._obligations(g, p, pairs, mistakes)
        for i, j in pairs:
            self._fields(g.obligations[i], p.obligations[j], mistakes)

    def _obligations(self, g: DocLabels, p: DocLabels, pairs: list[tuple], mistakes) -> None:
        matched_gold, matched_pred = {i for i, _ in pairs}, {j for _, j in pairs}
        for j, pob in enumerate(p.obligations):
            band = self.bands[_band(pob.get("confidence"))]
            band[0] += j in matched_pred
            band[1] += 1
        # Keyed (gold index, predicted index): a pair counts where both carry the category.
        gold_keys = [(i, dict(pairs).get(i)) for i in range(len(g.obligations))]
        pred_keys = [
            (next((i for i, jj in pairs if jj == j), None), j) for j in range(len(p.obligations))
        ]
        for cat in CATEGORIES:
            in_gold = {k for k in gold_keys if cat in g.obligations[k[0]]["categories"]}
            in_pred = {k for k in pred_keys if cat in p.obligations[k[1]]["categories"]}
            self.obligations[cat].add(in_gold, in_pred)
        self.everything.tp += len(pairs)
        self.everything.fn += len(g.obligations) - len(pairs)
        self.everything.fp += len(p.obligations) - len(pairs)
        mistakes["obligations_missed"] = [
            f"{o['ref']}: {o['quote']}"
            for i, o in enumerate(g.obligations)
            if i not in matched_gold
        ]
        mistakes["obligations_extra"] = [
            f"{o['ref']}: {o['text'][:120]}"
            for j, o in enumerate(p.obligations)
            if j not in matched_pred
        ]

    def _fields(self, gob: dict, pob: dict, mistakes: dict) -> None:
        for name, same in (
            ("obligor", gob["obligor"] == pob["obligor"]),
            ("modality", gob["modality"] == pob["modality"]),
            ("deadline", deadlines_agree(gob["deadline"], pob["deadline"])),
        ):
            self.fields[name][0] += same
            self.fields[name][1] += 1
            if not same:
                mistakes["fields"].append(
                    f"{name} {gob['ref']} «{gob['quote'][:50]}»: gold "
                    f"{_show(gob[name])} got {_show(pob[name])}"
                )

    def figures(self) -> dict:
        everything = self.everything.figures()
        n = self.documents
        return {
            "clauses": {c: self.clauses[c].figures() for c in CATEGORIES},
            "obligations": {c: self.obligations[c].figures() for c in CATEGORIES}
            | {"all": everything},
            "fields": {k: round(v[0] / v[1], 4) if v[1] else 1.0 for k, v in self.fields.items()},
            "burden": {
                "contracts": n,
                "obligations_per_contract": round((everything["tp"] + everything["fp"]) / n, 1)
                if n
                else 0,
                "gold_per_contract": round((everything["tp"] + everything["fn"]) / n, 1)
                if n
                else 0,
                "precision": everything["precision"],
                "recall": everything["recall"],
            },
            "confidence_bands": {
                band: {"obligations": v[1], "precision": round(v[0] / v[1], 4) if v[1] else None}
                for band, v in self.bands.items()
            },
            "documents": self.mistakes,
        }


def _show(value) -> str:
    if isinstance(value, dict):
        keep = ("duration", "business_days", "relation", "anchor", "date")
        return json.dumps({k: value.get(k) for k in keep if value.get(k) is not None})
    return json.dumps(value)


def _match_obligations(gold: tuple[dict, ...], predicted: tuple[dict, ...]) -> list[tuple]:
    """Each gold obligation matches at most one prediction with the same ref whose text
    contains its quote; shortest predicted text first, so a limb wins over its stem."""
    by_ref: dict[str, list[int]] = {}
    for j, p in enumerate(predicted):
        by_ref.setdefault(p["ref"], []).append(j)
    used: set[int] = set()
    pairs = []
    for i, g in enumerate(gold):
        quote = _fold(g["quote"])
        candidates = [
            j
            for j in by_ref.get(g["ref"], ())
            if j not in used and quote in _fold(predicted[j]["text"])
        ]
        if candidates:
            j = min(candidates, key=lambda j: len(predicted[j]["text"]))
            used.add(j)
            pairs.append((i, j))
    return pairs


def deadlines_agree(gold: dict | None, predicted: dict | None) -> bool:
    if not gold or not predicted:
        return not gold and not predicted
    for key in ("duration", "relation"):
        if gold.get(key) != predicted.get(key):
            return False
    if bool(gold.get("business_days")) != bool(predicted.get("business_days")):
        return False
    if (gold.get("date") or None) != (predicted.get("date") or None):
        return False
    return anchors_agree(gold.get("anchor"), predicted.get("anchor"))


def anchors_agree(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return not a and not b
    wa = {w for w in _WORD.findall(a.lower()) if w not in _STOP}
    wb = {w for w in _WORD.findall(b.lower()) if w not in _STOP}
    if not wa or not wb:
        return wa == wb
    return len(wa & wb) >= 0.5 * min(len(wa), len(wb))


# --- CUAD ----------------------------------------------------------------------------------


def load_cuad(directory: Path) -> list[dict]:
    path = Path(directory) / "labels.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def span_found(span: str, texts: Iterable[str]) -> bool:
    """CUAD's rule: |S∩O| ≥ 0.5·|S| or |S∩O| ≥ 0.8·|O| over lower-cased word tokens."""
    s = set(_WORD.findall(span.lower()))
    if not s:
        return False
    for text in texts:
        o = set(_WORD.findall(text.lower()))
        common = len(s & o)
        if o and (common >= 0.5 * len(s) or common >= 0.8 * len(o)):
            return True
    return False


def score_cuad(labels: list[dict], obligations_by_file: dict[str, list[dict]]) -> dict:
    """Recall per CUAD category; ``obligations_by_file`` maps a PDF name to obligations as
    ``{"text", "categories"}``."""
    per_category: dict[str, list[int]] = {}
    missed: list[dict] = []
    for label in labels:
        obs = obligations_by_file.get(label["file"], [])
        texts = [o["text"] for o in obs if set(o["categories"]) & set(label["our_categories"])]
        hits = per_category.setdefault(label["cuad_category"], [0, 0])
        for span in label["spans"]:
            hits[1] += 1
            if span_found(span, texts):
                hits[0] += 1
            else:
                missed.append(
                    {"file": label["file"], "category": label["cuad_category"], "span": span[:300]}
                )
    return {
        "recall": {k: round(v[0] / v[1], 4) if v[1] else 1.0 for k, v in per_category.items()},
        "spans": {k: {"found": v[0], "total": v[1]} for k, v in per_category.items()},
        "missed": missed,
    }
