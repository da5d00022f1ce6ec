"""The JAX backend: the C core through ``jax.pure_callback``, with a custom JVP.

XLA cannot run the double-double method as written: on the CPU it flushes
subnormals to zero and fuses multiplications into FMAs, which breaks the
error-free transformations (measured: 16,000 ULP under ``jax.jit``).  So the
values come from the C core, called back from XLA on the host, and the
derivatives from a JVP rule written in ``jax.numpy`` (linear in the tangent,
so reverse mode transposes it), with the finite-gradient rule of
:mod:`pysoftmax._backends._backward`.  It works under ``jit``, ``grad``,
``vmap`` and ``jvp`` and their compositions (``hessian``, ``jacfwd``; the
callback takes vmap's batch as leading axes).  The derivatives are not the C core's backward
kernels: a host callback has no transpose, so a rule that called one would
need ``jax.custom_vjp``, which refuses forward mode (``jax.jvp``,
``jacfwd``, ``hessian``).  The callback is one host call per evaluation,
which XLA cannot fuse with its neighbours: the cost of exactness, measured
in the README.  Arrays on an accelerator are refused: a callback would copy
them to the host.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .._request import Request
from . import _backward

NAME = "jax"
# One temperature per row goes to the callback as a second operand.
FEATURES = frozenset({"temperature_array"})
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
        batched = tuple(a + x.ndim - ndim for a in axes)
        value = np.asarray(temperatures[0]) if temperatures else temperature
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


def _differentiable(function: str, axes: tuple[int, ...], temperature: Any) -> Callable[..., Any]:
    """Return ``x -> function(x)`` with its JVP; ``temperature`` a float or one per row."""
    import jax
    import jax.numpy as jnp

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
            return y, _backward.logsumexp_jvp(probabilities, y, dx, axes, jnp)
        return y, _backward.jvp(function, y, dx, axes, temperature, jnp)

    return evaluate


def softmax(request: Request) -> Any:
    """Softmax of the JAX array ``request.x``, differentiable and traceable."""
    return _differentiable("softmax", request.axes, request.temperature)(request.x)


def log_softmax(request: Request) -> Any:
    """Log-softmax of the JAX array ``request.x``, differentiable and traceable."""
    return _differentiable("log_softmax", request.axes, request.temperature)(request.x)


def logsumexp(request: Request) -> Any:
    """Logsumexp of the JAX array ``request.x``, keeping the reduced axes."""
    return _differentiable("logsumexp", request.axes, 1.0)(request.x)
