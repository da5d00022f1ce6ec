"""The front door fuzzed with hypothesis: any valid call is right, any bad one is refused.

- Valid calls: any dtype x may have (float16, bfloat16, float32, float64, signed and unsigned
  integers), any shape of up to four dimensions (empty and 0-d included), any axis (an int,
  negative ints, tuples in any order, None), any layout numpy makes (Fortran order, permuted
  and reversed strides, steps, broadcast, non-native byte order, unaligned, read-only), finite
  and special values (NaN, +-inf), every kind of temperature (float, int, numpy scalar,
  Fraction, Decimal, 0-d array; 0 and inf), ``threads`` and ``keepdims``.  Each result has the
  right type, shape and dtype, agrees with a long double reference by the edge-case table's
  rules within the bound (2 ULP of float32, 3 of float64 for this reference, one rounding
  more for float16/bfloat16; logsumexp in ULPs of max(|max|, log S)), and is bit for bit the
  same for another thread count.  pytest turns every warning into an error, so none is raised.
- Bad calls: for each argument, values of the wrong type or out of range (and for x, objects
  that are no array at all); each raises TypeError or ValueError, with the argument's name in
  the message, and nothing else (no crash, no other exception, no warning).

The two main tests run five times the profile's examples (300 in the default profile of
conformance/conftest.py: about 10 s in all), the others the profile's; ``--hypothesis-profile
thorough`` runs 15000 and 3000 (a few minutes).
"""

from __future__ import annotations

import decimal
import fractions
import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pysoftmax

try:
    import ml_dtypes

    BFLOAT16: Any = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - ml_dtypes comes with jax
    BFLOAT16 = None

FUNCTIONS = ("softmax", "log_softmax", "logsumexp")
FLOATS = [np.float16, np.float32, np.float64]
INTEGERS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
DTYPES = [np.dtype(d) for d in FLOATS + INTEGERS] + ([BFLOAT16] if BFLOAT16 is not None else [])
LAYOUTS = (
    "as made",
    "fortran",
    "permuted",
    "reversed",
    "stepped",
    "broadcast",
    "byteswapped",
    "unaligned",
    "read-only",
)
HYPOTHESIS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The two main tests take five times the profile's examples (300 in the default profile, a few
# seconds each; conformance/conftest.py loads the profile before this module is imported).
MANY = settings(HYPOTHESIS, max_examples=5 * settings.default.max_examples)


# ---------------------------------------------------------------- the reference


def _compute_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    if dtype.kind in "iu" or dtype.itemsize == 8:
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def _row_reference(
    function: str, v: np.ndarray, temperature: float
) -> tuple[np.ndarray, np.longdouble]:
    """One row in long double, by the edge-case table's rules, and logsumexp's error scale.

    softmax and log_softmax: an array like v; logsumexp: one value.  The scale is
    max(|max|, log S), the header's unit for logsumexp's error (0 where not finite).
    """
    n = v.size
    inf = np.longdouble(np.inf)
    zero = np.longdouble(0)
    lse = function == "logsumexp"
    if n == 0:
        return (np.array([-inf]) if lse else v.copy()), zero
    if np.isnan(v).any():
        return np.full(1 if lse else n, np.nan, dtype=np.longdouble), zero
    top = v.max()
    if top == -inf:
        return (np.array([-inf]) if lse else np.full(n, np.nan, dtype=np.longdouble)), zero
    if top == inf or (not lse and temperature in (0.0, math.inf)):
        if lse:
            return np.array([inf]), zero
        selected = v == top if (top == inf or temperature == 0.0) else v > -inf
        count = np.longdouble(selected.sum())
        if function == "softmax":
            return np.where(selected, 1 / count, zero), zero
        return np.where(selected, -np.log(count), -inf), zero
    t = np.longdouble(1.0 if lse else temperature)
    z = (v - top) / t
    e = np.exp(z)
    others = np.delete(e, int(np.argmax(v))).sum()  # not e.sum() - 1: that cancels
    log_sum = np.log1p(others)
    if lse:
        return np.array([top + log_sum]), max(abs(top), log_sum)
    if function == "softmax":
        return e / (1 + others), zero
    return z - log_sum, zero


def _reference(
    function: str, x: np.ndarray, axes_: tuple[int, ...], temperature: float, keepdims: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The long double reference in the result's shape, and logsumexp's error scales."""
    with np.errstate(all="ignore"):
        values = x.astype(np.float64).astype(_compute_dtype(x.dtype)).astype(np.longdouble)
    zero_dimensional = values.ndim == 0
    if zero_dimensional:
        values, axes_ = values.reshape(1), (0,)
    others = [d for d in range(values.ndim) if d not in axes_]
    order = others + list(axes_)
    moved = np.transpose(values, order)
    kept = moved.shape[: len(others)]
    rows = moved.reshape(math.prod(kept), math.prod(moved.shape[len(others) :]))
    outputs, scales = [], []
    with np.errstate(all="ignore"):
        for row in rows:
            output, scale = _row_reference(function, row, temperature)
            outputs.append(output)
            scales.append(scale)
    if function == "logsumexp":
        result = np.array([o[0] for o in outputs], dtype=np.longdouble).reshape(kept)
        scale_array = np.array(scales, dtype=np.longdouble).reshape(kept)
        if keepdims and not zero_dimensional:
            result = np.expand_dims(result, axes_)
            scale_array = np.expand_dims(scale_array, axes_)
    else:
        stacked = np.array(outputs, dtype=np.longdouble).reshape(moved.shape)
        result = np.transpose(stacked, np.argsort(order))
        scale_array = np.zeros(result.shape, dtype=np.longdouble)
    if zero_dimensional:
        result, scale_array = result.reshape(()), scale_array.reshape(())
    return result, scale_array


# (mantissa bits, smallest normal exponent) of each result dtype
_FORMATS = {
    np.dtype(np.float16): (11, -14),
    np.dtype(np.float32): (24, -126),
    np.dtype(np.float64): (53, -1022),
}
if BFLOAT16 is not None:
    _FORMATS[BFLOAT16] = (8, -126)


def _ulp(values: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """The unit in the last place of dtype at each |value| (long double)."""
    bits, lowest = _FORMATS[dtype.newbyteorder("=")]
    _, exponent = np.frexp(np.abs(values))
    exponent = np.where(values == 0, lowest + 1, exponent)
    return np.ldexp(np.longdouble(1), np.maximum(exponent - 1, lowest) - bits + 1)


def _within(
    got: np.ndarray, expected: np.ndarray, dtype: np.dtype[Any], ulps: float, scale: np.ndarray
) -> np.ndarray:
    """Where got is within `ulps` ULP (of dtype, at expected or at scale) of expected."""
    with np.errstate(all="ignore"):
        got_ld = got.astype(np.float64).astype(np.longdouble)
        rounded = expected.astype(np.float64).astype(dtype).astype(np.float64)
        rounded = rounded.astype(np.longdouble)
        same_special = (np.isnan(got_ld) & np.isnan(rounded)) | (
            np.isinf(got_ld) & (got_ld == rounded)
        )
        finite = np.isfinite(got_ld) & np.isfinite(rounded)
        unit = np.maximum(_ulp(rounded, dtype), _ulp(np.where(np.isfinite(scale), scale, 0), dtype))
        close = np.abs(got_ld - rounded) <= ulps * unit
    return same_special | (finite & close)


# ---------------------------------------------------------------- strategies


@st.composite
def arrays(draw: st.DrawFn, special: bool) -> np.ndarray:
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = (int(info.min), int(info.max)) if draw(st.booleans()) else (-50, 50)
        elements = st.integers(max(low, int(info.min)), min(high, int(info.max)))
        base = np.array(
            draw(st.lists(elements, min_size=math.prod(shape), max_size=math.prod(shape))),
            dtype=dtype,
        ).reshape(shape)
    else:
        bound = 6e4 if dtype == np.float16 else (3e38 if dtype == BFLOAT16 else 1e300)
        scale = draw(st.sampled_from([1.0, 30.0, bound]))
        finite = st.floats(-scale, scale, allow_nan=False, allow_infinity=False, width=64)
        elements = (
            st.one_of(finite, st.sampled_from([np.nan, np.inf, -np.inf, -0.0]))
            if special
            else finite
        )
        values = draw(st.lists(elements, min_size=math.prod(shape), max_size=math.prod(shape)))
        with np.errstate(over="ignore"):
            base = np.array(values, dtype=np.float64).astype(dtype).reshape(shape)
    return _layout(base, draw(st.sampled_from(LAYOUTS)), draw)


def _layout(base: np.ndarray, layout: str, draw: st.DrawFn) -> np.ndarray:
    """base's values in one of numpy's layouts (broadcast repeats a slice of them)."""
    if base.ndim == 0 and layout not in ("byteswapped", "read-only", "as made"):
        return base
    if layout == "fortran":
        return np.asfortranarray(base)
    if layout == "permuted":
        permutation = draw(st.permutations(range(base.ndim)))
        return np.transpose(
            np.ascontiguousarray(np.transpose(base, permutation)), np.argsort(permutation)
        )
    if layout == "reversed":
        axis = draw(st.integers(0, base.ndim - 1))
        return np.flip(np.flip(base, axis).copy(), axis)
    if layout == "stepped":
        big = np.zeros((*base.shape[:-1], 2 * base.shape[-1] + 1), dtype=base.dtype)
        big[..., 1::2] = base
        return big[..., 1::2]
    if layout == "broadcast":
        axis = draw(st.integers(0, base.ndim - 1))
        return np.broadcast_to(
            np.take(base, [0], axis=axis) if base.shape[axis] else base, base.shape
        )
    if layout == "byteswapped":
        if base.dtype == BFLOAT16:
            return base
        return base.astype(base.dtype.newbyteorder())
    if layout == "unaligned":
        if base.dtype.itemsize == 1 or base.size == 0:
            return base
        raw = np.frombuffer(
            b"\0" + np.ascontiguousarray(base).tobytes(), dtype=base.dtype, offset=1
        )
        return raw.reshape(base.shape)
    if layout == "read-only":
        view = base.copy()
        view.setflags(write=False)
        return view
    return base


@st.composite
def axes(draw: st.DrawFn, ndim: int) -> Any:
    """An axis argument valid for ndim dimensions, and the sorted axes it names."""
    kind = draw(st.sampled_from(["default", "int", "negative", "tuple", "none"]))
    if kind == "default" or ndim == 0:
        return -1 if ndim else draw(st.sampled_from([-1, 0, None]))
    if kind == "int":
        return draw(st.integers(0, ndim - 1))
    if kind == "negative":
        return draw(st.integers(-ndim, -1))
    if kind == "none":
        return None
    chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=0, max_size=ndim))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


def _sorted_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(max(ndim, 1)))
    entries = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % max(ndim, 1) for a in entries))


TEMPERATURES = st.sampled_from(
    [
        1.0,
        0.5,
        3,
        7.25,
        0.0,
        0,
        math.inf,
        1e-3,
        100.0,
        np.float32(2.0),
        np.float64(0.37),
        np.int64(2),
        fractions.Fraction(1, 3),
        decimal.Decimal("0.25"),
        np.array(0.7),
        np.longdouble(1.5),
    ]
)


def _expected_shape(
    function: str, shape: tuple[int, ...], axes_: tuple[int, ...], keepdims: bool
) -> tuple[int, ...]:
    if function != "logsumexp" or not shape:
        return shape
    if keepdims:
        return tuple(1 if d in axes_ else s for d, s in enumerate(shape))
    return tuple(s for d, s in enumerate(shape) if d not in axes_)


def _call(function: str, x: Any, axis: Any, temperature: Any, threads: Any, keepdims: bool) -> Any:
    f = getattr(pysoftmax, function)
    if function == "logsumexp":
        return f(x, axis, keepdims=keepdims, threads=threads)
    return f(x, axis, temperature=temperature, threads=threads)


# ---------------------------------------------------------------- valid calls


@MANY
@given(data=st.data(), special=st.booleans())
def test_any_valid_call_is_right(data: st.DataObject, special: bool) -> None:
    function = data.draw(st.sampled_from(FUNCTIONS))
    x = data.draw(arrays(special))
    axis = data.draw(axes(x.ndim))
    temperature = data.draw(TEMPERATURES)
    threads = data.draw(st.sampled_from([None, 1, 2, 3, 8]))
    keepdims = data.draw(st.booleans())
    before = x.copy()

    result = _call(function, x, axis, temperature, threads, keepdims)

    reduced = _sorted_axes(axis, x.ndim)
    result_dtype = np.dtype(np.float64) if x.dtype.kind in "iu" else x.dtype
    assert isinstance(result, np.ndarray)
    assert result.shape == _expected_shape(function, x.shape, reduced, keepdims)
    assert result.dtype == result_dtype  # byte order included (P2, P3 below)
    assert x.tobytes() == before.tobytes()  # the input is never written

    compute = _compute_dtype(x.dtype)
    t = float(np.asarray(float(temperature), dtype=compute))
    expected, scale = _reference(function, x, reduced, t, keepdims)
    assert expected.shape == result.shape
    # The bound: 2 ULP of float32, 3 of float64 for a long double reference (csrc/tests/
    # test_accuracy.c says why); a float16 or bfloat16 result is a float32 one rounded once
    # more, within 1 ULP of its own dtype of the reference rounded to it.
    ulps = (
        1.0 if result_dtype.itemsize < compute.itemsize else 3.0 if compute.itemsize == 8 else 2.0
    )
    ok = _within(result, expected, result_dtype, ulps, scale)
    assert ok.all(), (
        f"{function}(x of {x.dtype} {x.shape}, axis={axis!r}, temperature={temperature!r}): "
        f"{result[~ok][:5]} against the reference {expected[~ok][:5]}"
    )

    other = _call(function, x, axis, temperature, 1 if threads != 1 else 2, keepdims)
    assert other.tobytes() == result.tobytes()  # the same bits for another thread count


# ---------------------------------------------------------------- bad calls

X = np.arange(6.0).reshape(2, 3)


def _not_arrays() -> st.SearchStrategy[Any]:
    return st.sampled_from(
        [
            None,
            "abc",
            b"ab",
            {},
            {1.0, 2.0},
            object(),
            [[1.0, 2.0], [3.0]],
            [None, 1.0],
            [2**70, 1],
            np.ones(3, complex),
            np.ones(3, bool),
            np.array(["a", "b"]),
            np.array(["2020-01-01"], dtype="datetime64[D]"),
            np.array([1], dtype="timedelta64[s]"),
            np.ones(3, np.longdouble),
            np.ma.array([1.0, 2.0]),
            np.array([1.0, 2.0], dtype=object),
            np.zeros(3, dtype=[("a", "f8")]),
            np.zeros(3, dtype="V8"),
            1j,
            True,
        ]
    )


BAD_AXES = st.one_of(
    st.sampled_from([1.0, "0", [0], True, False, (0, 1.5), (0, "1"), np.float64(1.0)]),
    st.integers(2, 10**30),
    st.integers(-(10**30), -3),
    st.sampled_from([(0, 0), (1, -1), (0, 1, 0)]),
)
BAD_TEMPERATURES = st.one_of(
    st.floats(max_value=-1e-300, allow_nan=False),
    st.just(math.nan),
    st.just(-math.inf),
    st.sampled_from(
        [
            "1",
            None,
            True,
            1j,
            ["a"],  # a sequence is one temperature per row: [1.0] is valid for one row
            np.array([[1.0, 2.0, 3.0]]),  # one per entry of the reduced axis, not per row
            np.bool_(True),
            np.complex128(1),
            decimal.Decimal("sNaN"),
            decimal.Decimal("NaN"),
            decimal.Decimal("-1"),
            -(10**400),
            10**400,
            fractions.Fraction(1, 10**400),
            np.datetime64("2020"),
            np.timedelta64(1, "s"),
        ]
    ),
)
# Valid for float64 x, but not for float32 x: they round to 0 or inf there.
FLOAT32_BAD_TEMPERATURES = st.sampled_from([1e-50, 1e50, 1e-46, 3.5e38])
BAD_THREADS = st.one_of(
    st.integers(max_value=0),
    st.sampled_from([True, False, 2.0, "2", [2], 1j, np.float64(2.0), np.int64(0)]),
)
BAD_KEEPDIMS = st.sampled_from([1, 0, None, "yes", np.True_, np.False_, [True], 1.0])
BAD_BACKENDS = st.one_of(st.text(max_size=8), st.sampled_from([5, 1.0, b"c", ["c"]]))


def _names_the_argument(error: BaseException, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", str(error)) is not None


@MANY
@given(data=st.data())
def test_every_bad_argument_is_refused_by_name(data: st.DataObject) -> None:
    function = data.draw(st.sampled_from(FUNCTIONS))
    names = ["x", "axis", "threads", "backend"] + (
        ["keepdims"] if function == "logsumexp" else ["temperature"]
    )
    name = data.draw(st.sampled_from(names))
    kwargs: dict[str, Any] = {}
    x: Any = X
    if name == "x":
        x = data.draw(_not_arrays())
    elif name == "axis":
        kwargs["axis"] = data.draw(BAD_AXES)
    elif name == "temperature":
        if data.draw(st.booleans()):
            x = X.astype(np.float32)
            kwargs["temperature"] = data.draw(st.one_of(BAD_TEMPERATURES, FLOAT32_BAD_TEMPERATURES))
        else:
            kwargs["temperature"] = data.draw(BAD_TEMPERATURES)
    elif name == "threads":
        kwargs["threads"] = data.draw(BAD_THREADS)
    elif name == "keepdims":
        kwargs["keepdims"] = data.draw(BAD_KEEPDIMS)
    else:
        kwargs["backend"] = data.draw(BAD_BACKENDS)
        assume(not isinstance(kwargs["backend"], str) or kwargs["backend"] not in _backend_names())
    with pytest.raises((TypeError, ValueError)) as caught:
        getattr(pysoftmax, function)(x, **kwargs)
    assert _names_the_argument(caught.value, name), (
        f"{function}({name}={kwargs.get(name, x)!r}) raised {caught.value!r}, "
        f"which does not name {name!r}"
    )


@HYPOTHESIS
@given(
    function=st.sampled_from(FUNCTIONS),
    keyword=st.sampled_from(["keepdims", "temperature", "output", "dim", "mask", "x"]),
)
def test_an_unknown_keyword_is_refused_by_name(function: str, keyword: str) -> None:
    known = {"axis", "threads", "backend"} | (
        {"keepdims"} if function == "logsumexp" else {"temperature"}
    )
    assume(keyword not in known)
    with pytest.raises(TypeError, match=re.escape(repr(keyword))):
        getattr(pysoftmax, function)(X, **{keyword: 1})


ENVIRONMENT_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=8
)


def _is_thread_count(text: str) -> bool:
    stripped = text.strip()
    return stripped.isascii() and stripped.isdigit() and int(stripped) >= 1


@HYPOTHESIS
@given(
    value=st.one_of(
        ENVIRONMENT_TEXT.filter(lambda s: not _is_thread_count(s)),
        st.sampled_from(["0", "-2", "1.5", "two", " ", "1e3", "0x10", "+3"]),
    )
)
def test_a_bad_thread_count_in_the_environment_is_refused_by_name(value: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYSOFTMAX_NUM_THREADS", value)
        with pytest.raises(ValueError, match="PYSOFTMAX_NUM_THREADS"):
            pysoftmax.softmax(X)
        # An explicit count does not read the variable.
        assert pysoftmax.softmax(X, threads=2).shape == X.shape


def _backend_names() -> set[str]:
    return {info.name for info in pysoftmax.backends()}


@HYPOTHESIS
@given(value=ENVIRONMENT_TEXT)
def test_a_bad_backend_in_the_environment_is_refused_by_name(value: str) -> None:
    assume(value not in _backend_names())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYSOFTMAX_BACKEND", value)
        with pytest.raises(ValueError, match="PYSOFTMAX_BACKEND"):
            pysoftmax.logsumexp(X)


# ---------------------------------------------------------------- defects found here, fixed
# P1: a 0-d array of text or objects was taken as a temperature; P2: logsumexp of empty
# bfloat16 rows returned float32; P3: logsumexp of empty rows of a non-native byte order gave a
# native result where longer rows keep the byte order.  Regression tests now.


@pytest.mark.skipif(BFLOAT16 is None, reason="needs ml_dtypes (bfloat16)")
def test_logsumexp_of_empty_bfloat16_rows_keeps_the_dtype() -> None:
    result = pysoftmax.logsumexp(np.zeros((2, 0), dtype=BFLOAT16), axis=1)
    assert result.dtype == BFLOAT16


def test_the_byte_order_of_a_result_does_not_depend_on_the_row_length() -> None:
    empty = pysoftmax.logsumexp(np.zeros((2, 0), dtype=">f8"), axis=1)
    full = pysoftmax.logsumexp(np.zeros((2, 1), dtype=">f8"), axis=1)
    assert empty.dtype == full.dtype


@pytest.mark.parametrize("temperature", [np.array("2"), np.array("2", dtype=object)])
def test_a_zero_dimensional_array_of_text_is_no_temperature(temperature: Any) -> None:
    with pytest.raises(TypeError, match="temperature"):
        pysoftmax.softmax(X, temperature=temperature)


# ------------------------------------------------------------ found by the C fuzzers, fixed (D4)


@pytest.mark.parametrize("backend", ["c", "array_api"])
def test_log_softmax_near_the_largest_double_is_finite(backend: str) -> None:
    x = np.array([np.finfo(np.float64).max, float.fromhex("0x1.7333333333333p+1022")])
    result = pysoftmax.log_softmax(x, backend=backend)
    expected = float.fromhex("-0x1.4666666666666p+1023")
    assert result[0] == 0.0
    assert abs(result[1] - expected) <= 2 * np.spacing(abs(expected))
