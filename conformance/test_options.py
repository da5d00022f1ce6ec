"""Masks (``where=``) and one temperature per row, on every backend, against mpmath.

A masked row must be the row of its included entries alone (within the
bound), 0 (log: -inf) at the masked entries whatever they hold, and all 0
(log: all -inf; logsumexp -inf) when nothing is included; a NaN that is
included still gives NaN.  Each row of a per-row-temperature call must be
that row at its own temperature.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import reference
from conformance.test_properties import DTYPES, call, finite_rows

BOUND_ULP = 2
SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _lazy_backends_only_when_thorough(request):
    tested = request.getfixturevalue("tested")
    searched = hasattr(request.function, "hypothesis")  # the examples, not the fixed cases
    if searched and tested.chunks_per_axis is not None and settings.default.max_examples < 1000:
        pytest.skip("properties on chunked Dask graphs run with --hypothesis-profile thorough")


def call_with_mask(tested, function, x, where, **kwargs):
    """``function(x, where=where)`` with both in the tested library."""
    import pysoftmax

    result = getattr(pysoftmax, function)(
        tested.asarray_exact(x),
        where=tested.asarray(where, dtype=np.bool_),
        backend=tested.backend,
        **kwargs,
    )
    return tested.to_numpy(result)


def assert_within_bound(got, expected_values, dtype, what):
    for i, (value, exact) in enumerate(zip(got, expected_values, strict=True)):
        rounded = reference.round_to_dtype(exact, dtype)
        distance = reference.ulp_distance(float(value), rounded, dtype)
        assert distance <= BOUND_ULP, f"{what} entry {i}: {value!r} vs {rounded!r} ({distance} ULP)"


@SETTINGS
@given(data=st.data(), dtype=DTYPES, function=st.sampled_from(["softmax", "log_softmax"]))
def test_a_masked_row_is_the_row_of_its_included_entries(tested, data, dtype, function):
    x = data.draw(finite_rows(dtype, min_size=1, max_size=30, magnitude=1e4))
    where = np.asarray(data.draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size)))
    temperature = data.draw(st.sampled_from([1.0, 0.25, 3.0]))
    # masked entries may hold anything: NaN and infinities must not leak in
    x = x.copy()
    junk = data.draw(st.sampled_from([math.nan, math.inf, -math.inf, 1e30]))
    x[~where] = dtype(junk) if junk != 1e30 else dtype(1e30 if dtype == np.float64 else 3e38)
    y = call_with_mask(tested, function, x, where, temperature=temperature)
    empty = -math.inf if function == "log_softmax" else 0.0
    assert np.all(y[~where] == empty), (x, where, y)
    if where.any():
        exact = getattr(reference, function)([float(v) for v in x[where]], temperature)
        assert_within_bound(y[where], exact, dtype, f"{function} T={temperature}")
    total = call_with_mask(tested, "logsumexp", x, where)
    if where.any():
        value, _ = reference.logsumexp([float(v) for v in x[where]])
        rounded = reference.round_to_dtype(value, dtype)
        assert reference.ulp_distance(float(total), rounded, dtype) <= BOUND_ULP
    else:
        assert float(total) == -math.inf


def test_masked_rows_in_a_batch_and_the_attention_padding_case(tested):
    # Two sequences padded to 4: the padding gets 0, a row of padding only gets 0, not NaN.
    x = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    where = np.array([[True, True, True, True], [True, True, False, False], [False] * 4])
    y = call_with_mask(tested, "softmax", x, where)
    assert_within_bound(y[0], reference.softmax(list(x[0])), np.float64, "row 0")
    assert_within_bound(y[1, :2], reference.softmax([5.0, 6.0]), np.float64, "row 1")
    assert np.all(y[1, 2:] == 0.0) and np.all(y[2] == 0.0)
    z = call_with_mask(tested, "log_softmax", x, where)
    assert np.all(z[2] == -math.inf) and np.all(z[1, 2:] == -math.inf)
    # A NaN that is included still spreads; a broadcast mask (one per column) works.
    x[0, 1] = math.nan
    y = call_with_mask(tested, "softmax", x, np.array([True, True, False, True]))
    assert np.all(np.isnan(y[0])) and not np.any(np.isnan(y[1:]))
    totals = call_with_mask(tested, "logsumexp", x, where, axis=1)
    assert math.isnan(totals[0]) and totals[2] == -math.inf


@SETTINGS
@given(data=st.data(), dtype=DTYPES, function=st.sampled_from(["softmax", "log_softmax"]))
def test_each_row_takes_its_own_temperature(tested, data, dtype, function):
    rows = data.draw(st.integers(1, 5))
    n = data.draw(st.integers(1, 20))
    x = np.stack([data.draw(finite_rows(dtype, n, n, magnitude=1e3)) for _ in range(rows)])
    choices = st.sampled_from([1.0, 0.5, 2.0, 1e-3, 37.0, 0.0, math.inf])
    temperatures = np.array([[data.draw(choices)] for _ in range(rows)], dtype=dtype)
    import pysoftmax

    got = tested.to_numpy(
        getattr(pysoftmax, function)(
            tested.asarray_exact(x),
            temperature=tested.asarray_exact(temperatures),
            backend=tested.backend,
        )
    )
    for r in range(rows):
        t = float(temperatures[r, 0])
        if t in (0.0, math.inf):  # the limits: the table's rows, as with one temperature
            assert np.array_equal(got[r], call(tested, function, x[r], temperature=t))
        else:
            exact = getattr(reference, function)([float(v) for v in x[r]], t)
            assert_within_bound(got[r], exact, dtype, f"row {r} T={t}")


def test_temperatures_broadcast_along_the_kept_axes(tested):
    import pysoftmax

    x = np.arange(24.0).reshape(2, 3, 4) / 7.0
    temperatures = np.array([0.5, 1.0, 4.0]).reshape(3, 1)  # one per middle index
    got = tested.to_numpy(
        pysoftmax.softmax(
            tested.asarray_exact(x),
            temperature=tested.asarray_exact(temperatures),
            backend=tested.backend,
        )
    )
    for i in range(2):
        for j in range(3):
            exact = reference.softmax(list(x[i, j]), float(temperatures[j, 0]))
            assert_within_bound(got[i, j], exact, np.float64, f"row {i},{j}")


@SETTINGS
@given(data=st.data(), dtype=DTYPES)
def test_weighted_logsumexp_and_its_sign(tested, data, dtype):
    import mpmath

    import pysoftmax

    x = data.draw(finite_rows(dtype, min_size=1, max_size=20, magnitude=300.0))
    weights = data.draw(finite_rows(dtype, min_size=x.size, max_size=x.size, magnitude=1e3))
    value, sign = pysoftmax.logsumexp(
        tested.asarray_exact(x),
        b=tested.asarray_exact(weights),
        return_sign=True,
        backend=tested.backend,
    )
    value, sign = float(tested.to_numpy(value)), float(tested.to_numpy(sign))
    with mpmath.workdps(400):  # enough for any cancellation of these terms
        exact = mpmath.fsum(
            mpmath.mpf(float(w)) * mpmath.exp(mpmath.mpf(float(v)))
            for v, w in zip(x, weights, strict=True)
        )
        if exact == 0:
            assert value == -math.inf and sign == 0.0
            return
        expected_sign = 1.0 if exact > 0 else -1.0
        magnitude = mpmath.log(abs(exact))
        cancellation = mpmath.fsum(
            abs(mpmath.mpf(float(w)) * mpmath.exp(mpmath.mpf(float(v))))
            for v, w in zip(x, weights, strict=True)
        ) / abs(exact)
    assert sign == expected_sign
    if cancellation > 2.0**30:
        return  # beyond the promise (about 2^40 of cancellation): only the sign is checked
    rounded = reference.round_to_dtype(magnitude, dtype)
    # the logsumexp bound: 2 ULP of the larger of |max x| and |log S - max x|
    scale = max(abs(rounded), abs(float(np.max(x))), abs(rounded - float(np.max(x))), 1e-300)
    assert abs(value - rounded) <= BOUND_ULP * reference.ulp(scale, dtype), (value, rounded)


@pytest.mark.parametrize("function", ["softmax", "log_softmax", "logsumexp"])
def test_dtype_chooses_the_result_and_computes_in_it(tested, function):
    import pysoftmax

    module = tested.module()
    x = np.array([[0.0, -12.0, 3.5], [1.0, 2.0, -0.25]], dtype=np.float32)
    wanted = module.float64
    try:
        result = getattr(pysoftmax, function)(
            tested.asarray_exact(x), dtype=wanted, backend=tested.backend
        )
    except TypeError as error:  # a library without float64 on this device says so
        pytest.skip(str(error))
    got = tested.to_numpy(result)
    assert got.dtype == np.float64
    for r in range(2):
        if function == "logsumexp":
            value, _ = reference.logsumexp([float(v) for v in x[r]])
            assert_within_bound([got[r]], [value], np.float64, f"row {r}")
        else:
            exact = getattr(reference, function)([float(v) for v in x[r]])
            assert_within_bound(got[r], exact, np.float64, f"row {r}")


def test_out_receives_the_result(tested):
    import pysoftmax

    if tested.library not in ("numpy", "torch"):
        pytest.skip("out= takes numpy arrays and torch tensors (the others are immutable or lazy)")
    x = tested.asarray_exact(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 8.0]]))
    expected = tested.to_numpy(pysoftmax.log_softmax(x, backend=tested.backend))
    module = tested.module()
    out = module.empty_like(x)
    assert pysoftmax.log_softmax(x, out=out, backend=tested.backend) is out
    assert np.array_equal(tested.to_numpy(out), expected)
    assert pysoftmax.log_softmax(x, out=x, backend=tested.backend) is x  # in place
    assert np.array_equal(tested.to_numpy(x), expected)
