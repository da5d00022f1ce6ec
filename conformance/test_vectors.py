"""The golden vectors, on every backend: each output within the 2-ULP bound."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import pysoftmax
from conformance import generate, vectors

CASES = vectors.all_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_golden_vector(tested, case):
    function = functools.partial(getattr(pysoftmax, case.function), backend=tested.backend)
    computed = vectors.run(case, function, tested.asarray_exact, tested.to_numpy)
    assert computed.dtype == case.dtype
    assert vectors.worst_error(case, computed) <= vectors.BOUND_ULP
    if case.name.startswith("edge_"):
        # The table's constants are exact, the sign of a zero included (ULPs cannot see it).
        flat = np.asarray(computed).reshape(-1)
        for index, expected in case.expected.items():
            if expected == 0.0:
                assert np.signbit(flat[index]) == np.signbit(expected), (index, flat[index])


def test_the_committed_vectors_are_what_the_generator_writes():
    assert generate.main(["--check"]) == 0, "run `python -m conformance.generate`"


def test_the_vectors_cover_what_the_suite_promises():
    names = {case.name for case in CASES}
    lengths = {case.shape[-1] for case in CASES if len(case.shape) == 1}
    temperatures = {case.temperature for case in CASES if case.dtype == "float64"}
    assert set(generate.LENGTHS) <= lengths
    assert set(generate.TEMPERATURES) <= temperatures
    assert all(any(kind in name for name in names) for kind in generate.KINDS)
    rules = {name.rsplit("_", 1)[0] for name in names if name.startswith("edge_")}
    assert len(rules) == 8
    assert {"seed_overflow", "seed_max_shift", "seed_log_softmax_largest_entry"} <= names


def test_the_report_runs_and_our_backends_meet_the_bound(capsys):
    from conformance import report

    # One backend: test_golden_vector already holds every backend to the bound.
    assert report.main(["--no-references", "--backend", "c"]) == 0
    table = capsys.readouterr().out
    assert "| c | softmax | float64 |" in table
    assert "**no**" not in table
