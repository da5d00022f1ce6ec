"""The front door: arguments, dtypes, shapes, axes and unusual arrays."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import array_api_compat
import numpy as np
import pytest

import pysoftmax
from pysoftmax._api import AxisError

FUNCTIONS = ["softmax", "log_softmax", "logsumexp"]


def call(function, x, **kwargs):
    return getattr(pysoftmax, function)(x, **kwargs)


def float64_rows(x: np.ndarray, function: str, axis=-1) -> np.ndarray:
    """An independent float64 recomputation, good to ~1e-15 relative on moderate inputs."""
    x = np.asarray(x, dtype=np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    s = np.sum(e, axis=axis, keepdims=True)
    if function == "softmax":
        return e / s
    if function == "log_softmax":
        return x - m - np.log(s)
    return np.squeeze(m + np.log(s), axis=axis)


# ---- results keep the caller's library, dtype and shape -------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_result_type_dtype_and_shape(library, function):
    x = library.asarray(np.arange(24.0).reshape(2, 3, 4) / 7.0, np.float32)
    result = call(function, x, backend=library.backend)
    assert type(result) is type(x)
    assert result.dtype == x.dtype
    assert result.shape == ((2, 3) if function == "logsumexp" else (2, 3, 4))


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("axis", [0, 1, -1, (0, 2), (2, 0), None, ()])
def test_axis_forms_equal_moving_the_axes_last(library, function, axis):
    data = np.random.default_rng(1).normal(size=(3, 4, 5))
    result = library.to_numpy(
        call(function, library.asarray(data), axis=axis, backend=library.backend)
    )
    axes = (
        (0, 1, 2)
        if axis is None
        else tuple(a % 3 for a in (axis if isinstance(axis, tuple) else (axis,)))
    )
    kept = [a for a in range(3) if a not in axes]
    moved = np.moveaxis(data, axes, range(3 - len(axes), 3))
    rows = moved.reshape(math.prod(moved.shape[: len(kept)]), -1)
    expected = float64_rows(rows, function)
    if function == "logsumexp":
        np.testing.assert_allclose(result.reshape(-1), expected, rtol=1e-14)
    else:
        np.testing.assert_allclose(
            np.moveaxis(result, axes, range(3 - len(axes), 3)).reshape(rows.shape),
            expected,
            rtol=1e-13,
            atol=1e-300,
        )


def test_keepdims(library):
    x = library.asarray(np.ones((2, 3, 4)))
    assert pysoftmax.logsumexp(x, axis=1, keepdims=True, backend=library.backend).shape == (2, 1, 4)
    assert pysoftmax.logsumexp(x, axis=(0, 2), keepdims=True, backend=library.backend).shape == (
        1,
        3,
        1,
    )
    assert pysoftmax.logsumexp(x, axis=None, backend=library.backend).shape == ()
    np.testing.assert_allclose(
        library.to_numpy(pysoftmax.logsumexp(x, axis=None, backend=library.backend)),
        1.0 + math.log(24.0),
        rtol=1e-15,
    )


def test_sequences_and_python_scalars_become_numpy():
    assert isinstance(pysoftmax.softmax([1.0, 2.0]), np.ndarray)
    assert pysoftmax.softmax([[1, 2], [3, 4]]).dtype == np.float64
    zero_d = pysoftmax.softmax(3.5)
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == () and float(zero_d) == 1.0
    assert float(pysoftmax.logsumexp(np.float32(-2.5))) == -2.5


# ---- dtypes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64])
def test_integers_compute_in_the_default_float(library, dtype):
    if library.library != "numpy" and dtype is np.uint64:
        pytest.skip("checked on numpy")
    x = library.asarray([1, 2, 3], dtype)
    result = library.to_numpy(pysoftmax.softmax(x, backend=library.backend))
    info = array_api_compat.array_namespace(x).__array_namespace_info__()
    default = np.dtype(str(info.default_dtypes()["real floating"]).split(".")[-1])
    assert result.dtype == default  # float64 for numpy, float32 for torch
    np.testing.assert_allclose(
        result, float64_rows([1, 2, 3], "softmax"), rtol=np.finfo(default).eps
    )


@pytest.mark.parametrize("backend", ["c", "array_api"])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_float16_computes_in_float32_and_returns_float16(backend, function):
    x = np.array([[0.5, -3.25, 7.0, 1e-3], [65504.0, -65504.0, 0.0, 1.0]], dtype=np.float16)
    result = call(function, x, backend=backend)
    assert result.dtype == np.float16
    with np.errstate(over="ignore"):  # -131008 rounds to -inf in float16
        expected = call(function, x.astype(np.float32), backend=backend).astype(np.float16)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("dtype", [bool, np.complex64, np.complex128])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_bool_and_complex_are_rejected_naming_the_dtype(function, dtype):
    with pytest.raises(TypeError, match=np.dtype(dtype).name):
        call(function, np.zeros(3, dtype=dtype))


@pytest.mark.parametrize("bad", [["a", "b"], np.array([1.0], dtype=object), [None, 1.0]])
def test_non_numeric_inputs_are_type_errors(bad):
    with pytest.raises(TypeError, match=r"dtype|array"):
        pysoftmax.softmax(bad)


def test_longdouble_is_rejected_rather_than_silently_truncated():
    if np.finfo(np.longdouble).bits == 64:
        pytest.skip("long double is float64 on this platform")
    with pytest.raises(TypeError, match=r"longdouble|float128|float96"):
        pysoftmax.softmax(np.zeros(3, dtype=np.longdouble))


# ---- argument errors ------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [2, -3, (0, 5)])
def test_axis_out_of_range_is_an_axis_error_naming_it(library, axis):
    x = library.asarray(np.zeros((2, 3)))
    with pytest.raises(AxisError, match=r"axis (2|-3|5)"):
        pysoftmax.softmax(x, axis=axis, backend=library.backend)
    assert issubclass(AxisError, ValueError)


@pytest.mark.parametrize("axis", [1.5, "0", True, [0], (0, None)])
def test_axis_of_the_wrong_type(axis):
    with pytest.raises(TypeError, match="axis"):
        pysoftmax.softmax(np.zeros((2, 3)), axis=axis)


def test_repeated_axis():
    with pytest.raises(ValueError, match="axis"):
        pysoftmax.logsumexp(np.zeros((2, 3)), axis=(1, -1))


@pytest.mark.parametrize("temperature", [-1.0, -0.0 - 1e-300, math.nan, -math.inf])
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_bad_temperature_values(library, function, temperature):
    with pytest.raises(ValueError, match="temperature"):
        call(
            function, library.asarray([1.0, 2.0]), temperature=temperature, backend=library.backend
        )


@pytest.mark.parametrize("temperature", ["1", None, True, 1 + 2j, ["a"]])
def test_non_number_temperatures(temperature):
    # the wrong kind of value: TypeError, as for every argument
    with pytest.raises(TypeError, match="temperature"):
        pysoftmax.softmax([1.0, 2.0], temperature=temperature)


@pytest.mark.parametrize("temperature", [[[1.0, 2.0]], np.array([1.0, 2.0])])
def test_temperatures_of_the_wrong_shape(temperature):
    # A sequence is one temperature per row: [1.0] is one for the only row (tests/test_options.py),
    # but [[1.0, 2.0]] or [1.0, 2.0] would be one per entry of the reduced axis.
    with pytest.raises(ValueError, match="temperature"):
        pysoftmax.softmax([1.0, 2.0], temperature=temperature)


def test_temperature_accepts_numpy_and_integer_scalars():
    expected = pysoftmax.softmax([1.0, 2.0], temperature=2.0)
    np.testing.assert_array_equal(pysoftmax.softmax([1.0, 2.0], temperature=2), expected)
    np.testing.assert_array_equal(
        pysoftmax.softmax([1.0, 2.0], temperature=np.float32(2)), expected
    )


def test_keepdims_must_be_a_bool():
    with pytest.raises(TypeError, match="keepdims"):
        pysoftmax.logsumexp([1.0], keepdims=1)


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"one of 'c', .*'array_api'"):
        pysoftmax.softmax([1.0], backend="cuda")


def test_forcing_c_on_another_library_is_a_type_error():
    array_api_strict = pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError, match=r"backend 'c' \(from backend=\) cannot take"):
        pysoftmax.softmax(array_api_strict.asarray([1.0, 2.0]), backend="c")


def test_backends_report():
    reported = {b.name: b for b in pysoftmax.backends()}
    names = list(reported)
    assert names[0] == "c" and names[-1] == "array_api"
    assert {"c", "torch", "dask", "array_api"} <= set(reported)
    assert all(b.reason for b in reported.values())
    for name in ("c", "array_api"):  # always there: the others depend on what is installed
        assert reported[name].available and reported[name].description


def test_numpy_arrays_go_to_the_c_core_by_default(monkeypatch, fast_calls):
    from pysoftmax._backends import c

    calls = []
    original = c._run
    monkeypatch.setattr(c, "_run", lambda *args: calls.append(args[0]) or original(*args))
    pysoftmax.softmax(np.ones(3))  # the fast path's call
    pysoftmax.softmax(np.ones((3, 2)), axis=0)  # the general path's
    assert fast_calls == [("softmax_f64", 1, 3)]
    assert calls == ["softmax"]


# ---- unusual arrays ----------------------------------------------------------------------------


def _data() -> np.ndarray:
    return np.random.default_rng(5).normal(scale=4.0, size=(6, 7))


@pytest.mark.parametrize("backend", ["c", "array_api"])
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize(
    "variant", ["big_endian", "misaligned", "read_only", "transposed", "strided", "fortran"]
)
def test_unusual_layouts_give_the_same_answer(backend, function, variant):
    data = _data()
    expected = call(function, data, backend="c")
    if variant == "big_endian":
        x = data.astype(">f8")
    elif variant == "misaligned":
        buffer = np.zeros(data.size * 8 + 1, dtype=np.uint8)
        x = buffer[1:].view(np.float64).reshape(data.shape)
        x[...] = data
        assert not x.flags.aligned
    elif variant == "read_only":
        x = data.copy()
        x.flags.writeable = False
    elif variant == "transposed":
        x = np.ascontiguousarray(data.T).T
    elif variant == "strided":
        wide = np.zeros((12, 14))
        wide[::2, ::2] = data
        x = wide[::2, ::2]
    else:
        x = np.asfortranarray(data)
    np.testing.assert_array_equal(call(function, x, backend=backend), expected)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 4)])
def test_zero_size(library, function, shape):
    x = library.asarray(np.zeros(shape))
    result = library.to_numpy(call(function, x, backend=library.backend))
    if function == "logsumexp":
        assert result.shape == shape[:-1]
        assert np.all(result == -np.inf)
    else:
        assert result.shape == shape


def test_the_c_core_reads_a_contiguous_input_without_copying(monkeypatch, general_path):
    from pysoftmax._backends import c

    x = np.ones((4, 5))
    matrix_holder = []
    original_run = c._run
    monkeypatch.setattr(
        c,
        "_run",
        lambda f, matrix, *rest: matrix_holder.append(matrix) or original_run(f, matrix, *rest),
    )
    pysoftmax.softmax(x)
    assert np.shares_memory(matrix_holder[0], x)


def test_no_floating_point_warning_is_ever_raised():
    # pytest runs with filterwarnings=error: any RuntimeWarning fails this test.
    hard = np.array(
        [[1e308, -1e308, 0.0], [np.inf, -np.inf, np.nan], [-np.inf] * 3, [5e-324, -5e-324, 0.0]]
    )
    for backend in ("c", "array_api"):
        for temperature in (0.0, 1e-300, 1.0, 1e300, math.inf):
            pysoftmax.softmax(hard, temperature=temperature, backend=backend)
            pysoftmax.log_softmax(hard, temperature=temperature, backend=backend)
        pysoftmax.logsumexp(hard, backend=backend)


@pytest.mark.parametrize(
    "temperature",
    [2, 2.0, np.float32(2.0), np.int64(2), np.array(2.0), Decimal("2"), Fraction(2)],
    ids=["int", "float", "float32", "int64", "0-d array", "Decimal", "Fraction"],
)
def test_real_temperatures_of_any_type(temperature):
    expected = pysoftmax.softmax([1.0, 2.0], temperature=2.0)
    np.testing.assert_array_equal(pysoftmax.softmax([1.0, 2.0], temperature=temperature), expected)


@pytest.mark.parametrize(
    ("dtype", "temperature", "becomes"),
    [
        (np.float32, 1e39, "inf"),
        (np.float32, 1e-46, "0.0"),
        (np.float64, 10**400, "inf"),
        (np.float64, Fraction(10**400), "inf"),
        (np.float64, Fraction(1, 10**330), "0.0"),
    ],
)
def test_a_temperature_that_rounds_to_a_limit_is_an_error(dtype, temperature, becomes):
    # Silently switching to the T = 0 or T = inf rule would be a different function.
    with pytest.raises(ValueError, match=f"becomes {becomes}"):
        pysoftmax.softmax(np.array([1.0, 2.0], dtype=dtype), temperature=temperature)


def test_negative_huge_temperature():
    with pytest.raises(ValueError, match=">= 0"):
        pysoftmax.softmax([1.0, 2.0], temperature=-(10**400))


def test_masked_arrays_are_refused_rather_than_their_mask_ignored():
    with pytest.raises(TypeError, match="masked"):
        pysoftmax.softmax(np.ma.array([1.0, 2.0, 3.0], mask=[0, 1, 0]))


@pytest.mark.parametrize("bad", [[[1, 2], [3]], [None, 1.0], [10**30], [object()]])
def test_inputs_numpy_cannot_make_numbers_of(bad):
    with pytest.raises(TypeError, match="sequence of numbers"):
        pysoftmax.softmax(bad)


def test_numpy_bfloat16_computes_in_float32():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = np.array([1.0, 2.0, 3.0], dtype=ml_dtypes.bfloat16)
    result = pysoftmax.softmax(x)
    assert result.dtype == x.dtype
    expected = pysoftmax.softmax(x.astype(np.float32)).astype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(result, expected)


def test_the_array_api_backend_refuses_jax_arrays_with_the_reason():
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(TypeError, match="XLA flushes subnormals"):
        pysoftmax.softmax(jnp.asarray([1.0, 2.0]), backend="array_api")


def test_flush_to_zero_mode_does_not_reach_the_kernels():
    torch = pytest.importorskip("torch")
    if not torch.set_flush_denormal(True):
        pytest.skip("this processor has no flush-to-zero mode")
    try:
        tiny = np.array([5e-324])
        assert (tiny * 1.0)[0] == 0.0  # the mode is on for this thread
        result = pysoftmax.softmax(np.array([0.0, -740.0, -745.0]))
        # Subnormal outputs survive (read as bits: with DAZ on, a subnormal compares as 0).
        expected = np.array([1.0, 4.2e-322, 4.9e-324])
        np.testing.assert_array_equal(result.view(np.uint64), expected.view(np.uint64))
        assert (tiny * 1.0)[0] == 0.0  # and the caller's mode is back
    finally:
        torch.set_flush_denormal(False)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_c_core_reads_a_numpy_view_in_place(function, monkeypatch, general_path):
    from pysoftmax._backends import c

    received = []
    original = c._run
    monkeypatch.setattr(
        c,
        "_run",
        lambda name, matrix, *rest: received.append(matrix) or original(name, matrix, *rest),
    )
    base = np.random.default_rng(12).normal(size=(6, 9))
    view = base[2:5]  # rows of a larger array: a view, still C-contiguous
    result = getattr(pysoftmax, function)(view)
    assert np.shares_memory(received[0], base) and received[0].ctypes.data == view.ctypes.data
    np.testing.assert_array_equal(result, getattr(pysoftmax, function)(view.copy()))


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("layout", ["C", "F", "sliced", "reversed", "broadcast"])
def test_the_c_core_reads_any_two_stride_layout_in_place(axis, layout, monkeypatch, general_path):
    from pysoftmax._backends import c

    data = np.random.default_rng(13).normal(size=(8, 12))
    x = {
        "C": data,
        "F": np.asfortranarray(data),
        "sliced": data[::2, 1::3],
        "reversed": data[::-1, ::-2],
        "broadcast": np.broadcast_to(data[0], (5, 12)),
    }[layout]
    expected = {f: getattr(pysoftmax, f)(np.ascontiguousarray(x), axis=axis) for f in FUNCTIONS}
    received = []
    original = c._run
    monkeypatch.setattr(
        c,
        "_run",
        lambda name, matrix, *rest: received.append(matrix) or original(name, matrix, *rest),
    )
    for function in FUNCTIONS:
        np.testing.assert_array_equal(
            getattr(pysoftmax, function)(x, axis=axis), expected[function]
        )
    assert len(received) == len(FUNCTIONS)
    assert all(np.shares_memory(matrix, x) for matrix in received)


# ---- the fast path for small numpy arrays ------------------------------------------------------


def _general(function, x, **kwargs):
    """The same call by the general path (the fast path off); an exception is returned."""
    from pysoftmax import _api

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_api, "_FAST_KERNELS", {})
        try:
            return call(function, x, **kwargs)
        except (TypeError, ValueError) as error:
            return error


def _same_outcome(function, x, **kwargs):
    """Assert the default path (fast where it applies) and the general path agree, bit for bit."""
    expected = _general(function, x, **kwargs)
    if isinstance(expected, Exception):
        with pytest.raises(type(expected)) as raised:
            call(function, x, **kwargs)
        assert str(raised.value) == str(expected)
        return
    result = call(function, x, **kwargs)
    assert type(result) is type(expected) is np.ndarray
    assert result.dtype == expected.dtype and result.shape == expected.shape
    unsigned = np.uint32 if result.dtype == np.float32 else np.uint64
    assert np.array_equal(
        np.ascontiguousarray(result).view(unsigned), np.ascontiguousarray(expected).view(unsigned)
    )


def _special_rows(shape, dtype, seed):
    x = np.random.default_rng(seed).normal(scale=30.0, size=shape).astype(dtype)
    flat = x.reshape(-1, shape[-1])
    info = np.finfo(dtype)
    specials = [np.nan, np.inf, -np.inf, info.max, -info.max, info.smallest_subnormal, -0.0]
    for row in range(0, flat.shape[0], 3):
        flat[row, row % shape[-1]] = specials[row % len(specials)]
    if flat.shape[0] > 1:
        flat[1, :] = -np.inf
    return x


FAST_TEMPERATURES = [
    1.0,
    0.5,
    3.0,
    2,
    7,
    0,
    0.0,
    -0.0,
    math.inf,
    1e-30,
    3e38,
    1e-40,  # subnormal in float32: the general path checks it
    1e39,  # inf in float32: a ValueError
    1e-50,  # 0 in float32: a ValueError
    2**60,
    -1.0,
    -0.5,
    math.nan,
    -math.inf,
    True,
    "1",
    np.float64(0.3),
    np.float32(0.3),
    np.float64(1e-40),
    np.float32(1e-40),  # subnormal
    np.float64(-2.0),
    np.float32(np.nan),
    np.float64(np.inf),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (10,), (3, 7), (2, 3, 5), (1, 1000), (100, 300)])
def test_the_fast_path_gives_the_general_paths_bits(dtype, shape, fast_calls):
    x = _special_rows(shape, dtype, seed=sum(shape))
    for function in ("softmax", "log_softmax"):
        _same_outcome(function, x)
        for temperature in FAST_TEMPERATURES:
            _same_outcome(function, x, temperature=temperature)
    for keepdims in (False, True, 1):
        _same_outcome("logsumexp", x, keepdims=keepdims)
    for threads in (None, 1, 3, 0, True):
        _same_outcome("softmax", x, threads=threads)
    assert len(fast_calls) >= 20  # the fast path did take most of these


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_fast_path_is_taken_for_small_numpy_arrays(dtype, fast_calls):
    suffix = "f32" if dtype == np.float32 else "f64"
    x = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    read_only = np.linspace(0, 1, 10, dtype=dtype)
    read_only.flags.writeable = False
    pysoftmax.softmax(x)
    pysoftmax.log_softmax(x, temperature=0.5, threads=1)
    pysoftmax.logsumexp(x, keepdims=True, threads=4)
    pysoftmax.softmax(read_only, axis=-1, temperature=2)
    pysoftmax.softmax(x[1])  # a C-contiguous view
    pysoftmax.softmax(x, axis=2)  # the last axis by its number
    pysoftmax.softmax(read_only, axis=0)
    pysoftmax.log_softmax(x, temperature=np.float64(0.7))
    pysoftmax.log_softmax(x, temperature=np.float32(0.7))
    assert fast_calls == [
        (f"softmax_{suffix}", 6, 4),
        (f"log_softmax_{suffix}", 6, 4),
        (f"logsumexp_{suffix}", 6, 4),
        (f"softmax_{suffix}", 1, 10),
        (f"softmax_{suffix}", 3, 4),
        (f"softmax_{suffix}", 6, 4),
        (f"softmax_{suffix}", 1, 10),
        (f"log_softmax_{suffix}", 6, 4),
        (f"log_softmax_{suffix}", 6, 4),
    ]
    general = _general("log_softmax", x, temperature=0.699999988079071)  # float32's 0.7
    np.testing.assert_array_equal(pysoftmax.log_softmax(x, temperature=np.float32(0.7)), general)


class _Subclass(np.ndarray):
    pass


def _not_fast_cases():
    x = np.random.default_rng(21).normal(size=(4, 6))
    buffer = np.zeros(x.size * 8 + 1, dtype=np.uint8)
    misaligned = buffer[1:].view(np.float64).reshape(x.shape)
    misaligned[...] = x
    return {
        "float16": (x.astype(np.float16), {}),
        "int": (np.arange(6), {}),
        "subclass": (x.view(_Subclass), {}),
        "recarray": (x.view(np.recarray), {}),
        "non-contiguous view": (x[:, ::2], {}),
        "transposed": (x.T, {}),
        "byte-swapped": (x.astype(">f8"), {}),
        "misaligned": (misaligned, {}),
        "axis 0": (x, {"axis": 0}),
        "axis tuple": (x, {"axis": (-1,)}),
        "axis numpy int": (x, {"axis": np.int64(-1)}),
        "axis None": (x, {"axis": None}),
        "0-d": (np.array(2.5), {}),
        "empty": (np.zeros((3, 0)), {}),
        "no rows": (np.zeros((0, 3)), {}),
        "large": (np.ones((1024, 512)), {}),  # float64: 2**19 entries, threaded
        "large float32": (np.ones((1024, 1024), dtype=np.float32), {}),
        "backend c": (x, {"backend": "c"}),
        "numpy float16 temperature": (x, {"temperature": np.float16(2.0)}),
        "sequence": (x.tolist(), {}),
    }


@pytest.mark.parametrize("case", list(_not_fast_cases()))
def test_the_fast_path_is_not_taken(case, fast_calls):
    x, kwargs = _not_fast_cases()[case]
    for function in FUNCTIONS if "temperature" not in kwargs else ["softmax", "log_softmax"]:
        expected = _general(function, x, **kwargs)
        np.testing.assert_array_equal(call(function, x, **kwargs), expected)
    assert fast_calls == []


@pytest.mark.parametrize("default", ["use_backend c", "use_backend array_api", "environment"])
def test_a_backend_default_turns_the_fast_path_off(default, fast_calls, monkeypatch):
    from pysoftmax._backends import array_api

    reached = []
    original = array_api.softmax
    monkeypatch.setattr(array_api, "softmax", lambda r: reached.append(r) or original(r))
    x = np.array([1.0, 2.0, 4.0])
    expected = _general("softmax", x)
    if default == "environment":
        monkeypatch.setenv("PYSOFTMAX_BACKEND", "array_api")
        result = pysoftmax.softmax(x)
    else:
        with pysoftmax.use_backend(default.split()[-1]):
            result = pysoftmax.softmax(x)
    np.testing.assert_allclose(result, expected, rtol=1e-15)
    assert fast_calls == []
    assert len(reached) == (0 if default == "use_backend c" else 1)
    monkeypatch.delenv("PYSOFTMAX_BACKEND", raising=False)
    pysoftmax.softmax(x)  # no default any more: fast again
    assert len(fast_calls) == 1


def test_the_fast_path_reads_the_input_in_place(monkeypatch):
    from pysoftmax import _api, _core

    addresses = []
    ctype, softmax_kernel, *rest = _api._FAST_KERNELS[np.dtype(np.float64)]

    def spy(x_pointer, y_pointer, rows, n, temperature):
        addresses.append(int(_core.ffi.cast("uintptr_t", x_pointer)))
        return softmax_kernel(x_pointer, y_pointer, rows, n, temperature)

    monkeypatch.setitem(_api._FAST_KERNELS, np.dtype(np.float64), (ctype, spy, *rest))
    base = np.random.default_rng(22).normal(size=(5, 8))
    result = pysoftmax.softmax(base[1:3])
    assert addresses == [base[1:3].ctypes.data]
    assert not np.shares_memory(result, base)
    np.testing.assert_array_equal(result, _general("softmax", base[1:3]))


def test_the_readme_shows_the_signatures():
    import inspect
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for function in FUNCTIONS:
        signature = inspect.signature(getattr(pysoftmax, function))
        bare = signature.replace(
            parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
            return_annotation=signature.empty,
        )
        # whitespace aside: the README wraps long signatures
        assert " ".join(f"pysoftmax.{function}{bare}".split()) in " ".join(readme.split())


def test_a_temperature_traced_by_jax_jit_is_taken():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    x = jnp.asarray([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    traced = jax.jit(lambda x, t: pysoftmax.softmax(x, temperature=t))(x, 0.25)
    np.testing.assert_array_equal(
        np.asarray(traced), np.asarray(pysoftmax.softmax(x, temperature=0.25))
    )
