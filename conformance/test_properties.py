"""Properties every softmax must have, checked with hypothesis on every backend."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pysoftmax
from conformance import reference

BOUND_ULP = 2
# Example counts come from the hypothesis profile (conformance/conftest.py).
SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
DTYPES = st.sampled_from([np.float32, np.float64])
# The properties here hold for float16 too: computed in float32 by every backend (the C core
# without a float32 copy) and rounded to float16, with float16's ULP.  (DTYPES stays the two
# dtypes computed as themselves, for the suites that import it.)
DTYPES_AND_FLOAT16 = st.sampled_from([np.float16, np.float32, np.float64])


def width(dtype) -> int:
    """The bits of dtype, for hypothesis's floats (which then draws only its values)."""
    return 8 * np.dtype(dtype).itemsize


@pytest.fixture(autouse=True)
def _lazy_backends_only_when_thorough(request):
    # A Dask graph per example costs about a second: the golden vectors hold the
    # chunked Dask path to the bound in CI, the thorough profile adds the properties.
    tested = request.getfixturevalue("tested")
    if tested.chunks_per_axis is not None and settings.default.max_examples < 1000:
        pytest.skip("properties on chunked Dask graphs run with --hypothesis-profile thorough")


def finite_rows(dtype, min_size=1, max_size=40, magnitude=None):
    limit = magnitude if magnitude is not None else float(np.finfo(dtype).max)
    elements = st.floats(-limit, limit, width=width(dtype), allow_nan=False, allow_infinity=False)
    return hnp.arrays(dtype, st.integers(min_size, max_size), elements=elements)


def call(tested, function, x, **kwargs):
    assume(tested.takes(x.dtype))  # array-api-strict has no float16
    result = getattr(pysoftmax, function)(tested.asarray_exact(x), backend=tested.backend, **kwargs)
    return tested.to_numpy(result)


def ulp_of(value: float, dtype) -> float:
    return reference.ulp(value, dtype)


@SETTINGS
@given(data=st.data(), dtype=DTYPES_AND_FLOAT16)
def test_softmax_sums_to_one(tested, data, dtype):
    x = data.draw(finite_rows(dtype))
    temperature = data.draw(st.sampled_from([1.0, 0.37, 6.5, 1e-3, 100.0]))
    y = call(tested, "softmax", x, temperature=temperature)
    assert np.all((y >= 0) & (y <= 1))
    total = math.fsum(float(v) for v in y)  # the exact sum, rounded once
    assert abs(total - 1.0) <= x.size * float(np.finfo(dtype).eps)


@SETTINGS
@given(data=st.data(), dtype=DTYPES_AND_FLOAT16)
def test_adding_a_constant_changes_nothing(tested, data, dtype):
    # Values on a grid, and a shift that keeps them on it: x + c is exact (float16: a coarser
    # grid, whose values and sums up to 128 it holds exactly).
    step, steps = (2.0**-3, 2**7) if dtype == np.float16 else (2.0**-8, 2**14)
    grid = st.integers(-steps, steps).map(lambda k: k * step)
    x = np.asarray(data.draw(st.lists(grid, min_size=1, max_size=30)), dtype=dtype)
    shift = data.draw(st.integers(-(2**6), 2**6)) * 1.0
    for function in ("softmax", "log_softmax"):
        plain = call(tested, function, x)
        shifted = call(tested, function, (x + shift).astype(dtype))
        for a, b in zip(plain.tolist(), shifted.tolist(), strict=True):
            assert reference.ulp_distance(a, b, dtype) <= 2 * BOUND_ULP
    lse = call(tested, "logsumexp", x)
    lse_shifted = call(tested, "logsumexp", (x + shift).astype(dtype))
    scale = max(abs(float(lse)), abs(float(lse_shifted)), 1.0)
    assert abs(float(lse_shifted) - float(lse) - shift) <= 4 * BOUND_ULP * ulp_of(scale, dtype)


@SETTINGS
@given(data=st.data(), dtype=DTYPES_AND_FLOAT16)
def test_order_is_preserved(tested, data, dtype):
    x = data.draw(finite_rows(dtype))
    for function in ("softmax", "log_softmax"):
        y = call(tested, function, x)
        ordered = y[np.argsort(x, kind="stable")]
        assert np.all(ordered[1:] >= ordered[:-1])


@SETTINGS
@given(data=st.data(), dtype=DTYPES_AND_FLOAT16)
def test_exp_of_log_softmax_is_softmax(tested, data, dtype):
    x = data.draw(finite_rows(dtype, magnitude=200.0))
    temperature = data.draw(st.sampled_from([1.0, 0.37, 6.5]))
    y = call(tested, "softmax", x, temperature=temperature)
    log_y = call(tested, "log_softmax", x, temperature=temperature)
    for probability, logarithm in zip(y.tolist(), log_y.tolist(), strict=True):
        exact = mpmath.exp(mpmath.mpf(logarithm))
        # exp magnifies log_softmax's own rounding: allow that, to first order.
        allowed = BOUND_ULP * (ulp_of(probability, dtype) + ulp_of(logarithm, dtype) * probability)
        if reference.round_to_dtype(exact, dtype) == 0.0 and probability == 0.0:
            continue
        assert abs(mpmath.mpf(probability) - exact) <= allowed + ulp_of(0.0, dtype)


@SETTINGS
@given(data=st.data(), dtype=DTYPES_AND_FLOAT16)
def test_log_softmax_is_x_minus_logsumexp(tested, data, dtype):
    # float16: x / T and the differences of two such within its range, for T down to 2^-4
    x = data.draw(finite_rows(dtype, magnitude=2000.0 if dtype == np.float16 else 1e4))
    # A power-of-two temperature keeps x / T exact, so both sides see the same z.
    temperature = 2.0 ** data.draw(st.integers(-4, 4))
    z = (x / dtype(temperature)).astype(dtype)
    log_y = call(tested, "log_softmax", x, temperature=temperature)
    lse = float(call(tested, "logsumexp", z))
    _, lse_scale = reference.logsumexp(z.astype(np.float64))
    for value, logarithm in zip(z.tolist(), log_y.tolist(), strict=True):
        difference = mpmath.mpf(value) - mpmath.mpf(lse)
        allowed = BOUND_ULP * (ulp_of(logarithm, dtype) + ulp_of(float(lse_scale), dtype))
        assert abs(mpmath.mpf(logarithm) - difference) <= allowed


@SETTINGS
@given(data=st.data(), dtype=DTYPES_AND_FLOAT16)
def test_temperature_limits(tested, data, dtype):
    x = data.draw(finite_rows(dtype, magnitude=100.0))
    # float16 is computed in float32, and its temperature is a float32 too.
    tiny, huge = (1e-300, 1e300) if dtype == np.float64 else (1e-30, 1e30)
    # T -> 0: where the maxima stand apart, a tiny T is already the hardmax.
    gap = np.sort(np.unique(x))[-2:] if np.unique(x).size > 1 else None
    if gap is not None and gap[1] - gap[0] > 1e-3:
        np.testing.assert_array_equal(
            call(tested, "softmax", x, temperature=tiny),
            call(tested, "softmax", x, temperature=0.0),
        )
    # T -> inf: uniform.
    np.testing.assert_array_equal(
        call(tested, "softmax", x, temperature=huge),
        call(tested, "softmax", x, temperature=math.inf),
    )
    np.testing.assert_array_equal(
        call(tested, "softmax", x, temperature=math.inf),
        np.full(x.shape, 1.0 / x.size, dtype=dtype),
    )


@st.composite
def arrays_and_axes(draw):
    dtype = draw(DTYPES_AND_FLOAT16)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5))
    x = draw(hnp.arrays(dtype, shape, elements=st.floats(-50, 50, width=min(32, width(dtype)))))
    axis = draw(
        st.one_of(
            st.none(),
            st.integers(-len(shape), len(shape) - 1),
            st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True).map(tuple),
        )
    )
    return x, axis


@SETTINGS
@given(case=arrays_and_axes(), function=st.sampled_from(["softmax", "log_softmax", "logsumexp"]))
def test_axis_forms_equal_moving_the_axes_last(tested, case, function):
    x, axis = case
    assume(tested.takes(x.dtype))
    result = getattr(pysoftmax, function)(
        tested.asarray_exact(x), axis=axis, backend=tested.backend
    )
    assert type(result) is type(tested.asarray_exact(x))
    computed = tested.to_numpy(result)
    assert computed.dtype == x.dtype
    axes = (
        tuple(range(x.ndim))
        if axis is None
        else tuple(sorted(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))))
    )
    kept = x.ndim - len(axes)
    moved = np.moveaxis(x, axes, tuple(range(kept, x.ndim)))
    rows = np.ascontiguousarray(moved).reshape(-1, math.prod(moved.shape[kept:]))
    by_rows = call(tested, function, rows)
    if function == "logsumexp":
        assert computed.shape == moved.shape[:kept]
        np.testing.assert_array_equal(computed.reshape(-1), by_rows)
    else:
        assert computed.shape == x.shape
        restored = np.moveaxis(by_rows.reshape(moved.shape), tuple(range(kept, x.ndim)), axes)
        np.testing.assert_array_equal(computed, restored)


@SETTINGS
@given(data=st.data(), dtype=DTYPES_AND_FLOAT16)
def test_strided_and_transposed_inputs_give_the_same_answer(tested, data, dtype):
    if tested.library != "numpy":
        pytest.skip("views with arbitrary strides are a numpy notion")
    rows, columns = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 9))
    elements = st.floats(-80, 80, width=min(32, width(dtype)))
    x = data.draw(hnp.arrays(dtype, (rows, columns), elements=elements))
    wide = np.zeros((rows * 2, columns * 3), dtype=dtype)
    wide[::2, ::3] = x
    for function in ("softmax", "log_softmax", "logsumexp"):
        expected = call(tested, function, x)
        np.testing.assert_array_equal(call(tested, function, wide[::2, ::3]), expected)
        transposed = np.ascontiguousarray(x.T).T
        np.testing.assert_array_equal(call(tested, function, transposed), expected)
