"""The pipeline is one spaCy ``Language``: saved with ``to_disk`` and read back with
``spacy.load`` (in a fresh process that never imports our code), it gives the same
categories and obligations."""

from __future__ import annotations

import json
import subprocess
import sys

from pipeline.nlp import get_nlp

TEXT = (
    "On termination of this Agreement the Supplier shall return all Customer Data to the "
    "Customer within thirty (30) days in CSV format. Either Party may terminate this "
    "Agreement by giving not less than three (3) months' written notice."
)


def _summary(doc) -> dict:
    return {
        "categories": list(doc._.categories),
        "obligations": [
            [c.modality, c.obligor, c.deadline.duration if c.deadline else None, c.text]
            for c in (s._.candidate for s in doc.spans["obligation"])
        ],
        "spans": {key: len(doc.spans[key]) for key in sorted(doc.spans)},
    }


def test_nlp_round_trips_through_spacy_load(tmp_path):
    nlp = get_nlp()
    expected = _summary(nlp(TEXT))
    assert expected["obligations"], "the text must give obligations to compare"
    nlp.to_disk(tmp_path / "contract-nlp")
    script = (
        "import json, spacy, sys\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "assert not any(m.startswith('pipeline') for m in sys.modules if m == 'pipeline.nlp')\n"
        "doc = nlp(sys.argv[2])\n"
        "print(json.dumps({'categories': list(doc._.categories), 'obligations': "
        "[[c.modality, c.obligor, c.deadline.duration if c.deadline else None, c.text] "
        "for c in (s._.candidate for s in doc.spans['obligation'])], "
        "'spans': {k: len(doc.spans[k]) for k in sorted(doc.spans)}}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "contract-nlp"), TEXT],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == expected


def test_nlp_components_in_order():
    names = get_nlp().pipe_names
    assert names[0] == "lemmatizer" and names[-1] == "contract_obligations"
    assert names.index("contract_sentences") < names.index("contract_category")
    assert (
        names.index("contract_modality")
        < names.index("contract_obligor")
        < names.index("contract_deadline")
    )


def test_nlp_lemmas_ignore_capitals():
    doc = get_nlp()("The Supplier Terminated the Agreements within ten Days")
    assert [t.lemma_ for t in doc][2:] == ["terminate", "the", "agreement", "within", "ten", "day"]
