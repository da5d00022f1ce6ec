"""The C core's fast kernels against its own exact scalar method and against mpmath-checked
rows: every path a row can take (contiguous, gathered, the kernel across rows for a
non-last axis, online chunks for long rows, declined special rows) gives the same answer
to within 1 ULP, and special rows exactly the edge-case table's."""

from __future__ import annotations

import numpy as np
import pytest

import pysoftmax

FUNCTIONS = ("softmax", "log_softmax")


def _one_row_at_a_time(function: str, x: np.ndarray, temperature: float) -> np.ndarray:
    """Each column of x as its own contiguous row: the row kernels, never the column kernel."""
    columns = [
        getattr(pysoftmax, function)(np.ascontiguousarray(x[:, j]), temperature=temperature)
        for j in range(x.shape[1])
    ]
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("temperature", [1.0, 0.37, 6.5])
@pytest.mark.parametrize("columns", [16, 100, 600, 1100])
def test_a_non_last_axis_matches_the_rows_one_at_a_time(dtype, function, temperature, columns):
    rng = np.random.default_rng(columns)
    x = (rng.standard_normal((257, columns)) * 20).astype(dtype)
    result = getattr(pysoftmax, function)(x, axis=0, temperature=temperature)
    expected = _one_row_at_a_time(function, x, temperature)
    np.testing.assert_array_max_ulp(result, expected, maxulp=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_special_values_in_some_columns_take_the_exact_path(dtype, function):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((50, 40)) * 5).astype(dtype)
    x[3, 1] = np.nan
    x[7, 2] = np.inf
    x[:, 3] = -np.inf
    x[::2, 4] = -np.inf
    result = getattr(pysoftmax, function)(x, axis=0)
    expected = _one_row_at_a_time(function, x, 1.0)
    np.testing.assert_array_max_ulp(result, expected, maxulp=1)
    assert np.isnan(result[:, 1]).all()
    assert result[7, 2] == (0.0 if function == "log_softmax" else 1.0)
    assert np.isnan(result[:, 3]).all()
    zero = -np.inf if function == "log_softmax" else 0.0
    assert (result[::2, 4] == zero).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("function", [*FUNCTIONS, "logsumexp"])
def test_long_rows_in_chunks_match_the_same_row_in_float64_steps(dtype, function):
    # Rows longer than the kernels' 1024-entry scratch take the online path, whose max
    # rises chunk by chunk here (sorted ascending); compare with a reference in float64
    # arithmetic on the exact float64 values: softmax(x) = exp(x - m) / sum.
    rng = np.random.default_rng(11)
    x = np.sort(rng.standard_normal(5000) * 30).astype(dtype)
    result = getattr(pysoftmax, function)(x)
    shifted = x.astype(np.float64) - x.max()
    import math

    log_sum = math.log(math.fsum(np.exp(shifted)))
    if function == "softmax":
        expected = np.exp(shifted - log_sum)
    elif function == "log_softmax":
        expected = shifted - log_sum
    else:
        expected = np.float64(x.max()) + log_sum
    tolerance = 4 if dtype == np.float32 else 2**40  # float64: the reference is only float64
    np.testing.assert_array_max_ulp(result, np.asarray(expected).astype(dtype), maxulp=tolerance)
    if dtype == np.float64:
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("columns", [2100, 4100, 4620])
def test_threaded_blocks_of_side_by_side_rows_are_whole_strips(dtype, columns):
    # Axis 0 of a C-contiguous matrix: rows side by side.  Threaded calls cut them in blocks
    # of whole tiles (so whole strips) of the C core's kernel across rows, so that no block
    # leaves a sliver for the row path that one call would not: the bits are those of one C
    # call, for any thread count.  4100 leaves a sliver of 4 rows at the end, 4620 a strip
    # and a sliver of 12 in its last tile.
    from pysoftmax._backends import c

    per_block = c.rows_per_block(columns, 1024, side_by_side=True)
    assert per_block % c.COLUMN_TILE == 0 and c.COLUMN_TILE % c.COLUMN_STRIP == 0
    assert per_block < columns  # more than one block
    rng = np.random.default_rng(columns)
    x = (rng.standard_normal((1024, columns)) * 10).astype(dtype)
    one_call = np.empty_like(x)
    suffix = "f32" if dtype == np.float32 else "f64"
    function = getattr(c._core.lib, f"psm_softmax_strided_{suffix}")
    c.check_status(
        function(c._pointer(x), 1, columns, c._pointer(one_call), 1, columns, columns, 1024, 1.0)
    )
    for threads in (1, 2, 3):
        result = pysoftmax.softmax(x, axis=0, threads=threads)
        assert np.array_equal(result, one_call), threads


def _row_with_a_nan(kind: str, length: int) -> np.ndarray:
    rng = np.random.default_rng(length)
    x = rng.standard_normal(length) * 3
    if kind == "plain":  # spans little: unclamped exponentials, the NaN found in the sum
        x[length // 2] = np.nan
    elif kind == "with -inf":  # clamped exponentials (a -inf entry): found apart
        x[0] = -np.inf
        x[length - 1] = np.nan
    elif kind == "wide":  # clamped: a span beyond 990 T
        x[1] = -5000.0
        x[length // 3] = np.nan
    elif kind == "behind -inf":  # a first chunk of -inf and NaN, before any max
        x[: min(length, 1024) - 1] = -np.inf
        x[min(length, 1024) - 2] = np.nan
    return x


@pytest.mark.parametrize("function", [*FUNCTIONS, "logsumexp"])
@pytest.mark.parametrize("kind", ["plain", "with -inf", "wide", "behind -inf"])
@pytest.mark.parametrize("length", [5, 1024, 1025, 3000])
@pytest.mark.parametrize("temperature", [1.0, 0.37])
def test_a_float64_row_with_a_nan_is_nan_wherever_it_hides(function, kind, length, temperature):
    # The float64 row kernels no longer look for NaN in their first pass: a NaN shows in the
    # sum of the unclamped exponentials, or the clamped ones look for it apart.
    x = _row_with_a_nan(kind, length)
    assert np.isnan(x).sum() == 1
    keywords = {} if function == "logsumexp" else {"temperature": temperature}
    result = getattr(pysoftmax, function)(x, **keywords)
    assert np.isnan(result).all()


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("temperature", [1.0, 0.37, 6.5, 1e-3])
@pytest.mark.parametrize("span", [985.0, 989.9, 990.1, 995.0, 1000.5, 1500.0])
def test_float64_rows_on_both_sides_of_the_clamp_span(function, temperature, span):
    # Rows spanning less than 990 T take the float64 exponentials without a clamp, the others
    # with it: both within 1 ULP of mpmath, the entries near exp's underflow included.
    from conformance import reference

    rng = np.random.default_rng(int(span * 10))
    x = 2.0 + rng.standard_normal(9)
    x[0] = 2.0 + 3.0
    x[3] = x[0] - span * temperature  # z = -span: exp underflows to 0 beyond about 745
    x[5] = x[0] - 740.0 * temperature  # subnormal results
    x[7] = x[0] - 700.0 * temperature
    result = getattr(pysoftmax, function)(x, temperature=temperature)
    exact = getattr(reference, function)(list(x), temperature)
    for got, value in zip(result, exact, strict=True):
        assert (
            reference.ulp_distance(
                float(got), reference.round_to_dtype(value, np.float64), np.float64
            )
            <= 1
        ), (got, value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("temperature", [1.0, 0.37])
def test_rows_side_by_side_whose_max_rises_block_after_block(dtype, function, temperature):
    # The float32 kernel across rows takes 64 entries at a time and rescales each row's sum
    # when a block raises its max: ascending entries raise it every time (by a little, or by
    # a lot), which must not add up to any error.  2100 rows: a tile of 2048 and one of 52.
    rng = np.random.default_rng(3)
    steps = rng.choice([1e-6, 1e-3, 0.5, 30.0], size=2100)
    x = (np.arange(700)[:, None] * steps[None, :] + rng.standard_normal((700, 2100))).astype(dtype)
    result = getattr(pysoftmax, function)(x, axis=0, temperature=temperature)
    expected = _one_row_at_a_time(function, x, temperature)
    np.testing.assert_array_max_ulp(result, expected, maxulp=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_rows_side_by_side_that_start_with_a_block_of_negative_infinity(dtype, function):
    # Whole blocks of -inf before the first finite entry (a mask), a row of nothing but -inf
    # and one whose max is the most negative float: the edge-case table's answers, the
    # others as one row at a time.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((300, 40)).astype(dtype)
    x[:130, 1:6] = -np.inf
    x[:, 7] = -np.inf
    x[:, 9] = -np.finfo(dtype).max
    result = getattr(pysoftmax, function)(x, axis=0)
    expected = _one_row_at_a_time(function, x, 1.0)
    np.testing.assert_array_max_ulp(result, expected, maxulp=1)
    assert np.isnan(result[:, 7]).all()
    zero = -np.inf if function == "log_softmax" else 0.0
    assert (result[:130, 1:6] == zero).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_strip_with_a_nan_row_is_declined_alone(dtype, function):
    # The kernel across rows declines strips of 512 rows on their own, whatever its tile
    # (2048 rows in float32): a NaN in row 700 sends rows 512-1023 to the row path, in one call
    # as in threaded blocks of whole strips; the other strips' bits stay those of the kernel.
    from pysoftmax._backends import c

    rng = np.random.default_rng(8)
    x = (rng.standard_normal((1024, 1540)) * 10).astype(dtype)
    x[100, 700] = np.nan
    suffix = "f32" if dtype == np.float32 else "f64"
    name = "log_softmax" if function == "log_softmax" else "softmax"
    kernel = getattr(c._core.lib, f"psm_{name}_strided_{suffix}")
    one_call = np.empty_like(x)
    c.check_status(kernel(c._pointer(x), 1, 1540, c._pointer(one_call), 1, 1540, 1540, 1024, 1.0))
    assert np.isnan(one_call[:, 700]).all() and not np.isnan(np.delete(one_call, 700, 1)).any()
    for threads in (1, 2, 3):
        result = getattr(pysoftmax, function)(x, axis=0, threads=threads)
        assert np.array_equal(result, one_call, equal_nan=True), threads
    strip = np.ascontiguousarray(x[:, 512:1024])
    alone = getattr(pysoftmax, function)(strip, axis=0)
    assert np.array_equal(alone, one_call[:, 512:1024], equal_nan=True)
