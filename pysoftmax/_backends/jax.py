"""The JAX backend: the C core through ``jax.pure_callback``, with a custom JVP.

XLA cannot run the double-double method as written: on the CPU it flushes
subnormals to zero and fuses multiplications into FMAs, which breaks the
error-free transformations (measured: 16,000 ULP under ``jax.jit``).  So the
values come from the C core, called back from XLA on the host.

The derivatives follow the finite-gradient rule of
:mod:`pysoftmax._backends._backward`.  The forward function is a
``jax.custom_jvp`` whose tangent is a primitive of this module, linear in the
tangent with the output ``y`` as a residual: ``pysoftmax_tangent`` computes
``J t`` in ``jax.numpy`` (XLA fuses it), and its transpose, which reverse mode
(``grad``, ``vjp``, ``jacrev``) runs, is ``pysoftmax_cotangent``, ``J^T g``,
lowered on the CPU to a host callback into the C core's fused backward kernels
(``psm_*_backward_strided_*``, ``psm_*_backward_general_*`` with one
temperature per row).  A plain ``jax.custom_vjp`` would refuse forward mode,
and a callback alone has no transpose; the two primitives are each other's
transpose, each has a JVP in every operand (in ``y`` written in ``jax.numpy``)
and a batching rule, so ``jit``, ``vmap``, ``jvp``, ``jacfwd``, ``hessian``
and every composition keep working.  logsumexp's derivative is ``softmax(x)``
times the cotangent, in ``jax.numpy``; with weights (``b=``, ``return_sign=``)
the value and sign come from ``psm_logsumexp_weighted_*`` through a callback,
with a JVP in ``x`` and ``b`` in ``jax.numpy``.  Each callback is a host call that XLA
cannot fuse with its neighbours and whose operands JAX copies: the cost of
exactness, measured in ``benchmarks/jax_backward.py``.  Arrays on an
accelerator are refused: a callback would copy them to the host.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .._request import Request
from . import _backward

NAME = "jax"
# One temperature per row goes to the callback as a second operand, and so do logsumexp's
# weights (b=), differentiable in x and b.
FEATURES = frozenset({"temperature_array", "weights"})
DESCRIPTION = (
    "JAX arrays on the CPU: the C core via jax.pure_callback, custom JVP (jit, grad, vmap)"
)


def availability() -> tuple[bool, str]:
    """Return whether JAX is installed, without importing it."""
    if "jax" in sys.modules or importlib.util.find_spec("jax") is not None:
        return True, "jax is installed"
    return False, "jax is not installed"


def refuses(x: Any) -> str | None:
    """Return why this backend cannot take ``x``, or None for a JAX array on the CPU."""
    if "jax" not in sys.modules:
        return "it takes JAX arrays only"
    import jax

    if not isinstance(x, jax.Array):
        return "it takes JAX arrays only"
    if isinstance(x, jax.core.Tracer):
        platform = jax.default_backend()
    else:
        platform = next(iter(x.devices())).platform
    if platform != "cpu":
        return f"the array is on {platform}: the C core would need a copy to the host"
    return None


def _host_function(function: str, axes: tuple[int, ...], temperature: Any, ndim: int) -> Any:
    """Return the host callback: the C core on a numpy array, batch axes (from vmap) leading.

    ``temperature`` is a float, or None when the temperatures come as the
    callback's second operand (one per row).
    """
    from . import c

    def call(x: np.ndarray, *temperatures: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        leading = x.ndim - ndim
        batched = tuple(a + leading for a in axes)
        value = temperature
        if temperatures:
            # vmap gives an operand it does not map a leading axis of size 1: broadcast
            # both to the batch (x unmapped with mapped temperatures, or the reverse).
            value = np.asarray(temperatures[0])
            batch = np.broadcast_shapes(x.shape[:leading], value.shape[:leading])
            x = np.broadcast_to(x, batch + x.shape[leading:])
            value = np.broadcast_to(value, batch + value.shape[leading:])
        request = Request(x=x, xp=None, axes=batched, temperature=value)
        return np.asarray(getattr(c, function)(request))

    return call


def _callback(function: str, x: Any, axes: tuple[int, ...], temperature: Any) -> Any:
    import jax

    shape = tuple(1 if a in axes else d for a, d in enumerate(x.shape))
    out = jax.ShapeDtypeStruct(shape if function == "logsumexp" else x.shape, x.dtype)  # type: ignore[no-untyped-call]
    if isinstance(temperature, float):
        host = _host_function(function, axes, temperature, x.ndim)
        return jax.pure_callback(host, out, x, vmap_method="expand_dims")
    host = _host_function(function, axes, None, x.ndim)
    return jax.pure_callback(host, out, x, temperature, vmap_method="expand_dims")


# ---- the derivatives: two primitives, each the other's transpose ---------------------------
#
# The forward function is a custom_jvp whose tangent is ``tangent`` (y, t) -> J t, a primitive
# linear in t; reverse mode transposes it into ``cotangent`` (y, g) -> J^T g, which XLA on the
# CPU lowers to a host callback into the C core's fused backward kernels.  Both are linear in
# their second operand with y a residual, and each has a JVP in both operands, so that forward
# mode over either (jacfwd(jacrev) = hessian, jvp of grad) and reverse over reverse still work;
# a per-row temperature is a third operand.  Parameters: ``function`` ("softmax" or
# "log_softmax"), ``axes`` (the reduced axes) and ``temperature`` (a float, or None when the
# temperatures are the third operand).

TRANSPOSES = {"tangent": "cotangent", "cotangent": "tangent"}


def _rule_in_jnp(
    direction: str,
    y: Any,
    v: Any,
    *temperatures: Any,
    function: str,
    axes: tuple[int, ...],
    temperature: float | None,
) -> Any:
    """Return J v (``direction`` "tangent") or J^T v ("cotangent") in ``jax.numpy``."""
    import jax.numpy as jnp

    value = temperatures[0] if temperatures else temperature
    rule = _backward.vjp if direction == "cotangent" else _backward.jvp
    return rule(function, y, v, axes, value, jnp)


def _kernel_on_host(
    y: Any,
    g: Any,
    *temperatures: Any,
    function: str,
    axes: tuple[int, ...],
    temperature: float | None,
) -> np.ndarray:
    """Return J^T g by the C core's backward kernel, on numpy arrays (host buffers)."""
    value = np.asarray(temperatures[0]) if temperature is None else temperature
    return _backward.c_vjp(function, np.asarray(y), np.asarray(g), axes, value)


def _kernel_by_callback(y: Any, g: Any, *temperatures: Any, **params: Any) -> Any:
    """Return J^T g through ``jax.pure_callback`` into the C core (the CPU lowering)."""
    import jax

    out = jax.ShapeDtypeStruct(y.shape, y.dtype)  # type: ignore[no-untyped-call]
    host = functools.partial(_kernel_on_host, **params)
    return jax.pure_callback(host, out, y, g, *temperatures)


def _cotangent_now(y: Any, g: Any, *temperatures: Any, **params: Any) -> Any:
    """Return J^T g of concrete arrays (outside ``jit``): the C kernel, the result on y's device."""
    import jax

    result = _kernel_on_host(y, g, *temperatures, **params)
    return jax.device_put(result, next(iter(y.devices())))


@functools.cache
def _primitives() -> dict[str, Any]:
    """Return the ``tangent`` and ``cotangent`` primitives (defined on first use)."""
    from jax.interpreters import ad, batching, mlir

    try:
        from jax.extend.core import Primitive
    except ImportError:  # older jax
        from jax.core import Primitive  # type: ignore[attr-defined,no-redef]

    primitives = {direction: Primitive(f"pysoftmax_{direction}") for direction in TRANSPOSES}
    for direction, primitive in primitives.items():
        other = primitives[TRANSPOSES[direction]]
        in_jnp = functools.partial(_rule_in_jnp, direction)
        primitive.def_abstract_eval(lambda y, *operands, **params: y)  # type: ignore[no-untyped-call]
        if direction == "cotangent":
            primitive.def_impl(_cotangent_now)  # type: ignore[no-untyped-call]
            mlir.register_lowering(
                primitive, mlir.lower_fun(_kernel_by_callback, multiple_results=False), "cpu"
            )
        else:
            primitive.def_impl(in_jnp)  # type: ignore[no-untyped-call]
        # Every other platform: the same rule in XLA's operations.
        mlir.register_lowering(primitive, mlir.lower_fun(in_jnp, multiple_results=False))
        ad.primitive_jvps[primitive] = functools.partial(_jvp, primitive, direction)
        ad.primitive_transposes[primitive] = functools.partial(_transpose, other)
        batching.primitive_batchers[primitive] = functools.partial(_batch, primitive)
    return primitives


def _jvp(
    primitive: Any, direction: str, primals: list[Any], tangents: list[Any], **params: Any
) -> tuple[Any, Any]:
    """Return J(y, T) v and its JVP in every operand (written out: 2 or 3 operands).

    In v: the same primitive (linear).  In y: jnp (:func:`_backward.rule_derivative`).
    In T: J v is its value at T = 1 divided by T, so its derivative is -(J v) / T.
    """
    import jax.numpy as jnp
    from jax.interpreters import ad

    y, v, *temperatures = primals
    dy, dv, *dt = tangents
    out = primitive.bind(*primals, **params)
    value = temperatures[0] if temperatures else params["temperature"]
    parts = []
    if type(dy) is not ad.Zero:
        function, axes = params["function"], params["axes"]
        parts.append(_backward.rule_derivative(function, direction, y, v, dy, axes, value, jnp))
    if type(dv) is not ad.Zero:
        parts.append(primitive.bind(y, dv, *temperatures, **params))
    if dt and type(dt[0]) is not ad.Zero:
        parts.append(_backward.divided(-out * dt[0], value, jnp))
    return out, sum(parts[1:], parts[0]) if parts else jnp.zeros_like(out)


def _transpose(other: Any, ct: Any, y: Any, v: Any, *temperatures: Any, **params: Any) -> list[Any]:
    """Return the transpose in v (y and the temperatures are residuals): the other primitive."""
    from jax.interpreters import ad

    if any(isinstance(a, ad.UndefinedPrimal) for a in (y, *temperatures)):
        raise NotImplementedError("pysoftmax's derivative is linear in its second operand only")
    if type(ct) is ad.Zero:
        return [None, ad.Zero(v.aval), *(None for _ in temperatures)]
    return [None, other.bind(y, ct, *temperatures, **params), *(None for _ in temperatures)]


def _batch(
    primitive: Any, operands: tuple[Any, ...], dims: tuple[int | None, ...], **params: Any
) -> tuple[Any, int]:
    """Batch by moving the batch axis first (rows are independent); the reduced axes shift."""
    import jax.numpy as jnp

    size = next(a.shape[d] for a, d in zip(operands, dims, strict=True) if d is not None)
    leading = [
        jnp.broadcast_to(a, (size, *a.shape)) if d is None else jnp.moveaxis(a, d, 0)
        for a, d in zip(operands, dims, strict=True)
    ]
    axes = tuple(a + 1 for a in params["axes"])
    return primitive.bind(*leading, **{**params, "axes": axes}), 0


def _temperature_as_input(function: str, y: Any, dt: Any) -> Any:
    """Return the change of x that moves ``function``'s result as ``dt`` moves T.

    ``-log p * dT`` (:func:`pysoftmax._backends._backward.log_probabilities`), 0 where p = 0;
    at T = 0 and T = inf the result is locally constant, and this gives 0 there too (a
    one-hot or a uniform log p).
    """
    import jax.numpy as jnp

    log_p, included = _backward.log_probabilities(function, y, jnp)
    return jnp.where(included, -log_p, 0.0) * dt


def _differentiable(function: str, axes: tuple[int, ...], temperature: Any) -> Callable[..., Any]:
    """Return ``x -> function(x)`` with its JVP; ``temperature`` a float or one per row.

    One per row (an array, traced or not) is an operand of the custom JVP too, so that
    derivatives in the temperatures (jax.grad with respect to T) exist.
    """
    import jax

    if not isinstance(temperature, float) and function != "logsumexp":
        return _differentiable_in_temperature(function, axes, temperature)

    @jax.custom_jvp
    def evaluate(x: Any) -> Any:
        return _callback(function, x, axes, temperature)

    @evaluate.defjvp
    def tangent(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        (x,), (dx,) = primals, tangents
        y = evaluate(x)
        if function == "logsumexp":
            # softmax with its own JVP rule, so that second derivatives exist
            probabilities = _differentiable("softmax", axes, 1.0)(x)
            import jax.numpy as jnp

            return y, _backward.logsumexp_jvp(probabilities, y, dx, axes, jnp)
        per_row = not isinstance(temperature, float)
        operands = (y, dx, temperature) if per_row else (y, dx)
        primitive = _primitives()["tangent"]
        scalar = None if per_row else temperature
        return y, primitive.bind(*operands, function=function, axes=axes, temperature=scalar)

    return evaluate


def _differentiable_in_temperature(
    function: str, axes: tuple[int, ...], temperatures: Any
) -> Callable[..., Any]:
    """Return ``x -> function(x)`` for per-row temperatures, differentiable in both."""
    import jax

    @jax.custom_jvp
    def evaluate(x: Any, t: Any) -> Any:
        return _callback(function, x, axes, t)

    @evaluate.defjvp
    def tangent(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        (x, t), (dx, dt) = primals, tangents
        y = evaluate(x, t)
        change = dx + _temperature_as_input(function, y, dt)
        primitive = _primitives()["tangent"]
        return y, primitive.bind(y, change, t, function=function, axes=axes, temperature=None)

    return lambda x: evaluate(x, temperatures)


def softmax(request: Request) -> Any:
    """Softmax of the JAX array ``request.x``, differentiable and traceable."""
    return _differentiable("softmax", request.axes, request.temperature)(request.x)


def log_softmax(request: Request) -> Any:
    """Log-softmax of the JAX array ``request.x``, differentiable and traceable."""
    return _differentiable("log_softmax", request.axes, request.temperature)(request.x)


def logsumexp(request: Request) -> Any:
    """Logsumexp of the JAX array ``request.x``, keeping the reduced axes.

    With ``request.weights``: ``(log|sum(b * exp(x))|, sign)``, differentiable in both.
    """
    if request.weights is not None:
        return _weighted_logsumexp(request.axes)(request.x, request.weights)
    return _differentiable("logsumexp", request.axes, 1.0)(request.x)


# ---- logsumexp with weights ----------------------------------------------------------------


def _weighted_on_host(axes: tuple[int, ...], ndim: int) -> Callable[..., Any]:
    """Return the host callback: ``psm_logsumexp_weighted_*`` on numpy arrays, batch leading."""
    from . import c

    def call(x: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, b = np.asarray(x), np.asarray(b)
        leading = x.ndim - ndim
        # vmap gives an operand it does not map a leading axis of size 1: broadcast both
        batch = np.broadcast_shapes(x.shape[:leading], b.shape[:leading])
        x = np.broadcast_to(x, batch + x.shape[leading:])
        b = np.broadcast_to(b, batch + b.shape[leading:])
        batched = tuple(a + leading for a in axes)
        value, sign = c.logsumexp(Request(x=x, xp=np, axes=batched, weights=b))
        return np.asarray(value), np.asarray(sign)

    return call


def _weighted_logsumexp(axes: tuple[int, ...]) -> Callable[..., Any]:
    """Return ``(x, b) -> (log|sum(b exp(x))|, sign)`` over ``axes`` (kept), with its JVP.

    With ``S = sum(b exp(x))`` and ``L = log|S|``, ``dL = dS / S`` and
    ``1 / S = sign * exp(-L)``, so ``dL = sum(sign * exp(x - L) * (b * dx + db))``;
    the sign is locally constant (tangent 0).  In the finite-gradient rule's
    spirit, the terms whose factor ``sign * b * exp(x - L)`` (for ``dx``) or
    ``sign * exp(x - L)`` (for ``db``) is 0 are left out, so a NaN tangent
    there stays there (``-inf`` entries, ``b == 0``, masked entries), and a
    row whose sum is 0 (``L = -inf``: all ``-inf``, all weights 0, or an exact
    cancellation, where the derivative is infinite) gets 0.
    """
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def evaluate(x: Any, b: Any) -> Any:
        shape = tuple(1 if a in axes else d for a, d in enumerate(x.shape))
        out = jax.ShapeDtypeStruct(shape, x.dtype)  # type: ignore[no-untyped-call]
        host = _weighted_on_host(axes, x.ndim)
        return jax.pure_callback(host, (out, out), x, b, vmap_method="expand_dims")

    @evaluate.defjvp
    def tangent(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        (x, b), (dx, db) = primals, tangents
        value, sign = evaluate(x, b)
        nonzero = value != -math.inf
        scale = jnp.where(nonzero, sign * jnp.exp(x - jnp.where(nonzero, value, 0.0)), 0.0)

        def terms(factor: Any, t: Any) -> Any:
            counted = factor != 0
            zeros = jnp.zeros_like(factor)
            product = factor * jnp.where(counted, t, zeros)
            return jnp.sum(jnp.where(counted, product, zeros), axis=axes, keepdims=True)

        # b == 0 leaves the entry out, even where x is NaN (0 * exp(NaN) would be NaN)
        weighted = jnp.where(b == 0, jnp.zeros_like(scale), scale * b)
        return (value, sign), (terms(weighted, dx) + terms(scale, db), jnp.zeros_like(sign))

    return evaluate
