"""The front door: softmax, log_softmax and logsumexp for any array.

Every argument is checked and normalized here, once; backends receive a
:class:`~pysoftmax._request.Request` and never check again.  The shapes with
nothing to compute (0-d inputs, empty rows) are answered here too, so each
backend only ever sees rows of at least one entry.

Each public function starts with a fast path for the most common call, a
small plain numpy float32/float64 array in C order reduced over its last
axis with every other argument at its default (see :func:`_fast_kernels`):
it calls the C core's contiguous entry point directly, skipping namespace
detection and dispatch, and gives the same bits as the general path.
Anything else, errors included, takes the general path.
"""

from __future__ import annotations

import math
import numbers
import operator
import os
import sys
from typing import Any

import array_api_compat
import numpy as np
from numpy.exceptions import AxisError

from . import _dispatch, _side_inputs, _threads
from ._backends import c as _c_backend
from ._request import Request

try:
    from . import _core
except ImportError:  # the extension was not built: no fast path (the C backend says why)
    _core = None  # type: ignore[assignment]

Array = Any
_NO_TEMPERATURE = object()  # logsumexp's marker: it takes no temperature


def _as_array(x: Any) -> tuple[Array, Any]:
    """Return ``x`` as an array-API array (sequences become numpy) and its namespace."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            "x is a numpy masked array: its mask would be ignored; pass "
            "x.data, where=~np.ma.getmaskarray(x) to leave the masked entries out (a row with "
            "nothing left gives 0), or np.asarray(x) to include them"
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


def _dtypes(x: Array, xp: Any, dtype: Any = None) -> tuple[Any, Any]:
    """Return ``(compute dtype, result dtype)`` for ``x`` and ``dtype=``, or raise TypeError.

    float32 and float64 compute as themselves; float16 and bfloat16 in
    float32; integers in the library's default floating dtype.  ``dtype=``
    (None: ``x``'s) names the result's; a float64 result is computed in
    float64.
    """
    compute_dtype, result_dtype = _own_dtypes(x, xp)
    if dtype is not None:
        result_dtype = _side_inputs.result_dtype(dtype, xp, result_dtype)
        if _side_inputs.bits(result_dtype, xp) == 64:
            compute_dtype = xp.float64
    return compute_dtype, result_dtype


def _own_dtypes(x: Array, xp: Any) -> tuple[Any, Any]:
    """Return ``(compute dtype, result dtype)`` of ``x`` itself, or raise TypeError."""
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


def _computes_natively(module: Any, dtype: Any, result_dtype: Any) -> bool:
    """Whether the backend takes ``x`` of this dtype without a copy in the compute dtype.

    A backend that computes a 16-bit dtype itself (the C core: float16 and
    bfloat16, in float32 without a float32 copy) says so with an optional
    ``computes_natively(dtype, result_dtype)``; the others get ``x`` in the
    compute dtype.
    """
    computes = getattr(module, "computes_natively", None)
    return computes is not None and bool(computes(dtype, result_dtype))


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
    """Return ``temperature`` rounded to a float of ``bits`` bits.

    Takes a real number (int, float, numpy scalar, Decimal, Fraction) or a
    0-d real array; anything else is a TypeError (a tensor that requires
    grad is one per row: :func:`pysoftmax._side_inputs.is_per_row`).  x / T
    is computed in x's dtype, as the C ABI's ``float temperature`` does, so
    T is rounded to it; a negative or NaN T, and a finite, non-zero T that
    this rounding would turn into 0 or inf (a limit case), are ValueErrors.
    """
    wrong = (
        isinstance(temperature, bool | str | bytes)
        or (isinstance(temperature, numbers.Complex) and not isinstance(temperature, numbers.Real))
        or getattr(temperature, "ndim", 0) != 0
        # an array's dtype must be a real number's (numpy's 'U' and 'O' have __float__ too)
        or not any(word in str(getattr(temperature, "dtype", "float")) for word in ("float", "int"))
        or not hasattr(temperature, "__float__")
    )
    if wrong:
        raise TypeError(
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
    except TypeError as error:
        raise TypeError(f"temperature must be a real number >= 0: {error}") from None
    except ValueError as error:  # a real number that is no float: Decimal("sNaN")
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


# ---- the fast path ---------------------------------------------------------------------------


def _fast_kernels() -> dict[Any, tuple[Any, ...]]:
    """Return dtype -> (C array type, softmax, log_softmax, logsumexp, lowest T, highest T, size).

    The C core's contiguous entry points for the two dtypes it computes in;
    the temperatures (besides 0 and inf) that the fast path passes on
    without the checks of :func:`_temperature`: any for float64, those in
    float32's normal range for float32, which cannot round to 0 or inf; and
    the size from which the C backend may use threads, which the fast path
    stays below.  Empty when the C core is not built.
    """
    if _core is None:
        return {}
    ffi, lib = _core.ffi, _core.lib
    f32, f64 = np.finfo(np.float32), np.dtype(np.float64)
    return {
        np.dtype(np.float32): (
            ffi.typeof("float[]"),
            lib.psm_softmax_f32,
            lib.psm_log_softmax_f32,
            lib.psm_logsumexp_f32,
            float(f32.smallest_normal),
            float(f32.max),
            _c_backend.MIN_THREADED_WORK // _c_backend.ENTRY_COST[f32.dtype],
        ),
        f64: (
            ffi.typeof("double[]"),
            lib.psm_softmax_f64,
            lib.psm_log_softmax_f64,
            lib.psm_logsumexp_f64,
            0.0,
            math.inf,
            _c_backend.MIN_THREADED_WORK // _c_backend.ENTRY_COST[f64],
        ),
    }


_FAST_KERNELS = _fast_kernels()
_SOFTMAX, _LOG_SOFTMAX, _LOGSUMEXP = 1, 2, 3  # the kernels' places in a _FAST_KERNELS entry
_FAST_MAX_INT_TEMPERATURE = 2**53  # ints up to here are exact floats
_LIMITS = (0.0, math.inf)  # `in` compares with ==: -0.0 is in, NaN is not
_FLOAT_TYPES = (float, np.float64, np.float32)  # what `float()` reads exactly
# The default temperature, the same object in every call that leaves it out (checked by
# identity: a 1.0 that the caller passes takes the float branch, with the same result).
_DEFAULT_TEMPERATURE = 1.0
_empty = np.empty
_ndarray = np.ndarray
_from_buffer = None if _core is None else _core.ffi.from_buffer
_cast = None if _core is None else _core.ffi.cast
_modules = sys.modules
_default_backend = _dispatch._default_backend

# Where either variable is set (PYSOFTMAX_NUM_THREADS: unless its value has been read and
# found valid before), the general path reads it.  os.environ keeps its values in a dict
# (os.environ._data, keys and values encoded): a lookup there costs ~15 ns, os.environ.get
# ~500 ns.  Where that detail is missing (another Python implementation), a stand-in dict
# that always holds the backend's key turns the fast path off.
_ENVIRON_DATA: Any = getattr(os.environ, "_data", None)
_encode_key: Any = getattr(os.environ, "encodekey", None)
if isinstance(_ENVIRON_DATA, dict) and _encode_key is not None:
    _BACKEND_KEY = _encode_key(_dispatch.ENVIRONMENT_VARIABLE)
    _THREADS_KEY = _encode_key(_threads.ENVIRONMENT_VARIABLE)
else:
    _BACKEND_KEY, _THREADS_KEY = _dispatch.ENVIRONMENT_VARIABLE, _threads.ENVIRONMENT_VARIABLE
    _ENVIRON_DATA = {_BACKEND_KEY: None}
_VALID_THREADS_VALUES = _threads.VALID_ENVIRONMENT_VALUES


def _fast(kernel: int, x: Any, axis: Any, temperature: Any, threads: Any, backend: Any) -> Any:
    """Compute ``x`` by the fast path, or return None where it does not apply.

    ``kernel`` is ``_SOFTMAX``, ``_LOG_SOFTMAX`` or ``_LOGSUMEXP``; for
    logsumexp ``temperature`` is ``keepdims``.  The fast path takes a plain
    ``numpy.ndarray`` of at least one dimension, native float32 or float64
    with fewer entries than the C backend would thread, aligned and
    C-contiguous (or a plain ``torch.Tensor`` on the CPU, float32 or float64,
    contiguous, that does not require grad: :func:`_fast_tensor`), reduced
    over its last axis (``-1`` or ``ndim - 1``, an int); a float (numpy's
    float64 and float32 too), or an int up to 2**53, for temperature, which
    needs no check beyond the range of the kernels' entry; ``threads`` None
    or a positive int; no ``backend=``, no :func:`~pysoftmax.use_backend`
    default and neither environment variable set (or only a
    ``PYSOFTMAX_NUM_THREADS`` whose value was found valid before).
    Everything else, every error included, is the general path's.  The steps
    are inline, ordered by how likely they fail: each costs nanoseconds
    against a call of about a microsecond.
    """
    tensor = type(x) is not _ndarray
    torch: Any = _modules.get("torch") if tensor else None
    if tensor and not (torch is not None and type(x) is torch.Tensor):
        return None
    if not (
        type(axis) is int
        and (axis == -1 or axis == x.ndim - 1)
        and backend is None
        and (threads is None or (type(threads) is int and threads > 0))
    ):
        return None
    if tensor:
        kernels = _fast_tensor_kernels(x)
        if kernels is None:
            return None
    else:
        kernels = _FAST_KERNELS.get(x.dtype)
        if kernels is None:
            return None
        flags = x.flags
        if not (flags.c_contiguous and flags.aligned):
            return None
    shape = x.shape
    size = math.prod(shape) if tensor else x.size
    if not (shape and 0 < size < kernels[6]):
        return None
    environ = _ENVIRON_DATA
    if (
        _BACKEND_KEY in environ
        or (_THREADS_KEY in environ and environ[_THREADS_KEY] not in _VALID_THREADS_VALUES)
        or _default_backend.get() is not None
    ):
        return None
    n = shape[-1]
    if kernel == _LOGSUMEXP:
        if temperature is False:
            result_shape = shape[:-1]
        elif temperature is True:
            result_shape = (*shape[:-1], 1)
        else:
            return None
        value = None
    else:
        if temperature is _DEFAULT_TEMPERATURE:
            value = 1.0
        elif type(temperature) in _FLOAT_TYPES:
            if not (kernels[4] <= temperature <= kernels[5] or temperature in _LIMITS):
                return None  # negative, NaN, or a float32 temperature that needs the full check
            value = float(temperature)
        elif type(temperature) is int and 0 <= temperature <= _FAST_MAX_INT_TEMPERATURE:
            value = float(temperature)
            if not (kernels[4] <= value <= kernels[5] or value == 0.0):
                return None  # beyond float32's range
        else:
            return None
        result_shape = shape
    if tensor:
        result = torch.empty(result_shape, dtype=x.dtype)
        source, target = _cast(kernels[0], x.data_ptr()), _cast(kernels[0], result.data_ptr())
    else:
        result = _empty(result_shape, x.dtype)
        source, target = _from_buffer(kernels[0], x), _from_buffer(kernels[0], result)
    if value is None:
        status = kernels[kernel](source, target, size // n, n)
    else:
        status = kernels[kernel](source, target, size // n, n, value)
    if status:
        _c_backend.check_status(status)
    return result


_TENSOR_KERNELS: dict[Any, tuple[Any, ...]] = {}  # torch dtype -> a _FAST_KERNELS entry


def _fast_tensor_kernels(x: Any) -> tuple[Any, ...] | None:
    """Return the fast path's kernels for a torch tensor it may take, else None.

    A CPU tensor of float32 or float64, contiguous, that records no gradient
    (the fast path has no autograd): its memory is the C core's input as it
    is, through its data pointer (unless a lazy negation, the negative bit,
    is set on it).  The pointer types are ``float *`` and ``double *``.
    """
    if x.requires_grad or not x.is_cpu or not x.is_contiguous() or x.is_neg():
        return None
    if not _TENSOR_KERNELS and _FAST_KERNELS:
        import torch

        for torch_dtype, numpy_dtype, pointer in (
            (torch.float32, np.dtype(np.float32), "float *"),
            (torch.float64, np.dtype(np.float64), "double *"),
        ):
            entry = _FAST_KERNELS[numpy_dtype]
            _TENSOR_KERNELS[torch_dtype] = (_core.ffi.typeof(pointer), *entry[1:])
    return _TENSOR_KERNELS.get(x.dtype)


# ---- the general path ------------------------------------------------------------------------


def _compute(
    function: str,
    x: Any,
    axis: Any,
    temperature: Any,
    keepdims: bool,
    threads: Any,
    backend: str | None,
    where: Any = None,
    out: Any = None,
    dtype: Any = None,
) -> Array:
    """Check the arguments, answer the trivial shapes, dispatch the rest."""
    x, xp = _as_array(x)
    compute_dtype, result_dtype = _dtypes(x, xp, dtype)
    axes = _reduce_axes(axis, x.ndim)
    bits = xp.finfo(compute_dtype).bits
    zero_dimensional = x.ndim == 0
    if zero_dimensional:
        x = xp.reshape(x, (1,))
        axes = (0,)
    if temperature is _NO_TEMPERATURE:
        temperature_value: Any = 1.0
    elif _side_inputs.is_per_row(temperature):
        temperature_value = _side_inputs.temperatures(temperature, x, xp, axes, compute_dtype)
    else:
        temperature_value = _temperature(temperature, bits)
    if not isinstance(keepdims, bool):
        raise TypeError(f"keepdims must be a bool, got {keepdims!r}")
    mask = None if where is None else _side_inputs.mask(where, x, xp)
    thread_count = _threads.resolve(threads)
    module = _dispatch.select(x, backend)
    result_shape = tuple(x.shape)
    if function == "logsumexp" and keepdims:
        result_shape = tuple(1 if a in axes else size for a, size in enumerate(x.shape))
    elif function == "logsumexp":
        result_shape = tuple(size for a, size in enumerate(x.shape) if a not in axes)
    if zero_dimensional:
        result_shape = ()
    if out is not None:
        _side_inputs.check_out(out, xp, result_shape, result_dtype)
        if getattr(x, "requires_grad", False):
            raise TypeError("out= does not record gradients: x requires grad, leave out= out")

    if math.prod(x.shape[a] for a in axes) == 0:
        # Empty rows: softmax is empty, logsumexp of nothing is -inf.  Both are
        # built from x, so that autograd and lazy graphs stay connected to it.
        result = xp.astype(x, result_dtype)
        if function == "logsumexp":
            result = xp.sum(result, axis=axes, keepdims=True) - math.inf
            if result.dtype != result_dtype:  # the sum promotes bfloat16, drops byte order
                result = xp.astype(result, result_dtype)
    else:
        # A 16-bit x goes as it is to a backend that computes it (no mask, one temperature).
        natively = (
            x.dtype != compute_dtype
            and mask is None
            and isinstance(temperature_value, float)
            and _computes_natively(module, x.dtype, result_dtype)
        )
        if x.dtype != compute_dtype and not natively:
            x = xp.astype(x, compute_dtype)
        features: frozenset[str] = getattr(module, "FEATURES", frozenset())
        if isinstance(temperature_value, float) or "temperature_array" in features:
            pass
        else:
            # One temperature per row: the generic backend, on the same array.
            from ._backends import array_api as generic

            reason = generic.refuses(x)
            if reason is not None:
                raise TypeError(
                    f"one temperature per row is not supported for this array: the "
                    f"{module.NAME} backend takes one temperature and the generic one refuses "
                    f"it ({reason})"
                )
            module = generic
            features = frozenset()
        backend_mask = mask
        if mask is not None and "where" not in features:
            x = _side_inputs.masked_input(x, xp, mask)
            backend_mask = None
        # out= goes to the backend when it has the dtype the backend writes: the compute
        # dtype, or (a 16-bit x given as it is) the result's own.
        direct_out = (
            out
            if out is not None
            and "out" in features
            and out.dtype == (result_dtype if natively else compute_dtype)
            and not zero_dimensional
            and not (function == "logsumexp" and not keepdims)
            else None
        )
        request = Request(
            x=x,
            xp=xp,
            axes=axes,
            temperature=temperature_value,
            threads=thread_count,
            where=backend_mask,
            out=direct_out,
            result_dtype=result_dtype if natively else None,
        )
        result = getattr(module, function)(request)
        if mask is not None and backend_mask is None and function != "logsumexp":
            result = _side_inputs.fill_empty_rows(
                result, xp, mask, axes, log_output=function == "log_softmax"
            )
        if result.dtype != result_dtype:
            # Rounding to a narrower dtype may overflow to +-inf: that is the
            # correct rounding, not an error worth numpy's RuntimeWarning.
            with np.errstate(over="ignore"):
                result = xp.astype(result, result_dtype)
    if zero_dimensional:
        result = xp.reshape(result, ())
    elif function == "logsumexp" and not keepdims:
        result = xp.squeeze(result, axis=axes)
    if out is None:
        return result
    if not _side_inputs.same_memory(result, out):
        _side_inputs.copy_into(out, result)
    return out


def _weighted_logsumexp(
    x: Any,
    axis: Any,
    keepdims: bool,
    b: Any,
    return_sign: bool,
    where: Any,
    out: Any,
    dtype: Any,
    threads: Any,
    backend: str | None,
) -> Any:
    """Logsumexp with ``b=`` and/or ``return_sign=True``: ``log|sum(b exp(x))|`` and its sign."""
    x, xp = _as_array(x)
    compute_dtype, result_dtype = _dtypes(x, xp, dtype)
    if not isinstance(keepdims, bool):
        raise TypeError(f"keepdims must be a bool, got {keepdims!r}")
    if not isinstance(return_sign, bool):
        raise TypeError(f"return_sign must be a bool, got {return_sign!r}")
    axes = _reduce_axes(axis, x.ndim)
    zero_dimensional = x.ndim == 0
    if zero_dimensional:
        x, axes = xp.reshape(x, (1,)), (0,)
    if x.dtype != compute_dtype:
        x = xp.astype(x, compute_dtype)
    weights = xp.ones_like(x) if b is None else _side_inputs.weights(b, x, xp, compute_dtype)
    if where is not None:
        mask = _side_inputs.mask(where, x, xp)
        weights = xp.where(mask, weights, xp.zeros_like(weights))
    _threads.resolve(threads)
    module = _dispatch.select(x, backend)
    kept_shape = tuple(1 if a in axes else size for a, size in enumerate(x.shape))
    result_shape = (
        ()
        if zero_dimensional
        else kept_shape
        if keepdims
        else tuple(size for a, size in enumerate(x.shape) if a not in axes)
    )
    if out is not None:
        _side_inputs.check_out(out, xp, result_shape, result_dtype)
        for name, array in (("x", x), ("b", b)):
            if getattr(array, "requires_grad", False):
                raise TypeError(
                    f"out= does not record gradients: {name} requires grad, leave out= out"
                )
    if math.prod(x.shape[a] for a in axes) == 0:
        value = xp.sum(x, axis=axes, keepdims=True) - math.inf  # the empty sum
        sign = xp.zeros_like(value)
    elif "weights" in getattr(module, "FEATURES", frozenset()):
        request = Request(x=x, xp=xp, axes=axes, weights=weights)
        value, sign = module.logsumexp(request)
    else:
        value, sign = _side_inputs.weighted_logsumexp_on_host(x, weights, xp, axes)
    if not return_sign:
        value = xp.where(sign < 0, xp.full_like(value, math.nan), value)  # log of a negative sum

    def finish(array: Any) -> Any:
        if array.dtype != result_dtype:
            with np.errstate(over="ignore"):
                array = xp.astype(array, result_dtype)
        if zero_dimensional:
            return xp.reshape(array, ())
        return array if keepdims else xp.squeeze(array, axis=axes)

    value = finish(value)
    if out is not None:
        _side_inputs.copy_into(out, value)
        value = out
    return (value, finish(sign)) if return_sign else value


def softmax(
    x: Any,
    /,
    axis: Any = -1,
    *,
    temperature: Any = _DEFAULT_TEMPERATURE,
    where: Any = None,
    out: Any = None,
    dtype: Any = None,
    threads: int | None = None,
    backend: str | None = None,
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
    temperature : float or array, optional
        ``T >= 0``.  ``T = 0`` gives the limit (1/k on the k maximal
        entries), ``T = inf`` the uniform distribution over the entries that
        are not -inf.  Rounded to the dtype of the computation.  Default 1.
        An array (or a sequence) gives one temperature per row: it
        broadcasts against ``x`` with size 1 along the reduced axes (for a
        ``(batch, n)`` input, shape ``(batch, 1)``).
    where : array of bool, optional
        The entries to include (broadcast to ``x``'s shape), as in
        ``jax.nn.softmax``: masked entries are left out and get 0; a row with
        nothing included gives all 0 instead of NaN (attention padding).  A
        NaN in an included entry still gives NaN.  Default: every entry.
    out : array, optional
        A numpy array or torch tensor of the result's shape and dtype to
        write the result to, and return; ``out=x`` computes in place (no
        second buffer: a 3 GB input needs no other 3 GB).
    dtype : dtype, optional
        The result's dtype (a real floating dtype of ``x``'s library): e.g.
        float16 or bfloat16 ``x`` with ``dtype=float32`` gives float32
        probabilities, computed in float32 and never rounded to 16 bits.
        A float64 result is computed in float64.  Default: ``x``'s dtype.
    threads : int, optional
        How many threads the C core may use: a numpy array (or a torch CPU
        tensor) of at least 2**20 float32 or 2**18 float64 entries in two or
        more rows is cut into blocks of rows, computed in parallel (at most
        one thread per 2**19 float32 or 2**17 float64 entries).  The blocks
        depend on the shape only, so the result is the same, bit for bit,
        for any count.
        None (the default): the ``PYSOFTMAX_NUM_THREADS`` environment
        variable if it is set, else every core this process may run on.
        The other backends ignore it.
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
        For a bool, complex or non-numeric dtype, a backend that cannot take
        ``x``, or ``threads`` that is not an int (a bool included).
    ValueError
        For a negative, NaN or non-numeric temperature, an axis out of range
        (``AxisError``) or named twice, an unknown backend, ``threads < 1``,
        or (with ``threads=None``) a ``PYSOFTMAX_NUM_THREADS`` that is not a
        positive integer.

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
    >>> x = np.random.default_rng(0).normal(size=(1024, 512))  # float64: threaded
    >>> bool(np.array_equal(pysoftmax.softmax(x, threads=2), pysoftmax.softmax(x, threads=1)))
    True

    A mask, and one temperature per row:

    >>> scores = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> pysoftmax.softmax(scores, where=np.array([[True, True, False], [False] * 3])).round(3)
    array([[0.269, 0.731, 0.   ],
           [0.   , 0.   , 0.   ]])
    >>> pysoftmax.softmax(scores, temperature=np.array([[0.5], [100.0]])).round(3)
    array([[0.016, 0.117, 0.867],
           [0.33 , 0.333, 0.337]])
    >>> _ = pysoftmax.softmax(scores, out=scores)  # in place
    >>> scores.sum(axis=1)
    array([1., 1.])
    """
    if where is None and out is None and dtype is None:
        fast = _fast(_SOFTMAX, x, axis, temperature, threads, backend)
        if fast is not None:
            return fast
    return _compute("softmax", x, axis, temperature, False, threads, backend, where, out, dtype)


def log_softmax(
    x: Any,
    /,
    axis: Any = -1,
    *,
    temperature: Any = _DEFAULT_TEMPERATURE,
    where: Any = None,
    out: Any = None,
    dtype: Any = None,
    threads: int | None = None,
    backend: str | None = None,
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
    temperature : float or array, optional
        ``T >= 0``, or one per row, as for :func:`softmax`.  Default 1.
    where : array of bool, optional
        The entries to include, as for :func:`softmax`: masked entries get
        -inf, and so does every entry of a row with nothing included.
    out : array, optional
        A numpy array or torch tensor to write the result to (``x`` for in
        place), as for :func:`softmax`.
    dtype : dtype, optional
        The result's dtype, as for :func:`softmax`: float32
        log-probabilities of a float16 ``x`` keep what float16 would round
        away.
    threads : int, optional
        Threads for large inputs, as for :func:`softmax`; the result does not
        depend on it.  Default: ``PYSOFTMAX_NUM_THREADS``, else every core.
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
    >>> pysoftmax.log_softmax(np.array([0.0, -30.0], dtype=np.float16), dtype=np.float32)
    array([-9.357623e-14, -3.000000e+01], dtype=float32)
    >>> pysoftmax.log_softmax([1.0, 2.0, np.nan], where=[True, True, False])
    array([-1.31326169, -0.31326169,        -inf])
    """
    if where is None and out is None and dtype is None:
        fast = _fast(_LOG_SOFTMAX, x, axis, temperature, threads, backend)
        if fast is not None:
            return fast
    return _compute("log_softmax", x, axis, temperature, False, threads, backend, where, out, dtype)


def logsumexp(
    x: Any,
    /,
    axis: Any = -1,
    *,
    keepdims: bool = False,
    where: Any = None,
    b: Any = None,
    return_sign: bool = False,
    out: Any = None,
    dtype: Any = None,
    threads: int | None = None,
    backend: str | None = None,
) -> Any:
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
    where : array of bool, optional
        The entries to include (broadcast to ``x``'s shape); a row with
        nothing included gives -inf, the log of an empty sum.
    b : array, optional
        Weights, broadcast to ``x``'s shape: ``log|sum(b * exp(x))|``, as
        SciPy's ``logsumexp(x, b=b)``.  They may be negative; the sum is
        accurate where it cancels (double-double terms).  A negative sum gives
        NaN unless ``return_sign``.  Entries with ``b == 0`` are left out.
    return_sign : bool, optional
        Also return the sign of the sum (1, -1; 0 for an empty sum): then
        the result is ``(log|sum|, sign)``.  Default False.
    out : array, optional
        A numpy array or torch tensor of the result's shape and dtype to
        write the result to, and return.
    dtype : dtype, optional
        The result's dtype (a float64 result is computed in float64).
    threads : int, optional
        Threads for large inputs, as for :func:`softmax`; the result does not
        depend on it.  Default: ``PYSOFTMAX_NUM_THREADS``, else every core.
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
    >>> pysoftmax.logsumexp(np.zeros((1000, 1000)), threads=4)[:2]
    array([6.90775528, 6.90775528])
    >>> pysoftmax.logsumexp(np.array([[1.0, 1.0], [2.0, 3.0]]), where=np.array([True, False]))
    array([1., 2.])

    Weights, and a sum that cancels: ``log(e**1 - e**(1 - 1e-9))`` is ``1 + log(1e-9)``:

    >>> value, sign = pysoftmax.logsumexp([1.0, 1.0 - 1e-9], b=[1.0, -1.0], return_sign=True)
    >>> float(value), float(sign)
    (-19.723265865728344, 1.0)
    """
    if b is not None or return_sign is not False:
        return _weighted_logsumexp(
            x, axis, keepdims, b, return_sign, where, out, dtype, threads, backend
        )
    if where is None and out is None and dtype is None:
        fast = _fast(_LOGSUMEXP, x, axis, keepdims, threads, backend)
        if fast is not None:
            return fast
    return _compute(
        "logsumexp", x, axis, _NO_TEMPERATURE, keepdims, threads, backend, where, out, dtype
    )
