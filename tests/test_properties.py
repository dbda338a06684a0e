"""Property tests of the text-level parsers: numbering, clause outlines, number words,
deadlines, working days and sentences. Each property is one a reader of a contract relies on;
Hypothesis looks for the contract text that breaks it."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.analyse import analyse_clause
from pipeline.components.timewords import parse_number as number_words
from pipeline.deadlines import find_deadline
from pipeline.numbering import follows, limb_candidates, parse_number, printed_label, roman_value
from pipeline.workdays import add_working_days, is_working_day
from tests.pipeline_support import run

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- reference spellings, written independently of the code under test -------------------

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spelled(n: int) -> str:
    """1..999 as a drafter writes it: "one hundred and twenty-one"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    rest = n % 100
    return _ONES[n // 100] + " hundred" + (" and " + spelled(rest) if rest else "")


def roman(n: int) -> str:
    out = ""
    for value, letters in (
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while n >= value:
            out, n = out + letters, n - value
    return out


numbers = st.lists(st.integers(1, 99), min_size=1, max_size=4)


# --- numbering -------------------------------------------------------------------------------


@given(numbers, st.booleans(), st.booleans())
def test_property_a_number_reads_the_same_however_it_is_spaced(parts, spaced, trailing_dot):
    label = (". " if spaced else ".").join(map(str, parts)) + ("." if trailing_dot else "")
    assert parse_number(label) == tuple(parts)
    assert printed_label(label) == ".".join(map(str, parts))


@given(st.integers(1, 150))
def test_property_roman_numerals_read_as_their_value(n):
    assert roman_value(roman(n)) == n
    assert ("roman", n) in limb_candidates(roman(n))


@given(st.integers(1, 26))
def test_property_every_letter_is_a_limb_of_its_place(k):
    letter = chr(96 + k)
    assert ("alpha", k) in limb_candidates(letter)
    assert ("ALPHA", k) in limb_candidates(letter.upper())


@given(numbers)
def test_property_the_next_sibling_follows_and_a_repeat_does_not(parts):
    current = tuple(float(p) for p in parts)
    sibling = current[:-1] + (current[-1] + 1,)
    assert follows(current, sibling)
    assert follows(current, current + (1.0,))  # its first sub-clause
    assert not follows(current, current)
    assert not follows(current, current[:-1] + (current[-1] + 5,))


# --- clause outlines ---------------------------------------------------------------------------

outline = st.lists(  # clauses, each with sub-clauses, each with a number of limbs
    st.lists(st.integers(0, 11), min_size=1, max_size=3), min_size=1, max_size=4
)


@SETTINGS
@given(outline)
def test_property_a_numbered_outline_comes_back_as_its_refs(shape):
    lines, expected = [], []
    for i, subs in enumerate(shape, start=1):
        lines.append(f"{i}. {('EXIT MANAGEMENT', 'TERMINATION', 'DATA RETURN', 'CHARGES')[i % 4]}")
        expected.append(str(i))
        for j, limbs in enumerate(subs, start=1):
            ref = f"{i}.{j}"
            stem = " as follows:" if limbs else "."
            lines.append(f"{ref} The Supplier shall deliver item {i}{j} to the Council{stem}")
            expected.append(ref)
            for k in range(limbs):
                last = "." if k == limbs - 1 else "; and" if k == limbs - 2 else ";"
                lines.append(f"({chr(97 + k)}) the record number {k + 1} of the register{last}")
                expected.append(f"{ref}({chr(97 + k)})")
    assert [c.ref for c in run(lines).clauses] == expected


# --- number words and deadlines -------------------------------------------------------------------


@given(st.integers(1, 999))
def test_property_number_words_read_as_their_value(n):
    assert number_words(spelled(n)) == n
    assert number_words(str(n)) == n


units = st.sampled_from(
    [
        ("Working Days", "D", True),
        ("days", "D", False),
        ("months", "M", False),
        ("weeks", "W", False),
    ]
)


@SETTINGS
@given(st.integers(2, 365), units, st.booleans(), st.sampled_from(["after", "before"]))
def test_property_a_period_in_words_and_figures_is_one_deadline(n, unit, in_words, relation):
    name, code, business = unit
    amount = f"{spelled(n)} ({n})" if in_words else str(n)
    text = f"no later than {amount} {name} {relation} the Exit Date"
    deadline = find_deadline(text)
    assert deadline is not None, text
    assert (deadline.duration, deadline.business_days) == (f"P{n}{code}", business), text
    assert deadline.anchor == "Exit Date"


# --- working days ---------------------------------------------------------------------------------


@given(st.dates(date(2024, 1, 1), date(2030, 12, 31)), st.integers(1, 60))
def test_property_n_working_days_later_is_a_working_day_n_working_days_on(start, n):
    end = add_working_days(start, n)
    assert is_working_day(end)
    between = [start + timedelta(days=d) for d in range(1, (end - start).days + 1)]
    assert sum(map(is_working_day, between)) == n
    assert add_working_days(start, n + 1) > end


# --- sentences ------------------------------------------------------------------------------------

sentence = st.builds(
    "{} shall {} the {} {} within {} days.".format,
    st.sampled_from(["The Supplier", "The Council", "Each party"]),
    st.sampled_from(["deliver", "return", "update", "provide"]),
    st.sampled_from(["Exit Plan", "Council Data", "register", "records"]),
    st.sampled_from(
        [
            "",
            "referred to in clause 12.1",
            "(e.g. the asset register)",
            "under Schedule 8 para. 3",
            "at approx. 5 p.m.",
        ]
    ),
    st.integers(1, 90),
)


@SETTINGS
@given(st.lists(sentence, min_size=1, max_size=5))
def test_property_sentences_split_at_their_ends_not_at_abbreviations_or_numbers(sentences):
    doc = analyse_clause(" ".join(" ".join(s.split()) for s in sentences))
    found = [s.text for s in doc.spans["sentence"] if s._.sentence_kind != "heading"]
    assert len(found) == len(sentences), found
