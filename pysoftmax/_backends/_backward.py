"""The derivatives of softmax, log_softmax and logsumexp, with the finite-gradient rule.

Given ``y``, the output of the forward function over ``axes``, and ``dy``,
the gradient of a loss with respect to it, the vector-Jacobian products are

- softmax: ``dx = y * (dy - sum(dy * y)) / T``
- log_softmax: ``dx = (dy - exp(y) * sum(dy)) / T``
- logsumexp: ``dx = dy * softmax(x)`` (``dy`` keeps the reduced axes, with size 1)
- weighted logsumexp, ``L = log|sum(b exp(x))|``: ``dx = dy * sign * b * exp(x - L)``,
  ``db = dy * sign * exp(x - L)`` (:func:`weighted_logsumexp_vjp`)

**The finite-gradient rule.**  Entries where ``y == 0`` (softmax: the ``-inf``
inputs, and probabilities that underflowed), ``y == -inf`` (log_softmax) or
``softmax(x) == 0`` (logsumexp) get a gradient of exactly 0 and are left out
of the sums, so that a NaN or an infinity of ``dy`` there never reaches the
rest of the row (nothing is multiplied by 0); a logsumexp row of only
``-inf`` (whose value is ``-inf``) gets 0 too.  At ``T == 0`` and
``T == inf`` the functions are locally constant and the gradient is 0.
Elsewhere NaN and infinities propagate as arithmetic on the formulas does.

Two implementations of the rule:

- :func:`c_vjp`: numpy arrays, by the C core's fused kernels
  (``psm_*_backward_strided_*``: one rounding, float32 in double, float64 in
  double-double), on up to ``threads`` threads in blocks of rows as the
  forward functions are (:mod:`pysoftmax._backends.c`);
- :func:`vjp` and :func:`jvp`: array-API operations, for the arrays the C
  core does not take (torch off the CPU) and where the derivative must itself
  be differentiable or traceable (torch's ``create_graph=True``, JAX's JVP
  rule, which reverse mode transposes).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _double_double as dd
from .._threads import run_blocks
from . import c
from ._layout import as_rows, element_strides, restore

# ---- the C core ------------------------------------------------------------------------------


def _run_c(
    function: str,
    y: np.ndarray,
    dy: np.ndarray,
    dx: np.ndarray,
    threads: int,
    temperature: float | np.ndarray,
) -> None:
    """Call ``psm_<function>_backward_<strided|general>_<f32|f64>`` on ``rows x n`` matrices.

    ``temperature`` is a float, or a vector of one per row (the general
    entry point).  Large matrices are cut into blocks of rows, one call each,
    exactly as :func:`pysoftmax._backends.c._run` cuts the forward call (the
    blocks depend on the shape alone, so the bits do not depend on ``threads``).
    """
    from .. import _core  # only called where the C core loaded (c.availability)

    suffix = "f32" if y.dtype == np.float32 else "f64"
    per_row = isinstance(temperature, np.ndarray)
    kind = "general" if per_row else "strided"
    kernel = getattr(_core.lib, f"psm_{function}_backward_{kind}_{suffix}")
    keep_alive = [y, dy, dx]
    pointers = [c._pointer(a) for a in keep_alive]
    strides = [element_strides(a) for a in keep_alive]
    if per_row:
        vector = np.asarray(temperature, dtype=y.dtype).reshape(-1)
        keep_alive.append(vector)
        temperatures = c._pointer(vector)
        temperature_stride = 0 if vector.size == 1 else vector.strides[0] // vector.itemsize
    rows, n = y.shape

    def call(start: int, count: int) -> None:
        arguments: list[Any] = []
        for k, (pointer, (row_stride, stride)) in enumerate(zip(pointers, strides, strict=True)):
            if k == 2 and per_row:  # the temperatures come before dx
                arguments += [temperatures + start * temperature_stride, temperature_stride]
            arguments += [pointer + start * row_stride, row_stride, stride]
        arguments += [count, n]
        if not per_row:
            arguments.append(temperature)
        c.check_status(kernel(*arguments))

    work = rows * n * c.ENTRY_COST[y.dtype]
    if rows < 2 or work < c.MIN_THREADED_WORK:
        call(0, rows)
        return
    per_block = c.rows_per_block(rows, n, strides[0][0] == 1 and strides[0][1] != 1)

    # The closure holds the arrays: a helper may still run after the caller left.
    def block(index: int, arrays: list[np.ndarray] = keep_alive) -> None:
        start = index * per_block
        call(start, min(per_block, rows - start))

    run_blocks(block, math.ceil(rows / per_block), min(threads, work // c.WORK_PER_THREAD))


def c_vjp(
    function: str,
    y: np.ndarray,
    dy: np.ndarray,
    axes: tuple[int, ...],
    temperature: float | np.ndarray,
    threads: int = 1,
) -> np.ndarray:
    """Return the gradient for softmax or log_softmax of numpy arrays, by the C core.

    ``y`` is float32 or float64; ``dy`` has its shape (any layout: broadcast
    views with stride 0 are read in place) and is converted to its dtype;
    ``temperature`` a float, or one per row (``y``'s shape, size 1 along
    ``axes``).  ``function`` is ``"softmax"`` or ``"log_softmax"``.
    """
    if dy.dtype != y.dtype:
        dy = dy.astype(y.dtype)
    y_rows, moved_shape = as_rows(y, axes, np)
    dy_rows, _ = as_rows(dy, axes, np)
    if isinstance(temperature, np.ndarray):
        temperature = as_rows(np.asarray(temperature, dtype=y.dtype), axes, np)[0][:, 0]
    dx = np.empty(y_rows.shape, dtype=y.dtype)
    _run_c(function, y_rows, dy_rows, dx, threads, temperature)
    result: np.ndarray = restore(dx, moved_shape, axes, np)
    return result


# ---- array-API operations --------------------------------------------------------------------


def _counted(function: str, y: Any) -> Any:
    """Return where the entries count: y != 0 (softmax), y != -inf (log_softmax)."""
    return y != 0 if function == "softmax" else y != -math.inf


def log_probabilities(function: str, y: Any, xp: Any) -> tuple[Any, Any]:
    """Return ``(log p, included)`` of a forward result: what the temperature's derivative weighs.

    With z = (x - max) / T, dz/dT = -z / T, and z is log p up to a constant per row, which
    the Jacobian in x (of softmax and of log_softmax) sends to 0: so the temperature moves
    the result as x moving by ``-log p * dT`` would (the JVP), and dL/dT of a row is
    ``-sum(dx * log p)`` (the VJP).  ``included``: p > 0, the entries that count (log p is 0
    elsewhere, where the finite rule gives dx = 0).
    """
    if function == "log_softmax":
        return y, y > -math.inf
    included = y > 0
    return xp.log(xp.where(included, y, xp.ones_like(y))), included


def divided(dx: Any, temperature: Any, xp: Any) -> Any:
    """Return ``dx / T``, 0 on the rows at T = 0 or inf; T a float or one per row."""
    if isinstance(temperature, float):
        if temperature == 0.0 or temperature == math.inf:
            return xp.zeros_like(dx)
        return dx if temperature == 1.0 else dx / temperature
    limit = (temperature == 0) | xp.isinf(temperature)
    safe = xp.where(limit, xp.ones_like(temperature), temperature)
    return xp.where(limit, xp.zeros_like(dx), dx / safe)


def vjp(function: str, y: Any, dy: Any, axes: tuple[int, ...], temperature: Any, xp: Any) -> Any:
    """Return the gradient for softmax or log_softmax in ``xp``'s operations.

    The same formulas and rule as the C kernels, written with selects
    (``where``) rather than multiplications by 0, so that it stays NaN-free
    and, where ``xp``'s operations are, differentiable.  ``temperature`` is a
    float or an array of one per row (``y``'s shape, size 1 along ``axes``).
    """
    if isinstance(temperature, float) and temperature in (0.0, math.inf):
        return xp.zeros_like(y)
    counted = _counted(function, y)
    g = xp.where(counted, dy, xp.zeros_like(dy))
    if function == "softmax":
        s = xp.sum(g * y, axis=axes, keepdims=True)
        dx = xp.where(counted, y * (g - s), xp.zeros_like(y))
    else:
        total = xp.sum(g, axis=axes, keepdims=True)
        dx = xp.where(counted, g - xp.exp(y) * total, xp.zeros_like(y))
    return divided(dx, temperature, xp)


def jvp(function: str, y: Any, t: Any, axes: tuple[int, ...], temperature: Any, xp: Any) -> Any:
    """Return the tangent of softmax or log_softmax for the input tangent ``t``.

    Linear in ``t`` and written with selects, so that transposing it (reverse
    mode) gives :func:`vjp`'s rule.  softmax's Jacobian is symmetric, so its
    tangent is :func:`vjp`'s formula; log_softmax's is
    ``(t - sum(exp(y) * t)) / T``.
    """
    if function == "softmax":
        return vjp(function, y, t, axes, temperature, xp)
    if isinstance(temperature, float) and temperature in (0.0, math.inf):
        return xp.zeros_like(y)
    counted = _counted(function, y)
    t_counted = xp.where(counted, t, xp.zeros_like(t))
    inner = xp.sum(xp.exp(y) * t_counted, axis=axes, keepdims=True)
    dz = xp.where(counted, t_counted - inner, xp.zeros_like(y))
    return divided(dz, temperature, xp)


def rule_derivative(
    function: str,
    direction: str,
    y: Any,
    v: Any,
    dy: Any,
    axes: tuple[int, ...],
    temperature: Any,
    xp: Any,
) -> Any:
    """Return the derivative of :func:`jvp` (``direction`` "tangent") or :func:`vjp` in ``y``.

    Both are linear in ``v`` with ``y`` fixed; this is their change when ``y``
    moves along ``dy`` (what second derivatives need: the derivative of a
    gradient), with the same rule: the entries that do not count (y == 0, or
    -inf) stay out and get 0, whatever ``v`` or ``dy`` holds there.

    - softmax (both directions, its Jacobian is symmetric):
      ``dy * (v - sum(v * y)) - y * sum(v * dy)``
    - log_softmax tangent: ``-sum(exp(y) * dy * v)``
    - log_softmax cotangent: ``-exp(y) * dy * sum(v)``

    each divided by T (0 at T = 0 and inf).
    """
    if isinstance(temperature, float) and temperature in (0.0, math.inf):
        return xp.zeros_like(y)
    counted = _counted(function, y)
    zeros = xp.zeros_like(y)
    w = xp.where(counted, v, zeros)
    dw = xp.where(counted, dy, zeros)
    if function == "softmax":
        s = xp.sum(w * y, axis=axes, keepdims=True)
        change = dw * (w - s) - y * xp.sum(w * dw, axis=axes, keepdims=True)
    elif direction == "tangent":
        change = -xp.sum(xp.exp(y) * dw * w, axis=axes, keepdims=True) + zeros
    else:
        change = -xp.exp(y) * dw * xp.sum(w, axis=axes, keepdims=True)
    return divided(xp.where(counted, change, zeros), temperature, xp)


def logsumexp_counted(probabilities: Any, value: Any) -> Any:
    """Return where logsumexp's gradient is not 0: softmax(x) != 0, and the row not all -inf.

    ``probabilities`` is softmax(x) (NaN in a row of only -inf), ``value``
    logsumexp(x) with the reduced axes kept.
    """
    return (probabilities != 0) & (value != -math.inf)


def logsumexp_vjp(probabilities: Any, value: Any, dy: Any, xp: Any) -> Any:
    """Return logsumexp's gradient ``dy * softmax(x)``, 0 where the rule says so."""
    counted = logsumexp_counted(probabilities, value)
    zeros = xp.zeros_like(probabilities)
    return xp.where(counted, xp.where(counted, dy, zeros) * probabilities, zeros)


def logsumexp_jvp(probabilities: Any, value: Any, t: Any, axes: tuple[int, ...], xp: Any) -> Any:
    """Return logsumexp's tangent ``sum(softmax(x) * t)``, with the same rule."""
    counted = logsumexp_counted(probabilities, value)
    zeros = xp.zeros_like(probabilities)
    terms = xp.where(counted, probabilities * xp.where(counted, t, zeros), zeros)
    return xp.sum(terms, axis=axes, keepdims=True)


def weighted_logsumexp_vjp(
    x: Any,
    b: Any,
    value: Any,
    sign: Any,
    dy: Any,
    axes: tuple[int, ...],
    value_epsilon: float,
    xp: Any,
) -> tuple[Any, Any]:
    """Return the gradients ``(dx, db)`` of ``L = log|sum(b exp(x))|``, with the rule.

    ``value`` and ``sign`` are the forward results (the reduced axes kept),
    ``dy`` the gradient of L; ``value_epsilon`` the relative precision that
    ``value`` was rounded to (its dtype's epsilon).  With ``q = b e^x / S``
    (``S`` the signed sum; ``q`` sums to 1), ``dx = dy q`` and ``db = dy q / b
    = dy e^x / S``.  ``q`` is ``t / r`` with ``t = b exp(x - L)``: the
    rounding of L cancels in the ratio, as long as the plain sum ``r`` (about
    ``sign``) is more accurate than L was (a sum that cancels is not: then
    ``q = sign * t``, whose error is L's).

    The rule: x gets exactly 0 where ``b == 0`` or ``x == -inf`` (left out of
    the sum, whatever ``dy`` holds), b gets 0 where ``x == -inf``; a row
    whose value is -inf (empty, masked or cancelled exactly) gets 0, and so
    does b where x is +inf or NaN and ``b == 0`` (left out too).  A row
    whose value is +inf shares it among its ``x == +inf`` terms as plain
    logsumexp does (``q = b / sum`` of their weights), NaN if an infinite
    weight made it infinite; a NaN row gives NaN wherever the rule leaves a
    gradient.  ``db`` where ``b == 0`` and x is finite is the derivative,
    ``e^x / S``, not 0: such a weight still moves the sum.
    """
    finite_row = xp.isfinite(value)
    safe_value = xp.where(finite_row, value, 0.0)
    finite_x = xp.isfinite(x)
    # x - L exactly, as a double-double (0 elsewhere): exp(x - L) to an ULP or two, where
    # the rounded difference would lose |x - L| ULPs (L = 75, x = 0: 35 of them).  The low
    # parts' derivatives are 0, so that the graph of the gradient stays exp's.
    shift_hi, shift_lo = dd.two_sum(xp.where(finite_x & finite_row, x, safe_value), -safe_value)
    exp_shift = xp.exp(shift_hi)
    exp_shift = exp_shift + exp_shift * shift_lo
    # t = b exp(x - L) as m exp(x - L + e log 2), b = m 2**e with |m| in [0.5, 1): neither
    # a large weight's underflowing exponential nor a tiny weight's overflowing one
    # loses t, which is at most the row's cancellation (sum |t| / |sum t|)
    in_sum = (b != 0.0) & (x != -math.inf) & finite_x & finite_row
    safe_b = xp.where(in_sum, b, 1.0)
    exponent = dd.binary_exponent(xp, xp.abs(safe_b))
    mantissa = dd.times_power_of_two(xp, safe_b, -exponent)
    scaled_hi, scaled_lo = dd.two_sum(shift_hi, exponent * dd.LN2_HI)
    scaled_lo = scaled_lo + (shift_lo + exponent * dd.LN2_LO)
    exp_scaled = xp.exp(scaled_hi)
    t = xp.where(in_sum, mantissa * (exp_scaled + exp_scaled * scaled_lo), 0.0)
    r = xp.sum(t, axis=axes, keepdims=True)
    magnitude = xp.sum(xp.abs(t), axis=axes, keepdims=True)
    count = math.prod(x.shape[a] for a in axes)
    epsilon = float(xp.finfo(x.dtype).eps)
    renormalized = (r * sign > 0.0) & (
        count * epsilon * magnitude
        <= xp.abs(r) * xp.maximum(value_epsilon * xp.abs(safe_value), epsilon)
    )
    ratio = xp.where(renormalized, r, xp.where(finite_row & (sign != 0.0), sign, 1.0))
    q_x = t / ratio
    q_b = xp.where(finite_x & finite_row, exp_shift, 0.0) / ratio
    # +inf rows: the x == +inf terms share the mass 1 by their weights
    plus = value == math.inf
    infinite_x = (x == math.inf) & (b != 0.0) & xp.isfinite(b)
    infinite_b = xp.any(xp.isinf(b) & (x != -math.inf), axis=axes, keepdims=True)
    shares = xp.sum(xp.where(infinite_x, b, 0.0), axis=axes, keepdims=True)
    safe_shares = xp.where(plus & ~infinite_b & (shares != 0.0), shares, 1.0)
    q_x = xp.where(plus, xp.where(infinite_x, b / safe_shares, 0.0), q_x)
    q_b = xp.where(plus, xp.where(infinite_x, 1.0 / safe_shares, 0.0), q_b)
    # NaN rows, and +inf rows made by an infinite weight: NaN where a gradient is left
    unknown = xp.isnan(value) | (plus & infinite_b)
    q_x = xp.where(unknown & (b != 0.0) & (x != -math.inf), math.nan, q_x)
    q_b = xp.where(unknown & (x != -math.inf), math.nan, q_b)
    # dy only where q is not 0: nothing is multiplied by 0 (dy may be NaN or inf there)
    zeros = xp.zeros_like(q_x)
    dx = xp.where(q_x != 0.0, xp.where(q_x != 0.0, dy, zeros) * q_x, zeros)
    db = xp.where(q_b != 0.0, xp.where(q_b != 0.0, dy, zeros) * q_b, zeros)
    return dx, db
