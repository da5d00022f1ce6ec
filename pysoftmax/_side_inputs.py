"""The arrays that come with ``x``: ``where=``, per-row temperatures, ``out=``, ``dtype=``.

Each is checked and brought into the form backends take (see
:class:`~pysoftmax._request.Request`) once, here: the mask and the
temperatures in ``x``'s library, on its device, broadcast to their full
shapes; ``out`` checked against the result it will receive.  Also here:
masking for backends that do not mask themselves, so that the rule (masked
entries out, a row with nothing included all 0 or -inf) has one
implementation outside the C core.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import array_api_compat
import numpy as np

from ._request import Request

Array = Any


def _in_namespace(value: Any, name: str, x: Array, xp: Any) -> Array:
    """Return ``value`` as an array of ``x``'s library on ``x``'s device."""
    device = array_api_compat.device(x)
    if array_api_compat.is_array_api_obj(value) and not isinstance(value, np.generic):
        if array_api_compat.array_namespace(value) is xp:
            other = array_api_compat.device(value)
            if other is not None and device is not None and other != device:
                raise ValueError(
                    f"{name} is on device {other}, x on {device}: put them on the same device"
                )
            return value
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"{name} must be an array of x's library ({xp.__name__}) or a numpy array / "
                f"sequence, got {type(value).__module__}.{type(value).__name__}"
            )
    try:
        host = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array or a sequence: {error}") from None
    if host.dtype == object:
        raise TypeError(f"{name} must be an array or a sequence of numbers (ragged or None?)")
    if xp is np or array_api_compat.is_numpy_namespace(xp):
        return host
    return xp.asarray(host, device=device)


def _broadcast_shape(shape: tuple[int, ...], target: tuple[int, ...], name: str) -> tuple[int, ...]:
    """Return ``shape`` padded with leading 1s to ``len(target)``, or raise ValueError."""
    if len(shape) > len(target):
        raise ValueError(f"{name} has shape {shape}, which does not broadcast to {target}")
    padded = (1,) * (len(target) - len(shape)) + tuple(shape)
    for have, want in zip(padded, target, strict=True):
        if have not in (1, want):
            raise ValueError(f"{name} has shape {shape}, which does not broadcast to {target}")
    return padded


def mask(where: Any, x: Array, xp: Any) -> Array:
    """Return ``where`` as a boolean array of ``x``'s library, broadcast to ``x.shape``.

    Raises TypeError for a dtype that is not boolean, ValueError for a shape
    that does not broadcast to ``x``'s.
    """
    array = _in_namespace(where, "where", x, xp)
    if array.dtype != xp.bool:
        raise TypeError(
            f"where must be a boolean array (True: include the entry), got dtype {array.dtype}"
        )
    padded = _broadcast_shape(tuple(array.shape), tuple(x.shape), "where")
    return xp.broadcast_to(xp.reshape(array, padded), tuple(x.shape))


def is_per_row(temperature: Any) -> bool:
    """Whether ``temperature`` is an array of temperatures (at least one dimension).

    A 0-d JAX tracer (a temperature traced by ``jax.jit`` or ``jax.vmap``) counts as one:
    its value cannot be read now, and one temperature for every row is what it means; so
    does a 0-d torch tensor that requires grad, whose gradient a float would lose.
    """
    if isinstance(temperature, list | tuple):
        return True
    if getattr(temperature, "ndim", 0) > 0 or getattr(temperature, "requires_grad", False):
        return True
    jax_core = sys.modules.get("jax.core")
    tracer = getattr(jax_core, "Tracer", None)
    return tracer is not None and isinstance(temperature, tracer)


def temperatures(temperature: Any, x: Array, xp: Any, axes: tuple[int, ...], dtype: Any) -> Array:
    """Return one temperature per row: ``temperature`` broadcast to the rows' shape.

    The rows' shape is ``x.shape`` with size 1 along the reduced axes; the
    result has ``dtype`` (the computation's) and lives with ``x``.  Raises
    TypeError for a dtype that is not real; ValueError for a shape that does
    not broadcast there, a size other than 1 along a reduced axis, or a value
    that is negative or NaN (where the values can be read: not inside a JAX
    trace or a lazy Dask graph).
    """
    array = _in_namespace(temperature, "temperature", x, xp)
    kind = str(array.dtype)
    if not any(word in kind for word in ("float", "int")) or "complex" in kind:
        raise TypeError(f"temperature must hold real numbers >= 0, got dtype {array.dtype}")
    rows_shape = tuple(1 if axis in axes else size for axis, size in enumerate(x.shape))
    padded = _broadcast_shape(tuple(array.shape), tuple(x.shape), "temperature")
    for axis in axes:
        if padded[axis] != 1:
            raise ValueError(
                f"temperature has shape {tuple(array.shape)}: one temperature per row needs "
                f"size 1 along the reduced axis {axis} (shape {rows_shape} broadcasts)"
            )
    values = xp.astype(xp.reshape(array, padded), dtype)
    try:
        bad = bool(xp.any(xp.isnan(values) | (values < 0)))
    except Exception:  # a JAX tracer or a lazy array: the C core checks them when it runs
        bad = False
    if bad:
        raise ValueError(
            "temperature must be >= 0 in every row (0 and inf allowed), got a negative or NaN entry"
        )
    return xp.broadcast_to(values, rows_shape)


def masked_input(x: Array, xp: Any, where: Array) -> Array:
    """Return ``x`` with its masked entries set to -inf: what the rules leave out."""
    return xp.where(where, x, xp.full_like(x, -math.inf))


def fill_empty_rows(
    result: Array, xp: Any, where: Array, axes: tuple[int, ...], log_output: bool
) -> Array:
    """Return ``result`` with the rows that include nothing set to 0 (log_softmax: -inf)."""
    included = xp.any(where, axis=axes, keepdims=True)
    fill = xp.full_like(result, -math.inf if log_output else 0.0)
    return xp.where(included, result, fill)


def result_dtype(dtype: Any, xp: Any, x_result_dtype: Any) -> Any:
    """Return ``dtype=`` as a floating dtype of ``xp`` (None: ``x``'s), or raise TypeError."""
    if dtype is None:
        return x_result_dtype
    if array_api_compat.is_numpy_namespace(xp):
        try:  # np.float32 (a type), "float32", np.dtype: all one dtype
            dtype = np.dtype(dtype)
        except TypeError:
            pass
    if str(dtype) in ("bfloat16", "torch.bfloat16"):
        return dtype
    try:
        if xp.isdtype(dtype, "real floating"):
            return dtype
    except (TypeError, ValueError, AttributeError):
        pass
    raise TypeError(
        f"dtype must be a real floating dtype of {xp.__name__.removeprefix('array_api_compat.')} "
        f"(float16, bfloat16, float32, float64), got {dtype!r}"
    )


def bits(dtype: Any, xp: Any) -> int:
    """Return the width of a floating dtype of ``xp`` (bfloat16: 16)."""
    if "bfloat16" in str(dtype):
        return 16
    return int(xp.finfo(dtype).bits)


def check_out(out: Any, xp: Any, shape: tuple[int, ...], dtype: Any) -> None:
    """Raise unless ``out`` can receive a result of this shape and dtype (numpy, torch)."""
    library = xp.__name__
    if not (array_api_compat.is_numpy_array(out) or array_api_compat.is_torch_array(out)):
        raise TypeError(
            f"out must be a numpy array or a torch tensor (other libraries' arrays are "
            f"immutable or lazy), got {type(out).__module__}.{type(out).__name__}"
        )
    if array_api_compat.array_namespace(out) is not xp:
        raise TypeError(f"out must be an array of x's library ({library}), got {type(out)}")
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"out has shape {tuple(out.shape)}, the result has shape {shape}")
    if out.dtype != dtype:
        raise TypeError(
            f"out has dtype {out.dtype}, the result {dtype} (pass dtype= to choose another)"
        )
    if isinstance(out, np.ndarray) and not out.flags.writeable:
        raise ValueError("out is read-only")


def same_memory(result: Array, out: Array) -> bool:
    """Whether ``result`` is ``out``'s memory in ``out``'s layout (nothing to copy)."""
    if isinstance(result, np.ndarray) and isinstance(out, np.ndarray):
        return (
            result.__array_interface__["data"][0] == out.__array_interface__["data"][0]
            and result.strides == out.strides
            and result.shape == out.shape
        )
    if array_api_compat.is_torch_array(result) and array_api_compat.is_torch_array(out):
        return (
            result.data_ptr() == out.data_ptr()
            and result.stride() == out.stride()
            and result.shape == out.shape
        )
    return False


def copy_into(out: Array, result: Array) -> None:
    """Write ``result`` into ``out`` (numpy or torch, same shape and dtype)."""
    if isinstance(out, np.ndarray):
        np.copyto(out, result)
    else:
        out.copy_(result)


def weights(b: Any, x: Array, xp: Any, dtype: Any) -> Array:
    """Return ``b=`` as an array of ``x``'s library and ``dtype``, broadcast to ``x.shape``."""
    array = _in_namespace(b, "b", x, xp)
    kind = str(array.dtype)
    if not any(word in kind for word in ("float", "int")) or "complex" in kind:
        raise TypeError(f"b must hold real numbers (the weights), got dtype {array.dtype}")
    padded = _broadcast_shape(tuple(array.shape), tuple(x.shape), "b")
    return xp.broadcast_to(xp.astype(xp.reshape(array, padded), dtype), tuple(x.shape))


def _to_host(array: Array) -> np.ndarray:
    if isinstance(array, np.ndarray):
        return array
    if hasattr(array, "compute"):  # dask
        return np.asarray(array.compute())
    if hasattr(array, "get"):  # cupy
        return np.asarray(array.get())
    if hasattr(array, "cpu"):  # torch
        return np.asarray(array.detach().cpu().numpy())
    return np.asarray(array)


def weighted_logsumexp_on_host(
    x: Array, weights: Array, xp: Any, axes: tuple[int, ...]
) -> tuple[Array, Array]:
    """``(log|sum(b exp(x))|, sign)`` by the C core, for a backend without it, then back.

    The arrays are copied to the host and the results to ``x``'s device: the
    weighted sum has one implementation, the C core's.
    """
    from ._backends import c

    for array in (x, weights):
        if getattr(array, "requires_grad", False):
            raise TypeError(
                "logsumexp with b= or return_sign=True does not record gradients yet: "
                "pass tensors that do not require grad (or .detach() them)"
            )
        if type(array).__module__.startswith("jax") and "Tracer" in type(array).__name__:
            raise TypeError(
                "logsumexp with b= or return_sign=True does not run under a JAX transformation "
                "(jit, grad, vmap) yet: it is computed on the host, outside the trace"
            )
    request = Request(x=_to_host(x), xp=np, axes=axes, weights=_to_host(weights))
    value, sign = c.logsumexp(request)
    device = array_api_compat.device(x)
    return xp.asarray(value, device=device), xp.asarray(sign, device=device)
