"""The front door: softmax, log_softmax and logsumexp for any array.

Every argument is checked and normalized here, once; backends receive a
:class:`~pysoftmax._request.Request` and never check again.  The shapes with
nothing to compute (0-d inputs, empty rows) are answered here too, so each
backend only ever sees rows of at least one entry.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

import array_api_compat
import numpy as np
from numpy.exceptions import AxisError

from . import _dispatch
from ._request import Request

Array = Any
_NO_TEMPERATURE = object()  # logsumexp's marker: it takes no temperature


def _as_array(x: Any) -> tuple[Array, Any]:
    """Return ``x`` as an array-API array (sequences become numpy) and its namespace."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            "x is a numpy masked array: its mask would be ignored; pass x.filled(-np.inf) to "
            "leave the masked entries out, or np.asarray(x) to include them"
        )
    if isinstance(x, np.ndarray) and type(x) is not np.ndarray:
        x = np.asarray(x)  # a subclass (matrix, memmap): computed as the plain array it holds
    if not array_api_compat.is_array_api_obj(x) or isinstance(x, np.generic):
        try:
            x = np.asarray(x)
        except (ValueError, TypeError, OverflowError) as error:
            raise TypeError(f"x must be an array or a sequence of numbers: {error}") from None
        if x.dtype == object:
            raise TypeError(
                "x must be an array or a sequence of numbers; numpy could only make an object "
                "array of it (ragged rows, None, or integers beyond 64 bits?)"
            )
    return x, array_api_compat.array_namespace(x)


def _dtypes(x: Array, xp: Any) -> tuple[Any, Any]:
    """Return ``(compute dtype, result dtype)`` for ``x``, or raise TypeError.

    float32 and float64 compute as themselves; float16 and bfloat16 in
    float32; integers in the library's default floating dtype.
    """
    dtype = x.dtype
    if str(dtype) == "bfloat16":  # numpy's bfloat16 (ml_dtypes) is not an array-API dtype
        return xp.float32, dtype
    try:
        if xp.isdtype(dtype, "integral"):
            info = xp.__array_namespace_info__()
            default = info.default_dtypes(device=array_api_compat.device(x))["real floating"]
            return default, default
        if xp.isdtype(dtype, "real floating"):
            bits = xp.finfo(dtype).bits
            if bits in (32, 64):
                return dtype, dtype
            if bits < 32:
                return xp.float32, dtype
    except (TypeError, ValueError, AttributeError):
        pass  # not an array-API dtype at all (strings, objects): rejected below
    raise TypeError(
        f"x must have a real floating-point or integer dtype "
        f"(float16, bfloat16, float32, float64, int, uint), got {dtype}"
    )


def _reduce_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """Return ``axis`` (an int, a tuple of ints or None) as sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    entries = axis if isinstance(axis, tuple) else (axis,)
    axes = []
    for entry in entries:
        if isinstance(entry, bool):
            raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")
        try:
            index = operator.index(entry)
        except TypeError:
            raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}") from None
        # A 0-d array's only row is itself: axis -1 and 0 name it.
        if not -max(ndim, 1) <= index < max(ndim, 1):
            raise AxisError(index, ndim)
        axes.append(index % max(ndim, 1))
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {axis!r} names the same axis more than once")
    return tuple(sorted(axes))


def _temperature(temperature: Any, bits: int) -> float:
    """Return ``temperature`` rounded to a float of ``bits`` bits, or raise ValueError.

    Takes a real number (int, float, numpy scalar, Decimal, Fraction) or a
    0-d real array.  x / T is computed in x's dtype, as the C ABI's
    ``float temperature`` does, so T is rounded to it; a finite, non-zero T
    that this rounding would turn into 0 or inf (a limit case) is an error.
    """
    wrong = (
        isinstance(temperature, bool | str | bytes)
        or (isinstance(temperature, numbers.Complex) and not isinstance(temperature, numbers.Real))
        or getattr(temperature, "ndim", 0) != 0
        or str(getattr(temperature, "dtype", "")).startswith(("complex", "bool"))
        or not hasattr(temperature, "__float__")
    )
    if wrong:
        raise ValueError(
            f"temperature must be a real number >= 0 (0 and inf allowed), "
            f"got {type(temperature).__name__} {temperature!r}"
        )
    dtype = "float32" if bits == 32 else "float64"
    overflowed = False
    try:
        value = float(temperature)
    except OverflowError:  # an int or Fraction beyond float64: finite, but rounds to +-inf
        overflowed = True
        value = math.nan if temperature < 0 else math.inf
        rounded = value
    except (TypeError, ValueError) as error:
        raise ValueError(f"temperature must be a real number >= 0: {error}") from None
    else:
        with np.errstate(over="ignore", under="ignore"):
            rounded = float(np.asarray(value, dtype=dtype))
    if not value >= 0.0:
        raise ValueError(f"temperature must be >= 0 (0 and inf allowed), got {temperature!r}")
    if (rounded == 0.0 and bool(temperature != 0)) or (
        rounded == math.inf and (overflowed or value != rounded)
    ):
        raise ValueError(
            f"temperature {temperature!r} becomes {rounded} in {dtype}, the dtype x is computed "
            f"in; pass temperature={rounded} for that limit, or x in float64"
        )
    return rounded


def _compute(
    function: str, x: Any, axis: Any, temperature: Any, keepdims: bool, backend: str | None
) -> Array:
    """Check the arguments, answer the trivial shapes, dispatch the rest."""
    x, xp = _as_array(x)
    compute_dtype, result_dtype = _dtypes(x, xp)
    axes = _reduce_axes(axis, x.ndim)
    bits = xp.finfo(compute_dtype).bits
    temperature_value = 1.0 if temperature is _NO_TEMPERATURE else _temperature(temperature, bits)
    if not isinstance(keepdims, bool):
        raise TypeError(f"keepdims must be a bool, got {keepdims!r}")
    module = _dispatch.select(x, backend)

    zero_dimensional = x.ndim == 0
    if zero_dimensional:
        x = xp.reshape(x, (1,))
    if math.prod(x.shape[a] for a in axes) == 0:
        # Empty rows: softmax is empty, logsumexp of nothing is -inf.  Both are
        # built from x, so that autograd and lazy graphs stay connected to it.
        result = xp.astype(x, result_dtype)
        if function == "logsumexp":
            result = xp.sum(result, axis=axes, keepdims=True) - math.inf
    else:
        if x.dtype != compute_dtype:
            x = xp.astype(x, compute_dtype)
        request = Request(x=x, xp=xp, axes=axes, temperature=temperature_value)
        result = getattr(module, function)(request)
        if result.dtype != result_dtype:
            # Rounding to a narrower dtype may overflow to +-inf: that is the
            # correct rounding, not an error worth numpy's RuntimeWarning.
            with np.errstate(over="ignore"):
                result = xp.astype(result, result_dtype)
    if zero_dimensional:
        return xp.reshape(result, ())
    if function == "logsumexp" and not keepdims:
        result = xp.squeeze(result, axis=axes)
    return result


def softmax(
    x: Any, /, axis: Any = -1, *, temperature: Any = 1.0, backend: str | None = None
) -> Array:
    r"""Softmax of ``x / temperature`` along ``axis``, accurate to 2 ULP.

    Computes ``exp(z - max(z)) / sum(exp(z - max(z)))`` with ``z = x / T``,
    without overflow for any input and with every output within 2 units in
    the last place of the exact result.

    Parameters
    ----------
    x : array_like
        An array of any array-API library (numpy, torch, jax, cupy, dask,
        array-api-strict, ...) or a sequence of numbers (becomes numpy).
        float16 and bfloat16 are computed in float32; integers in the
        library's default floating dtype.
    axis : int, tuple of ints or None, optional
        The axis or axes along which the entries sum to 1 (reduced
        together); None means all axes.  Default -1.
    temperature : float, optional
        ``T >= 0``.  ``T = 0`` gives the limit (1/k on the k maximal
        entries), ``T = inf`` the uniform distribution over the entries that
        are not -inf.  Rounded to the dtype of the computation.  Default 1.
    backend : str, optional
        Force a backend by name (see :func:`pysoftmax.backends`); by default
        the first available backend that takes ``x``.

    Returns
    -------
    array
        Same library, device, shape and floating dtype as ``x``.

    Raises
    ------
    TypeError
        For a bool, complex or non-numeric dtype, or a backend that cannot
        take ``x``.
    ValueError
        For a negative, NaN or non-numeric temperature, an axis out of range
        (``AxisError``) or named twice, or an unknown backend.

    Notes
    -----
    Special rows follow one table (``pysoftmax/edge_cases.json``): a NaN
    anywhere gives a row of NaN, ``k`` entries of +inf share the mass 1/k,
    a row of only -inf gives NaN.

    Examples
    --------
    >>> import numpy as np
    >>> import pysoftmax
    >>> pysoftmax.softmax(np.array([10.0, 2.0, 10000.0, 4.0]))
    array([0., 0., 1., 0.])
    >>> pysoftmax.softmax([38.0, 20.0, 40.0, 39.0], temperature=100.0).round(3)
    array([0.259, 0.216, 0.264, 0.261])
    """
    return _compute("softmax", x, axis, temperature, False, backend)


def log_softmax(
    x: Any, /, axis: Any = -1, *, temperature: Any = 1.0, backend: str | None = None
) -> Array:
    r"""Log of the softmax of ``x / temperature`` along ``axis``, accurate to 2 ULP.

    Computed as ``z - max(z) - log(sum(exp(z - max(z))))`` with ``z = x / T``
    and the logarithm taken as ``log1p`` of the sum of all but the largest
    entry, so that the largest entries keep all their digits (naive
    ``log(softmax(x))`` returns 0 there and -inf for small probabilities).

    Parameters
    ----------
    x : array_like
        An array of any array-API library or a sequence of numbers.
    axis : int, tuple of ints or None, optional
        The axis or axes to normalize over; None means all.  Default -1.
    temperature : float, optional
        ``T >= 0``, as for :func:`softmax`.  Default 1.
    backend : str, optional
        Force a backend by name; by default the first that takes ``x``.

    Returns
    -------
    array
        Same library, device, shape and floating dtype as ``x``.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> import numpy as np
    >>> import pysoftmax
    >>> pysoftmax.log_softmax(np.array([0.0, -30.0, -40.0], dtype=np.float32))
    array([-9.358048e-14, -3.000000e+01, -4.000000e+01], dtype=float32)
    """
    return _compute("log_softmax", x, axis, temperature, False, backend)


def logsumexp(
    x: Any, /, axis: Any = -1, *, keepdims: bool = False, backend: str | None = None
) -> Array:
    r"""``log(sum(exp(x)))`` along ``axis``, without overflow, accurate to 2 ULP.

    Computed as ``max + log1p(sum(exp(x - max)) - 1)``; the error is within
    2 ULP of ``max(|max(x)|, log(sum(exp(x - max))))``.

    Parameters
    ----------
    x : array_like
        An array of any array-API library or a sequence of numbers.
    axis : int, tuple of ints or None, optional
        The axis or axes to reduce; None means all.  Default -1.
    keepdims : bool, optional
        Keep the reduced axes with size 1.  Default False.
    backend : str, optional
        Force a backend by name; by default the first that takes ``x``.

    Returns
    -------
    array
        ``x``'s library, device and floating dtype; the reduced axes removed
        unless ``keepdims``.  An empty row gives -inf.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> import numpy as np
    >>> import pysoftmax
    >>> float(pysoftmax.logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    >>> pysoftmax.logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]), axis=1)
    array([0.69314718, 1.        ])
    """
    return _compute("logsumexp", x, axis, _NO_TEMPERATURE, keepdims, backend)
