"""Accuracy against mpmath: every softmax and log_softmax output within 2 ULP."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import pysoftmax
from conformance import reference

BOUND_ULP = 2
DTYPES = [np.float32, np.float64]


def _random_row(generator: np.random.Generator, kind: str, length: int) -> np.ndarray:
    if kind == "normal":
        return generator.normal(scale=generator.choice([1.0, 10.0, 100.0]), size=length)
    if kind == "uniform":
        return generator.uniform(-50.0, 50.0, size=length)
    if kind == "heavy_tailed":
        return np.clip(generator.standard_cauchy(size=length), -1e4, 1e4)
    if kind == "near_ties":
        return 1.0 + generator.normal(scale=1e-12, size=length)
    if kind == "huge_offset":
        return 1e4 + generator.normal(size=length)
    if kind == "exp_limits":
        # Differences near where exp(x - max) leaves the normal range, and subnormal outputs.
        return generator.choice(
            [0.0, -80.0, -87.0, -103.0, -700.0, -708.0, -740.0], size=length
        ) + generator.normal(scale=0.5, size=length)
    raise AssertionError(kind)


KINDS = ["normal", "uniform", "heavy_tailed", "near_ties", "huge_offset", "exp_limits"]
LENGTHS = [1, 2, 3, 7, 8, 9, 16, 17, 33, 257]
TEMPERATURES = [1.0, 1e-3, 0.37, 6.5, 100.0, 1e6]


def _worst(computed: np.ndarray, exact: list[mpmath.mpf], dtype: type) -> int:
    return max(
        reference.ulp_distance(float(c), reference.round_to_dtype(e, dtype), dtype)
        for c, e in zip(computed, exact, strict=True)
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", KINDS)
def test_softmax_and_log_softmax_within_two_ulp(library, kind, dtype):
    generator = np.random.default_rng(abs(hash((kind, np.dtype(dtype).name))) % 2**32)
    worst = {"softmax": 0, "log_softmax": 0}
    for length in LENGTHS:
        for temperature in TEMPERATURES:
            row = _random_row(generator, kind, length).astype(dtype)
            # The reference divides by the temperature the computation uses.
            used_temperature = float(np.asarray(temperature, dtype=dtype))
            x = library.asarray(row, dtype)
            for name, exact_function in (
                ("softmax", reference.softmax),
                ("log_softmax", reference.log_softmax),
            ):
                result = getattr(pysoftmax, name)(
                    x, temperature=temperature, backend=library.backend
                )
                computed = library.to_numpy(result)
                assert computed.dtype == dtype
                exact = exact_function(row.astype(np.float64), used_temperature)
                distance = _worst(computed, exact, dtype)
                worst[name] = max(worst[name], distance)
                assert distance <= BOUND_ULP, (name, kind, length, temperature, row)
    print(f"{library.backend} {kind} {np.dtype(dtype).name}: worst ULP {worst}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_logsumexp_within_two_ulp_of_its_scale(library, dtype):
    generator = np.random.default_rng(7)
    for kind in KINDS:
        for length in LENGTHS:
            rows = np.stack([_random_row(generator, kind, length) for _ in range(3)]).astype(dtype)
            rows[1] -= rows[1].max() + 0.5  # a negative max: logsumexp cancels near zero
            computed = library.to_numpy(
                pysoftmax.logsumexp(library.asarray(rows, dtype), backend=library.backend)
            )
            for value, row in zip(computed, rows, strict=True):
                exact, scale = reference.logsumexp(row.astype(np.float64))
                error = abs(mpmath.mpf(float(value)) - exact)
                allowed = BOUND_ULP * reference.ulp(float(scale), dtype)
                assert error <= allowed, (kind, length, row, float(value), exact)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_a_million_entries_keep_the_bound(library, function, dtype):
    # A sum whose rounding error grew with n would miss the bound here.  The
    # row draws from 1000 distinct values, so mpmath needs only 1000 exps.
    generator = np.random.default_rng(3)
    pool = generator.normal(scale=3.0, size=1000)
    row = generator.choice(pool, size=1_000_000).astype(dtype)
    computed = library.to_numpy(
        getattr(pysoftmax, function)(
            library.asarray(row, dtype), temperature=0.37, backend=library.backend
        )
    )
    exact = getattr(reference, function)(row.astype(np.float64), float(np.asarray(0.37, dtype)))
    _, first_index, inverse = np.unique(row, return_index=True, return_inverse=True)
    # Equal inputs give equal outputs, so checking one entry per distinct value checks them all.
    np.testing.assert_array_equal(computed, computed[first_index][inverse.ravel()])
    distance = _worst(computed[first_index], [exact[i] for i in first_index], dtype)
    assert distance <= BOUND_ULP


def test_the_largest_log_probability_keeps_its_digits(library):
    # float32 log_softmax([0, -30, -40]): naive code (and torch, scipy) give 0.0 here.
    x = library.asarray([0.0, -30.0, -40.0], np.float32)
    computed = library.to_numpy(pysoftmax.log_softmax(x, backend=library.backend))
    exact = reference.log_softmax([0.0, -30.0, -40.0])
    assert computed[0] != 0.0
    assert (
        reference.ulp_distance(
            float(computed[0]), reference.round_to_dtype(exact[0], np.float32), np.float32
        )
        <= BOUND_ULP
    )
    assert math.isclose(float(computed[0]), -9.358048e-14, rel_tol=1e-6)


EXTREME_ROWS = [
    # x - max overflows, but (x - max) / T does not when T > 1.
    ([-1e308, 1e308, 0.0], 10.0),
    ([-1e308, 1e308, -1e300], 1.99),
    ([-1e308, 1e308], 1e308),
    # x - max near -DBL_MAX: the Veltkamp split must not overflow, and the
    # difference rounds to -DBL_MAX, not -inf.
    ([0.0, -1.7976931348623157e308], 1e100),
    ([0.0, -1.7976931348623157e308], 2.0**996),
    ([1.7976931348623157e308, -1.7976931348623157e308], 1e200),
    ([1.7976931348623157e308, -1.0], 1.0),
    ([1.7976931348623157e308, -1.0], 3.0),
    # Temperatures near the ends of the float64 range.
    ([1.0, 2.0, 3.0], 1.7e308),
    ([1.0, 2.0, 3.0], 2e300),
    ([0.0, -1e-300, -2e-300], 1e-300),
    ([-1e-310, 0.0, -3e-310], 1e-310),
    ([-1e-310, 0.0, -3e-310], 5e-324),
    # Outputs deep in the subnormal range, and a sum of them.
    ([0.0, -720.0, -730.0, -740.0, -745.0], 1.0),
    ([0.0] + [-712.0] * 300, 1.0),
]


@pytest.mark.parametrize(("row", "temperature"), EXTREME_ROWS)
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_extreme_float64_rows(library, function, row, temperature):
    result = getattr(pysoftmax, function)(
        library.asarray(row), temperature=temperature, backend=library.backend
    )
    exact = getattr(reference, function)(row, temperature)
    assert _worst(library.to_numpy(result), exact, np.float64) <= BOUND_ULP
