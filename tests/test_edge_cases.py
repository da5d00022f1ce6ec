"""The edge-case table (pysoftmax/edge_cases.json), case by case, on every backend."""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

import mpmath
import numpy as np
import pytest

import pysoftmax
from conformance import reference
from conformance.generate import symbolic_value

try:
    import ml_dtypes

    BFLOAT16: Any = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - ml_dtypes comes with jax
    BFLOAT16 = None

# float16 and bfloat16 are computed in float32 and rounded to their dtype: the same table.
DTYPES = [np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)]
DTYPES += [BFLOAT16] if BFLOAT16 is not None else []

TABLE = json.loads(resources.files("pysoftmax").joinpath("edge_cases.json").read_text())
CASES = [
    pytest.param(rule["id"], case, id=f"{rule['id']}-{index}")
    for rule in TABLE["rules"]
    for index, case in enumerate(rule["cases"])
]


def assert_matches(computed: float, text: str, dtype: type) -> None:
    exact = symbolic_value(text)
    if mpmath.isnan(exact):
        assert math.isnan(computed), (computed, text)
        return
    distance = reference.ulp_distance(computed, reference.round_to_dtype(exact, dtype), dtype)
    assert distance <= 2, (computed, text)


@pytest.mark.parametrize("dtype", DTYPES, ids=[d.name for d in DTYPES])
@pytest.mark.parametrize(("rule", "case"), CASES)
def test_edge_case(library, rule, case, dtype):
    values = case["x"]
    numbers = [float(v) for v in values] if isinstance(values, list) else float(values)
    if not library.takes(dtype):
        pytest.skip(f"{library.library} has no {dtype.name} arrays")
    with np.errstate(over="ignore"):
        rounded = np.asarray(numbers, dtype=dtype).astype(np.float64)
    if not np.array_equal(rounded, numbers, equal_nan=True):
        pytest.skip(f"the case's values are not {dtype.name} numbers")
    x = library.asarray(numbers, dtype)
    for function in ("softmax", "log_softmax", "logsumexp"):
        if function not in case:
            continue
        if function == "logsumexp":
            result = pysoftmax.logsumexp(x, backend=library.backend)
        else:
            result = getattr(pysoftmax, function)(
                x, temperature=float(case["temperature"]), backend=library.backend
            )
        computed = library.to_numpy(result)
        assert computed.dtype == dtype
        expected = case[function]
        if isinstance(expected, list):
            assert computed.shape == (len(expected),)
            for value, text in zip(computed.tolist(), expected, strict=True):
                assert_matches(value, text, dtype)
        else:
            assert computed.shape == ()
            assert_matches(float(computed), expected, dtype)


@pytest.mark.parametrize(
    ("rule", "case"), [c for c in CASES if isinstance(c.values[1]["x"], list) and c.values[1]["x"]]
)
def test_edge_case_rows_inside_a_matrix(library, rule, case):
    # The same row as column 1 of a 3-column matrix, reduced over axis 0, next
    # to ordinary columns: the rules apply per row, not per array.
    column = np.array([float(v) for v in case["x"]])
    matrix = np.stack([np.linspace(-1.0, 1.0, column.size), column, np.zeros(column.size)], axis=1)
    x = library.asarray(matrix)
    for function in ("softmax", "log_softmax"):
        if function in case:
            computed = library.to_numpy(
                getattr(pysoftmax, function)(
                    x, axis=0, temperature=float(case["temperature"]), backend=library.backend
                )
            )
            for value, text in zip(computed[:, 1].tolist(), case[function], strict=True):
                assert_matches(value, text, np.float64)
            expected_first = library.to_numpy(
                getattr(pysoftmax, function)(
                    library.asarray(matrix[:, 0]),
                    temperature=float(case["temperature"]),
                    backend=library.backend,
                )
            )
            np.testing.assert_array_equal(computed[:, 0], expected_first)
    if "logsumexp" in case:
        computed = library.to_numpy(pysoftmax.logsumexp(x, axis=0, backend=library.backend))
        assert_matches(float(computed[1]), case["logsumexp"], np.float64)


def test_every_rule_has_cases_and_documents_each_function():
    for rule in TABLE["rules"]:
        assert rule["cases"], rule["id"]
        for function in ("softmax", "log_softmax", "logsumexp"):
            assert rule[function], (rule["id"], function)
