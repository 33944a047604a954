"""The mutation fuzzer (``tests/fuzz.py``) in the test suite: a short seeded campaign through
``sjekk`` and ``fyll``. ``EXCELKORT_FUZZ=N`` runs N cases (``EXCELKORT_FUZZ_SEED`` another
seed); ``python -m tests.fuzz --cases 10000 --seed 1`` runs a campaign with its figures."""
from __future__ import annotations

import os

import fuzz

CASES = int(os.environ.get("EXCELKORT_FUZZ", "200"))
SEED = int(os.environ.get("EXCELKORT_FUZZ_SEED", "14"))


def test_sjekk_and_fyll_under_mutated_inputs(tmp_path):
    """Never exit 1 or a traceback, never a hang, nothing changed by a run that rejects, and
    sjekk and fyll agree; a failing case prints the command that replays it."""
    campaign = fuzz.run(CASES, SEED, tmp_path, subprocess_every=50)
    assert campaign.cases == CASES
    assert set(campaign.kinds) == {"uttrekk", "målekort"}
    assert not campaign.failures, campaign.summary()


def test_a_case_is_the_same_from_its_seed_and_number(tmp_path):
    corpus = fuzz.build_corpus(tmp_path / "corpus")
    first, again = fuzz.make_case(14, 7, corpus), fuzz.make_case(14, 7, corpus)
    assert (first.kind, first.mutations, first.data) == (again.kind, again.mutations, again.data)
    assert fuzz.make_case(14, 8, corpus).data != first.data


def test_the_harness_flags_a_disagreement_and_a_changed_file():
    case = fuzz.Case(14, 0, "målekort", ["x"], b"")
    out = fuzz.Outcome(case, fuzz.Run(0, "ok\n", "", 0.1), fuzz.Run(3, "", "Avvist: a.xlsx: nei\n", 0.1))
    fuzz.check(out, {"a.xlsx": "1"}, {"a.xlsx": "2"})
    assert out.failures == ["fyll avviste, men endret filer", "uenige: sjekk 0, fyll avviste"]
    assert "python -m tests.fuzz --seed 14 --case 0" in out.describe()
