"""The generic backend: the C core's algorithm written with the array API only.

Any library that ``array_api_compat.array_namespace`` recognizes can run
this.  It follows the C core's method (``csrc/src/row_numerics.h``):
max, edge-case rule, a double-double sum of the exponentials of every entry
below the maximum, then ``e / S``, ``z - log S`` or ``max + log S``; only
the order of summation differs (and with it, rarely, the last bit).  It
computes in float64 (float32 inputs too, rounded at the end) and never
branches in Python on array values, so it stays lazy under Dask and
traceable under JAX.  Special values are replaced before any arithmetic, so
no floating-point warning is raised.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat

from .. import _double_double as dd
from .. import _edge_rules
from .._request import Request

Array = Any
Namespace = Any

NAME = "array_api"
DESCRIPTION = "any array-API library, in float64 array operations (the C core's algorithm)"
DOUBLE_MAX = 1.7976931348623157e308


def availability() -> tuple[bool, str]:
    """Return whether this backend can run here, and why not."""
    return True, "always available"


def refuses(x: Array) -> str | None:
    """Return why this backend cannot compute on ``x``, or None.

    It needs IEEE float64 arithmetic evaluated as written: float64 on the
    array's device, subnormals kept, no multiplication fused into an FMA.
    """
    if not array_api_compat.is_array_api_obj(x):
        return "x is not an array-API array"
    if array_api_compat.is_jax_array(x):
        return (
            "JAX arrays are not supported yet: XLA flushes subnormals to zero and fuses "
            "multiplications into FMAs, which breaks this backend's double-double arithmetic"
        )
    xp = array_api_compat.array_namespace(x)
    device = array_api_compat.device(x)
    if "float64" not in xp.__array_namespace_info__().dtypes(device=device, kind="real floating"):
        return f"it computes in float64, which {xp.__name__} does not offer on device {device}"
    return None


class _Row:
    """What the scan of each row finds, with NaN and infinities made harmless."""

    def __init__(self, xp: Namespace, x: Array, axes: tuple[int, ...]) -> None:
        self.xp = xp
        self.axes = axes
        self.length = math.prod(x.shape[a] for a in axes)
        is_nan = xp.isnan(x)
        self.has_nan = xp.any(is_nan, axis=axes, keepdims=True)
        self.max = xp.max(xp.where(is_nan, -math.inf, x), axis=axes, keepdims=True)
        self.is_max = x == self.max
        self.count_max = self._count(self.is_max)
        self.is_above_negative_infinity = x > -math.inf
        # The general case holds in rows whose max is finite and that hold no NaN.
        self.finite = xp.isfinite(self.max) & ~self.has_nan
        self.safe_max = xp.where(self.finite, self.max, 0.0)
        # Entries that are not finite, and every entry of a row that is not,
        # take the max's place (d = 0 there); the rules overwrite them later.
        self.safe_x = xp.where(xp.isfinite(x) & self.finite, x, self.safe_max)

    def _count(self, mask: Array) -> Array:
        return self.xp.sum(self.xp.astype(mask, self.xp.float64), axis=self.axes, keepdims=True)

    def count_above_negative_infinity(self) -> Array:
        return self._count(self.is_above_negative_infinity)


def _choose(xp: Namespace, condition: Any, if_true: Any, if_false: Any) -> Any:
    """``xp.where`` for an array condition, plain selection for a Python bool."""
    if isinstance(condition, bool):
        return if_true if condition else if_false
    return xp.where(condition, if_true, if_false)


def _shifted(row: _Row, temperature: Any) -> tuple[Array, Array, Array]:
    """Return ``(z_hi, z_lo, vanishes)``: ``z = (x - max) / T`` and where it is -inf.

    ``temperature`` is a float, or an array with one (finite, positive) per
    row.  Where ``vanishes``, ``z_hi`` is ``-inf`` or below ``-2**995`` (then
    its low part is 0), as in ``psm_shifted``.
    """
    xp = row.xp
    # fl(x - max) overflows exactly when fl(x/2 - max/2) < -DOUBLE_MAX/2:
    # halving commutes with rounding, and the halves cannot overflow.
    overflows = row.safe_x * 0.5 - row.safe_max * 0.5 < -DOUBLE_MAX * 0.5
    # With max at 2^1022 or beyond, TwoSum's partial sums can overflow although x - max does
    # not: there the halves' difference is taken (exact), as psm_shifted does.
    large_max = xp.abs(row.safe_max) >= 2.0**1022
    above_one = temperature > 1.0
    if not isinstance(above_one, bool):  # one temperature per row: both ways, per row
        above_one = xp.broadcast_to(above_one, row.safe_x.shape)
    half = xp.zeros_like(row.safe_x) + 0.5
    # T > 1: (x - max) / T is still finite where x - max overflows: it is (x/2 - max/2) / (T/2).
    # T <= 1: the overflowing differences vanish; the halved ones are doubled back (exact).
    halve = _choose(
        xp, above_one, xp.where(overflows | large_max, half, 1.0), xp.where(large_max, half, 1.0)
    )
    minuend = _choose(xp, above_one, row.safe_x, xp.where(overflows, row.safe_max, row.safe_x))
    d_hi, d_lo = dd.two_sum(minuend * halve, -row.safe_max * halve)
    unhalve = _choose(xp, above_one, 1.0, halve)  # T > 1 keeps the halves
    d_hi, d_lo = d_hi / unhalve, d_lo / unhalve
    divisor = _choose(xp, above_one, temperature * halve, xp.zeros_like(d_hi) + temperature)
    vanishes = _choose(
        xp,
        above_one,
        ~row.is_above_negative_infinity,
        overflows | ~row.is_above_negative_infinity,
    )
    if isinstance(temperature, float) and temperature == 1.0:
        return xp.where(vanishes, -math.inf, d_hi), xp.where(vanishes, 0.0, d_lo), vanishes
    # Quotients beyond 2**995 are kept as plain quotients (-inf where they
    # overflow): the splitting in dd.divide needs smaller ones.
    large = d_hi * 2.0**-995 < -divisor  # d / T < -2**995, without overflow
    overflow_quotient = d_hi < -DOUBLE_MAX * xp.minimum(divisor, 1.0)
    plain = xp.where(overflow_quotient, -math.inf, xp.where(overflow_quotient, 0.0, d_hi) / divisor)
    # The splitting's partial products (about d = q * T) must neither
    # overflow nor underflow: an extreme T or d is brought nearer to 1, with
    # the other, so that q stays (as psm_shifted does).
    kept_hi = xp.where(large, 0.0, d_hi)
    big = (xp.abs(kept_hi) > 2.0**960) | (divisor > 2.0**996)
    scale = xp.where(big, xp.zeros_like(kept_hi) + 2.0**-128, 1.0)
    scale = xp.where(divisor < 2.0**-900, 2.0**128, scale)
    z_hi, z_lo = dd.divide(kept_hi * scale, xp.where(large, 0.0, d_lo) * scale, divisor * scale)
    z_hi = xp.where(vanishes, -math.inf, xp.where(large, plain, z_hi))
    z_lo = xp.where(vanishes | large, 0.0, z_lo)
    return z_hi, z_lo, vanishes | large


def _log_total(row: _Row, z_hi: Array, z_lo: Array, vanishes: Array) -> tuple[Array, Array]:
    """Return ``log S`` with ``S = 1 + s``, s summing exp(z) over all but one maximal entry.

    Ties with the maximum contribute exactly ``count_max - 1``; the other
    terms are summed scaled by ``2**-k_max`` (their largest binary exponent)
    so that terms deep in the subnormal range keep their digits.
    """
    xp = row.xp
    contributes = row.finite & ~(vanishes | row.is_max) & (z_hi >= dd.EXP_NEGLIGIBLE)
    clamped_hi = xp.where(contributes, z_hi, 0.0)
    e_hi, e_lo, k = dd.exp(xp, clamped_hi, xp.where(contributes, z_lo, 0.0))
    k_max = xp.max(xp.where(contributes, k, -1160.0), axis=row.axes, keepdims=True)
    relative = xp.where(contributes, k - k_max, 0.0)
    term_hi = xp.where(contributes, dd.scale(xp, e_hi, relative), 0.0)
    # The low parts only matter to 2**-53 of the sum: one scaling suffices.
    term_lo = xp.where(contributes, e_lo * dd.power_of_two(xp, xp.maximum(relative, -1074.0)), 0.0)
    sum_hi, sum_lo = dd.accurate_sum(xp, term_hi, row.axes, 2.0, row.length)
    low_hi, low_lo = dd.accurate_sum(xp, term_lo, row.axes, 2.0**-52, row.length)
    sum_hi, error = dd.two_sum(sum_hi, low_hi)
    sum_lo = sum_lo + error + low_lo
    # Back to the true scale, 2**k_max (one rounding where that is subnormal).
    unit = dd.power_of_two(xp, xp.maximum(k_max, -1074.0))
    rest_hi = dd.scale(xp, xp.where(sum_hi > 0.0, sum_hi, 1.0), k_max)
    rest_hi = xp.where(sum_hi > 0.0, rest_hi, 0.0)
    rest_lo = sum_lo * unit
    ties = xp.maximum(row.count_max - 1.0, 0.0)  # a row of NaN has no maximal entry
    s_hi, s_lo = dd.two_sum(ties, rest_hi)
    s_hi, s_lo = dd.fast_two_sum(s_hi, s_lo + rest_lo)
    return s_hi, s_lo


def _apply_edge_rules(row: _Row, result: Array, temperature: Any, function: str) -> Array:
    """Overwrite the rows that a rule of the edge-case table decides.

    The rules come from ``pysoftmax/edge_cases.json`` (``_edge_rules.RULES``),
    applied from the last to the first so that the first that holds wins.
    """
    xp = row.xp
    holds = {
        "row_has_nan": row.has_nan,
        "max_is_negative_infinity": row.max == -math.inf,
        "max_is_positive_infinity": row.max == math.inf,
        "temperature_is_zero": temperature == 0.0,
        "temperature_is_infinite": temperature == math.inf,
    }
    for rule in reversed(_edge_rules.RULES):
        condition = holds[rule.applies_when]
        if condition is False or (function == "logsumexp" and rule.logsumexp is None):
            continue
        if rule.selects == "maximal":
            selected, count = row.is_max, row.count_max
        elif rule.selects == "above_negative_infinity":
            selected = row.is_above_negative_infinity
            count = row.count_above_negative_infinity()
        else:
            selected, count = xp.ones_like(row.is_max), xp.zeros_like(row.max) + row.length
        count = xp.where(count > 0.0, count, 1.0)  # no 1/0 in rows the rule does not decide
        if function == "logsumexp":
            value = _rule_value(xp, str(rule.logsumexp), count)
        else:
            values = rule.softmax if function == "softmax" else rule.log_softmax
            value = xp.where(
                selected, _rule_value(xp, values[0], count), _rule_value(xp, values[1], count)
            )
        result = value if condition is True else xp.where(condition, value, result)
    return result


def _rule_value(xp: Namespace, value: str, count: Array) -> Array:
    """One of the table's values, for rows whose rule selects ``count`` entries."""
    if value == "1/count":
        return 1.0 / count
    if value == "-log(count)":
        return 0.0 - xp.log(count)  # +0 for one entry, as log(1) is; -log(1) is -0
    return (
        xp.zeros_like(count)
        + {"nan": math.nan, "0": 0.0, "-inf": -math.inf, "inf": math.inf}[value]
    )


def _normalize(request: Request, log_output: bool) -> Array:
    xp = request.xp
    x = xp.astype(request.x, xp.float64)
    row = _Row(xp, x, request.axes)
    temperature = request.temperature
    if request.per_row_temperature:
        # The rows at T = 0 or inf are the edge rules'; the others are computed as usual.
        temperature = xp.astype(temperature, xp.float64)
        limit = (temperature == 0.0) | (temperature == math.inf)
        result = _normalize_finite(row, xp.where(limit, 1.0, temperature), log_output)
    elif temperature in (0.0, math.inf):
        result = xp.zeros_like(x)
    else:
        result = _normalize_finite(row, temperature, log_output)
    result = _apply_edge_rules(row, result, temperature, "log_softmax" if log_output else "softmax")
    return result  # float64: the front door rounds it to the result dtype, once


def _normalize_finite(row: _Row, temperature: Any, log_output: bool) -> Array:
    """Softmax or log-softmax where ``0 < T < inf`` (a float, or one per row)."""
    xp = row.xp
    z_hi, z_lo, vanishes = _shifted(row, temperature)
    s_hi, s_lo = _log_total(row, z_hi, z_lo, vanishes)
    if log_output:
        log_hi, log_lo = dd.log1p(xp, s_hi, s_lo)
        t_hi, t_lo = dd.two_sum(xp.where(vanishes, 0.0, z_hi), -log_hi)
        result = xp.where(vanishes, z_hi, t_hi + (t_lo + (z_lo - log_lo)))
    else:
        total_hi, total_lo = dd.two_sum(1.0, s_hi)
        total_hi, total_lo = dd.fast_two_sum(total_hi, total_lo + s_lo)
        alive = row.finite & ~vanishes & (z_hi >= dd.EXP_NEGLIGIBLE)
        e_hi, e_lo, k = dd.exp(xp, xp.where(alive, z_hi, 0.0), xp.where(alive, z_lo, 0.0))
        quotient = e_hi / total_hi
        p_hi, p_lo = dd.two_product(quotient, total_hi)
        remainder = ((e_hi - p_hi) - p_lo) + (e_lo - quotient * total_lo)
        value = dd.scale(xp, quotient + remainder / total_hi, k)
        result = xp.where(alive, value, 0.0)
    return result


def softmax(request: Request) -> Array:
    """Softmax of ``request.x`` over ``request.axes``."""
    return _normalize(request, log_output=False)


def log_softmax(request: Request) -> Array:
    """Log-softmax of ``request.x`` over ``request.axes``."""
    return _normalize(request, log_output=True)


def logsumexp(request: Request) -> Array:
    """Logsumexp of ``request.x`` over ``request.axes``, keeping the axes (size 1)."""
    xp = request.xp
    x = xp.astype(request.x, xp.float64)
    row = _Row(xp, x, request.axes)
    z_hi, z_lo, vanishes = _shifted(row, 1.0)
    s_hi, s_lo = _log_total(row, z_hi, z_lo, vanishes)
    log_hi, log_lo = dd.log1p(xp, s_hi, s_lo)
    t_hi, t_lo = dd.two_sum(row.safe_max, log_hi)
    result = _apply_edge_rules(row, t_hi + (t_lo + log_lo), 1.0, "logsumexp")
    return result  # float64: the front door rounds it to the result dtype, once


def weighted_logsumexp(request: Request) -> tuple[Array, Array]:
    """``(log|sum(b * exp(x))|, sign)`` over ``request.axes`` (kept, size 1), in float64.

    ``request.weights`` is ``b``, of ``x``'s shape.  The C core's method
    (``csrc/src/weighted_rows.inc``) in array operations: the weights scaled
    by a power of two so that the largest is in [0.5, 1), every term
    ``b * exp(x - max)`` a double-double (the exponential to 2**-60, the
    product exact), their sum by :func:`~pysoftmax._double_double.accurate_sum`
    (where the C core adds them in order with TwoSum: the last bit may
    differ), then ``max + e * log 2 + log|S|`` rounded once.  Its rules: a term with
    ``b == 0`` or ``x == -inf`` is left out; a NaN among the others gives NaN
    (sign NaN); infinite terms decide alone (+inf with their sign, NaN when
    the signs differ); an empty or exactly cancelled sum gives -inf, sign 0.
    """
    xp = request.xp
    axes = request.axes
    x = xp.astype(request.x, xp.float64)
    b = xp.astype(request.weights, xp.float64)
    counted = (b != 0.0) & (x != -math.inf)  # NaN counts, as a NaN weight does
    has_nan = xp.any(counted & (xp.isnan(x) | xp.isnan(b)), axis=axes, keepdims=True)
    finite_term = counted & xp.isfinite(x) & xp.isfinite(b)
    infinite_term = counted & ~xp.isnan(x) & ~xp.isnan(b) & ~finite_term
    positive_infinite = xp.any(infinite_term & (b > 0.0), axis=axes, keepdims=True)
    negative_infinite = xp.any(infinite_term & (b < 0.0), axis=axes, keepdims=True)
    row = _Row(xp, xp.where(finite_term, x, -math.inf), axes)
    # The weights' scale: the largest |b| of the finite terms in [0.5, 1) after it.
    largest = xp.max(xp.where(finite_term, xp.abs(b), 0.0), axis=axes, keepdims=True)
    weight_exponent = dd.binary_exponent(xp, xp.where(largest > 0.0, largest, 1.0))
    scaled_weight = dd.times_power_of_two(xp, xp.where(finite_term, b, 0.0), -weight_exponent)
    z_hi, z_lo, vanishes = _shifted(row, 1.0)
    alive = finite_term & row.finite & ~vanishes & (z_hi >= dd.EXP_NEGLIGIBLE)
    e_hi, e_lo, k = dd.exp(xp, xp.where(alive, z_hi, 0.0), xp.where(alive, z_lo, 0.0))
    product_hi, product_lo = dd.two_product(scaled_weight, e_hi)
    product_lo = product_lo + scaled_weight * e_lo
    term_hi = xp.where(alive, dd.times_power_of_two(xp, product_hi, k), 0.0)
    term_lo = xp.where(alive, dd.times_power_of_two(xp, product_lo, k), 0.0)
    # |term| < 1.42.  The C core adds the terms in order with TwoSum; the extraction's sum
    # is exact in any order but for its last remainders (measured: the C core's bits, sums
    # that cancel by 2^40 included, in rows of up to 30,000 terms).
    sum_hi, sum_lo = dd.accurate_sum(xp, term_hi, axes, 2.0, row.length)
    low_hi, low_lo = dd.accurate_sum(xp, term_lo, axes, 2.0**-52, row.length)
    total_hi, error = dd.two_sum(sum_hi, low_hi)
    total_hi, total_lo = dd.fast_two_sum(total_hi, sum_lo + error + low_lo)
    cancelled = total_hi == 0.0
    sign = xp.where(total_hi > 0.0, 1.0, -xp.ones_like(total_hi))  # (not two scalars)
    s_hi = xp.where(cancelled, 1.0, xp.abs(total_hi))
    s_lo = xp.where(cancelled, 0.0, total_lo * sign)
    # log(s) as the C core's log_dd: the library's log, then one Newton step on exp(L) = s,
    # with s scaled by the power of two that the exponential returns.
    estimate = xp.log(s_hi) + s_lo / s_hi
    exp_hi, exp_lo, exp_k = dd.exp(xp, estimate, xp.zeros_like(estimate))
    difference_hi, difference_lo = dd.two_sum(dd.times_power_of_two(xp, s_hi, -exp_k), -exp_hi)
    difference_lo = difference_lo + (dd.times_power_of_two(xp, s_lo, -exp_k) - exp_lo)
    log_hi, log_lo = dd.fast_two_sum(estimate, (difference_hi + difference_lo) / exp_hi)
    # max + weight_exponent * log 2 + log|S|, rounded once
    shift_hi, shift_lo = dd.two_sum(row.safe_max, weight_exponent * dd.LN2_HI)
    shift_hi, shift_lo = dd.fast_two_sum(shift_hi, shift_lo + weight_exponent * dd.LN2_LO)
    log_hi, log_lo = dd.two_sum(log_hi, log_lo)
    t_hi, t_lo = dd.two_sum(shift_hi, log_hi)
    value = t_hi + (t_lo + (shift_lo + log_lo))
    # The rules, from the last to the first, so that the first that holds wins.
    empty = cancelled | (row.max == -math.inf)
    value = xp.where(empty, -math.inf, value)
    sign = xp.where(empty, 0.0, sign)
    both = positive_infinite & negative_infinite
    value = xp.where(
        positive_infinite | negative_infinite,
        xp.where(both, math.nan, xp.full_like(value, math.inf)),
        value,
    )
    sign = xp.where(
        both, math.nan, xp.where(positive_infinite, 1.0, xp.where(negative_infinite, -1.0, sign))
    )
    value = xp.where(has_nan, math.nan, value)
    sign = xp.where(has_nan, math.nan, sign)
    return value, sign
