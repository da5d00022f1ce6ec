"""float16 and bfloat16 through the C backend (docs/half-precision.md).

numpy float16 and ml_dtypes bfloat16 arrays reach the C core's 16-bit entry points as they are:
no float32 copy of the input, the result in the input's dtype.  The C core widens the rows into
a buffer a few at a time and computes them by the float32 method, so for rows of up to 4096
entries the result is, bit for bit, what the float32 method gives for ``x.astype(float32)``
rounded to x's dtype (what the front door did before); longer rows are computed in chunks and
must be as accurate: within 1 ULP of the exact value, as near to it as the old bits or nearer
for nearly all entries.  Unusual arrays (strided, transposed, reversed, broadcast, big-endian,
read-only, empty, 0-d) give the same bits as the contiguous array; thread counts give the same
bits; the memory a call takes is its output and a little more, measured with tracemalloc against
the old path's float32 copies.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest

import pysoftmax
from pysoftmax._backends import c as c_backend

try:
    import ml_dtypes

    BFLOAT16: Any = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - ml_dtypes comes with jax
    BFLOAT16 = None

pytestmark = pytest.mark.skipif(not c_backend.availability()[0], reason="the C core is not built")

DTYPES = [np.dtype(np.float16)] + ([BFLOAT16] if BFLOAT16 is not None else [])
DTYPE_IDS = [d.name for d in DTYPES]
FUNCTIONS = ["softmax", "log_softmax", "logsumexp"]


def call(function: str, x: Any, temperature: float = 1.0, **options: Any) -> np.ndarray:
    if function != "logsumexp":
        options["temperature"] = temperature
    result: np.ndarray = getattr(pysoftmax, function)(x, **options)
    return result


def float32_path(function: str, x: np.ndarray, temperature: float = 1.0, **options: Any) -> Any:
    """What the front door computed before: a float32 copy, rounded back to x's dtype."""
    result = call(function, np.asarray(x).astype(np.float32), temperature, **options)
    with np.errstate(over="ignore"):
        return np.asarray(result).astype(x.dtype)


def bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values).view(np.uint16)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance on the 16-bit patterns' integer line (+0 == -0, both NaN: 0)."""

    def line(v: np.ndarray) -> np.ndarray:
        pattern = bits(v).astype(np.int64)
        return np.where(pattern & 0x8000, -(pattern & 0x7FFF), pattern)

    both_nan = np.isnan(a.astype(np.float32)) & np.isnan(b.astype(np.float32))
    return np.where(both_nan, 0, np.abs(line(a) - line(b)))


def correctly_rounded(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """float64 values rounded once to dtype: through float32 rounded to odd (an inexact
    conversion moved to the neighbour whose last bit is 1), whose 13 or 16 extra bits make its
    rounding to dtype the double's own; ml_dtypes rounds float64 through float32 to nearest,
    twice."""
    nearest = values.astype(np.float32)
    back = nearest.astype(np.float64)
    pattern = nearest.view(np.uint32)
    away = np.abs(back) > np.abs(values)
    step = np.where((back == values) | (pattern & 1 == 1), 0, np.where(away, -1, 1))
    odd = (pattern.astype(np.int64) + step).astype(np.uint32).view(np.float32)
    with np.errstate(over="ignore"):
        return odd.astype(dtype)


def sample(dtype: np.dtype, shape: tuple[int, ...], seed: int = 0, special: bool = True) -> Any:
    """Normal values of scale 4 in dtype, with NaN, +-inf and -0.0 in a few rows."""
    rng = np.random.default_rng(seed)
    values = 4.0 * rng.standard_normal(shape)
    if special and values.ndim == 2 and values.shape[0] >= 8 and values.shape[1] >= 3:
        values[1, 0] = np.nan
        values[2, [0, 2]] = np.inf
        values[3, :] = -np.inf
        values[4, 1] = -np.inf
        values[5, 0] = -0.0
    return values.astype(dtype)


# ---------------------------------------------------------------- the path taken


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_c_core_reads_the_16_bit_array_itself(monkeypatch, dtype, function):
    seen = []
    real_run = c_backend._run

    def spy(name: str, matrix: np.ndarray, result: np.ndarray, *rest: Any) -> None:
        seen.append((matrix.dtype, result.dtype, np.shares_memory(matrix, x)))
        real_run(name, matrix, result, *rest)

    monkeypatch.setattr(c_backend, "_run", spy)
    x = sample(dtype, (6, 50))
    result = call(function, x)
    assert seen == [(dtype, dtype, True)]
    assert result.dtype == dtype


def test_other_backends_still_get_float32(monkeypatch):
    from pysoftmax._backends import array_api

    seen = []
    real = array_api.softmax
    monkeypatch.setattr(
        array_api, "softmax", lambda request: seen.append(request.x.dtype) or real(request)
    )
    pysoftmax.softmax(np.ones(4, dtype=np.float16), backend="array_api")
    assert seen == [np.dtype(np.float32)]
    assert c_backend.computes_natively(np.float16, np.float16)
    assert c_backend.computes_natively(np.float16, np.float32)
    assert not c_backend.computes_natively(np.float32, np.float32)
    assert not c_backend.computes_natively(np.float16, np.float64)


# ---------------------------------------------------------------- the same bits as before


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("temperature", [1.0, 0.37, 100.0, 0.0, np.inf])
@pytest.mark.parametrize("shape", [(40, 7), (9, 300), (3, 4096), (4096, 2), (2, 3, 33)])
def test_rows_that_fit_give_the_float32_bits(dtype, function, temperature, shape):
    if function == "logsumexp" and temperature != 1.0:
        pytest.skip("logsumexp takes no temperature")
    x = sample(dtype, shape, seed=sum(shape))
    got = call(function, x, temperature)
    expected = float32_path(function, x, temperature)
    assert got.dtype == dtype and got.shape == expected.shape
    assert np.array_equal(bits(got), bits(expected))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_16_bit_pattern_as_an_input(dtype, function):
    # Rows [p, 1.5] for every pattern p: NaN, infinities, subnormals, both zeros.
    x = np.empty((65536, 2), dtype=dtype)
    x[:, 0] = np.arange(65536, dtype=np.uint16).view(dtype)
    x[:, 1] = 1.5
    got = call(function, x)
    expected = float32_path(function, x)
    assert np.array_equal(bits(got), bits(expected))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_layouts_give_the_bits_of_the_contiguous_array(dtype, function):
    base = sample(dtype, (24, 37), seed=7)
    expected = call(function, base)
    big = np.zeros((24, 2 * 37 + 1), dtype=dtype)
    big[:, 1::2] = base
    layouts = {
        "stepped": big[:, 1::2],
        "fortran": np.asfortranarray(base),
        "reversed": np.flip(np.flip(base, 1).copy(), 1),
        "read-only": base.copy(),
    }
    layouts["read-only"].flags.writeable = False
    if dtype == np.float16:
        layouts["big-endian"] = base.astype(">f2")
    for name, x in layouts.items():
        got = call(function, x)
        assert got.dtype == x.dtype, name
        assert np.array_equal(np.asarray(got, dtype=dtype).view(np.uint16), bits(expected)), name
    # The reduced axis not the last (rows side by side) and both axes: the float32 method's bits
    # for the same layout.
    for axis in (0, (0, 1), None):
        got = call(function, base, axis=axis)
        assert np.array_equal(bits(got), bits(float32_path(function, base, axis=axis))), axis


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_broadcast_empty_and_zero_dimensional_arrays(dtype):
    row = sample(dtype, (1, 9), special=False)
    broadcast = np.broadcast_to(row, (5, 9))
    assert np.array_equal(
        bits(pysoftmax.softmax(broadcast)), bits(np.repeat(pysoftmax.softmax(row), 5, 0))
    )
    for shape in [(0, 5), (5, 0), (0,)]:
        x = np.zeros(shape, dtype=dtype)
        for function in FUNCTIONS:
            got, expected = call(function, x), float32_path(function, x)
            assert got.dtype == dtype and got.shape == expected.shape
            assert np.array_equal(bits(got), bits(expected))
    scalar = np.asarray(3.0, dtype=dtype)
    assert pysoftmax.softmax(scalar).dtype == dtype and float(pysoftmax.softmax(scalar)) == 1.0
    assert pysoftmax.logsumexp(scalar).dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_the_input_is_never_written(dtype):
    x = sample(dtype, (8, 5000))
    before = bits(x).copy()
    for function in FUNCTIONS:
        call(function, x)
    assert np.array_equal(bits(x), before)


# ---------------------------------------------------------------- with the other options


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("n", [37, 5000])
def test_float32_results_of_16_bit_inputs_without_a_copy(monkeypatch, dtype, function, n):
    # dtype=float32: the C core's *_f16_f32 / *_bf16_f32 entry points, the float32 method's
    # bits for x.astype(float32) (logsumexp of long rows: within its bound, in double).
    x = sample(dtype, (6, n), seed=n)
    seen = []
    real_run = c_backend._run

    def spy(name: str, matrix: np.ndarray, result: np.ndarray, *rest: Any) -> None:
        seen.append((matrix.dtype, result.dtype))
        real_run(name, matrix, result, *rest)

    monkeypatch.setattr(c_backend, "_run", spy)
    got = call(function, x, 0.37 if function != "logsumexp" else 1.0, dtype=np.float32)
    monkeypatch.setattr(c_backend, "_run", real_run)
    assert seen == [(dtype, np.dtype(np.float32))] and got.dtype == np.float32
    expected = call(function, x.astype(np.float32), 0.37 if function != "logsumexp" else 1.0)
    if function == "logsumexp" and n > 4096:
        scale = np.maximum(np.abs(np.nanmax(x.astype(np.float32), axis=-1)), np.log(n))
        finite = np.isfinite(expected)
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        assert np.all(np.abs(got - expected)[finite] <= 2 * np.spacing(scale[finite]))
    else:
        assert np.array_equal(got.view(np.uint32), expected.view(np.uint32))
    out = np.empty_like(expected)
    assert (
        call(function, x, 0.37 if function != "logsumexp" else 1.0, dtype=np.float32, out=out)
        is out
    )
    assert np.array_equal(out.view(np.uint32), got.view(np.uint32))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_masks_per_row_temperatures_and_out_keep_the_float32_bits(dtype):
    # These go through a float32 copy, as before: the C core's general entry points.
    x = sample(dtype, (5, 40), special=False)
    keep = np.arange(40) % 3 != 1
    rows_t = np.array([[0.5], [1.0], [2.0], [0.0], [np.inf]])
    for options in ({"where": keep}, {"temperature": rows_t}):
        for function in ("softmax", "log_softmax"):
            got = getattr(pysoftmax, function)(x, **options)
            expected = getattr(pysoftmax, function)(x.astype(np.float32), **options)
            with np.errstate(over="ignore"):
                assert np.array_equal(bits(got), bits(expected.astype(dtype)))
    out = np.empty_like(x)
    assert pysoftmax.softmax(x, out=out) is out
    assert np.array_equal(bits(out), bits(float32_path("softmax", x)))


# ---------------------------------------------------------------- rows longer than the buffer


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("temperature", [1.0, 0.37])
@pytest.mark.parametrize("n", [4097, 20000])
def test_long_rows_are_as_accurate_as_the_float32_bits(dtype, function, temperature, n):
    x = sample(dtype, (4, n), seed=n)
    got = call(function, x, temperature)
    old = float32_path(function, x, temperature)
    # float64 is exact enough here: its error is 2^-42 of a 16-bit ULP.
    exact = call(function, x.astype(np.float64), float(np.float32(temperature)))
    rounded = correctly_rounded(exact, dtype)
    error, old_error = ulp_distance(got, rounded), ulp_distance(old, rounded)
    assert error.max() <= 1
    worse = np.count_nonzero(error > old_error)
    assert worse <= 1e-3 * x.size, f"{worse} of {x.size} entries further from the exact value"


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_long_rows_logsumexp(dtype):
    x = sample(dtype, (4, 30000), seed=3)
    got = pysoftmax.logsumexp(x)
    exact = pysoftmax.logsumexp(x.astype(np.float64))
    assert got.dtype == dtype
    assert np.array_equal(bits(got), bits(correctly_rounded(exact, dtype)))


# ---------------------------------------------------------------- threads and memory


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_the_same_bits_for_any_thread_count(dtype):
    x = sample(dtype, (512, 1024), special=False)
    assert x.size * c_backend._entry_cost(x.dtype) >= c_backend.MIN_THREADED_WORK
    one = pysoftmax.log_softmax(x, threads=1)
    assert np.array_equal(bits(pysoftmax.log_softmax(x, threads=3)), bits(one))
    assert np.array_equal(bits(one), bits(float32_path("log_softmax", x)))


def _peak_bytes(function: Any) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("shape", [(4096, 1024), (64, 65536)])
def test_no_float32_copy_of_the_input(monkeypatch, dtype, shape):
    x = sample(dtype, shape, special=False)
    output = x.nbytes
    slack = 1 << 20
    peak = _peak_bytes(lambda: pysoftmax.softmax(x, threads=1))
    assert peak <= output + slack, f"{peak / 2**20:.1f} MiB for a {output / 2**20:.0f} MiB output"
    # The measurement sees a float32 copy: the old path (x.astype(float32), a float32 result,
    # rounded) needs three times the output more.
    monkeypatch.setattr(c_backend, "computes_natively", lambda dtype, result_dtype: False)
    old_peak = _peak_bytes(lambda: pysoftmax.softmax(x, threads=1))
    assert old_peak >= output + 4 * x.size
