"""pipeline.resegment: where a far too long text line is cut (issue 12)."""

import pytest

from pipeline.resegment import split_long_line


def _pieces(text: str, width: float = 5000.0, page_width: float = 595.0) -> list[str]:
    words = text.split()
    return [" ".join(words[a:b]) for a, b in split_long_line(words, width, page_width)]


def test_resegment_a_normal_line_is_left_alone():
    line = "1.1 The Supplier shall return all Council Data within 30 days."
    assert _pieces(line, width=400) == [line]


def test_resegment_cuts_before_clause_numbers_after_a_sentence_end():
    text = ("EXIT 1.1 The Supplier shall deliver the Exit Plan. 1.2 The Council may "
            "terminate on notice. (a) in writing; (b) by hand.")
    assert _pieces(text) == [
        "EXIT", "1.1 The Supplier shall deliver the Exit Plan.",
        "1.2 The Council may terminate on notice.", "(a) in writing;", "(b) by hand.",
    ]


def test_resegment_cross_references_are_not_clause_starts():
    text = "The Supplier shall comply with Clause 12.3 and with Schedule 2 at all times. " * 8
    assert all(not piece.startswith(("12.3", "2 at")) for piece in _pieces(text))


@pytest.mark.parametrize("n", [2, 50, 400])
def test_resegment_keeps_every_word_in_order(n):
    words = [f"w{i}." if i % 7 == 6 else f"W{i}" for i in range(n)]
    ranges = split_long_line(words, 10_000.0, 595.0)
    assert [w for a, b in ranges for w in words[a:b]] == words
    assert all(b > a for a, b in ranges)
