"""The high-precision reference: exact softmax, log-softmax and logsumexp with mpmath.

Also the exact gradients (vector-Jacobian products) of softmax and
log-softmax, :func:`softmax_vjp` and :func:`log_softmax_vjp`.  Every
accuracy check of the project compares against these functions: they work
at 256 bits on the exact values of the inputs, and ``round_to_dtype``
rounds a result correctly (to nearest, ties to even, subnormals included),
so a distance in ULP to that rounding is an exact integer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import mpmath
import numpy as np

PRECISION_BITS = 256

# (significand bits including the implicit one, minimum normal exponent, maximum exponent)
_FORMATS = {
    np.dtype(np.float16): (11, -14, 15),
    np.dtype(np.float32): (24, -126, 127),
    np.dtype(np.float64): (53, -1022, 1023),
}
try:  # numpy's bfloat16 (ml_dtypes), where it is installed
    import ml_dtypes

    _FORMATS[np.dtype(ml_dtypes.bfloat16)] = (8, -126, 127)
except ImportError:  # pragma: no cover - ml_dtypes comes with jax
    pass


def _context() -> mpmath.ctx_mp.MPContext:
    context = mpmath.mp.clone()
    context.prec = PRECISION_BITS
    return context


def _row_terms(row: Sequence[float], temperature: float):
    """Return the context, the exact max, z = (x - max) / T and exp(z) per distinct value,
    the sum S of exp(z) and log S.

    ``log S`` is ``log1p`` of the sum without one maximal term: with a plain
    ``log(S)`` even 256 bits would lose a sum of the others below 2**-256.
    """
    mp = _context()
    values = np.asarray(row, dtype=np.float64)
    distinct, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    maximum = mp.mpf(float(distinct[-1]))
    temperature_mp = mp.mpf(float(temperature))
    shifted = [(mp.mpf(float(v)) - maximum) / temperature_mp for v in distinct]
    exponentials = [mp.exp(z) for z in shifted]
    others = mp.fsum(
        [int(counts[-1]) - 1]
        + [int(c) * e for c, e in zip(counts[:-1], exponentials[:-1], strict=True)]
    )
    return mp, maximum, shifted, exponentials, 1 + others, mp.log1p(others), inverse


def softmax(row: Sequence[float], temperature: float = 1.0) -> list[mpmath.mpf]:
    """Return the exact softmax of ``row / temperature`` (finite row, T > 0 finite)."""
    _, _, _, exponentials, total, _, inverse = _row_terms(row, temperature)
    per_value = [e / total for e in exponentials]
    return [per_value[i] for i in inverse.ravel()]


def log_softmax(row: Sequence[float], temperature: float = 1.0) -> list[mpmath.mpf]:
    """Return the exact log-softmax of ``row / temperature`` (finite row, T > 0 finite)."""
    _, _, shifted, _, _, log_total, inverse = _row_terms(row, temperature)
    per_value = [z - log_total for z in shifted]
    return [per_value[i] for i in inverse.ravel()]


def logsumexp(row: Sequence[float]) -> tuple[mpmath.mpf, mpmath.mpf]:
    """Return the exact logsumexp of a finite row, and the scale its error is measured on.

    The scale is ``max(|max|, log sum exp(x - max))``: logsumexp cancels when
    the max is negative and the log of the sum positive, so its accuracy is
    stated relative to the larger of the two.
    """
    _, maximum, _, _, _, log_total, _ = _row_terms(row, 1.0)
    return maximum + log_total, max(abs(maximum), log_total)


def _exact(value: float | mpmath.mpf) -> Fraction:
    """Return a float or a finite mpf as the exact rational it is."""
    if isinstance(value, mpmath.mpf):
        negative, mantissa, exponent, _ = value._mpf_
        magnitude = Fraction(int(mantissa)) * Fraction(2) ** int(exponent)
        return -magnitude if negative else magnitude
    return Fraction(float(value))


# Enough bits for log_softmax_vjp's dy - exp(y) * S to keep 256 of its own after a
# cancellation across the whole double range (2^-1074 relative to 2^1024).
_GRADIENT_BITS = 2400


def softmax_vjp(
    y: Sequence[float | mpmath.mpf], dy: Sequence[float], temperature: float = 1.0
) -> list[mpmath.mpf]:
    """Return the exact gradient ``y * (dy - sum(dy * y)) / T`` of softmax, from y and dy.

    ``y`` is softmax's output (floats, or exact values from :func:`softmax`);
    entries where ``y == 0`` get exactly 0 and stay out of the sum (the
    finite-gradient rule).  Finite ``temperature > 0``.  Computed in exact
    rational arithmetic, rounded once to 256 bits: no cancellation loses it.
    """
    mp = _context()
    values = [_exact(v) for v in y]
    gradients = [_exact(g) if v != 0 else Fraction(0) for v, g in zip(values, dy, strict=True)]
    total = sum((v * g for v, g in zip(values, gradients, strict=True)), Fraction(0))
    t = _exact(temperature)
    exact = [v * (g - total) / t for v, g in zip(values, gradients, strict=True)]
    return [mp.mpf(q.numerator) / q.denominator for q in exact]


def log_softmax_vjp(
    y: Sequence[float | mpmath.mpf], dy: Sequence[float], temperature: float = 1.0
) -> list[mpmath.mpf]:
    """Return the exact gradient ``(dy - exp(y) * sum(dy)) / T`` of log_softmax, from y and dy.

    Entries where ``y == -inf`` get exactly 0 and stay out of the sum.  The
    sum is exact, ``exp(y)`` and the difference are taken at 2400 bits.
    """
    mp, rounded = mpmath.mp.clone(), _context()
    mp.prec = _GRADIENT_BITS
    counted = [not (mpmath.isinf(v) and v < 0) for v in y]
    gradients = [_exact(g) if c else Fraction(0) for c, g in zip(counted, dy, strict=True)]
    total = sum(gradients, Fraction(0))
    total_mp = mp.mpf(total.numerator) / total.denominator
    t = mp.mpf(float(temperature))
    result = []
    for v, g, c in zip(y, gradients, counted, strict=True):
        if not c:
            result.append(rounded.mpf(0))
            continue
        value = (mp.mpf(g.numerator) / g.denominator - mp.exp(mp.mpf(v)) * total_mp) / t
        result.append(rounded.mpf(value))  # rounded to 256 bits
    return result


def round_to_dtype(value: mpmath.mpf, dtype: np.dtype | type) -> float:
    """Round ``value`` to the nearest ``dtype`` number (ties to even), as a Python float."""
    bits, min_exponent, max_exponent = _FORMATS[np.dtype(dtype)]
    if not mpmath.isfinite(value):
        return float(value)
    if value == 0:
        return 0.0
    # value = (-1)**negative * mantissa * 2**exponent exactly, whatever its context's precision.
    negative, mantissa, exponent, _ = value._mpf_
    sign = -1 if negative else 1
    mantissa = int(mantissa)
    top = mantissa.bit_length() - 1 + exponent  # floor(log2 |value|)
    if top < min_exponent - bits - 1:  # below half the smallest subnormal
        return sign * 0.0
    if top > max_exponent:
        return sign * math.inf
    quantum = max(top, min_exponent) - (bits - 1)  # exponent of the last kept bit
    shift = quantum - exponent
    if shift <= 0:
        integer = mantissa << -shift
    else:
        integer, remainder = divmod(mantissa, 1 << shift)
        half = 1 << (shift - 1)
        if remainder > half or (remainder == half and integer & 1):
            integer += 1
    if integer.bit_length() + quantum > max_exponent + 1:
        return sign * math.inf
    return sign * math.ldexp(integer, quantum)


def ulp(value: float, dtype: np.dtype | type) -> float:
    """Return the spacing of ``dtype`` numbers at ``|value|`` (the subnormal spacing below)."""
    bits, min_exponent, _ = _FORMATS[np.dtype(dtype)]
    magnitude = abs(float(value))
    top = math.frexp(magnitude)[1] - 1 if magnitude > 0 else min_exponent
    return math.ldexp(1.0, max(top, min_exponent) - (bits - 1))


def ulp_distance(a: float, b: float, dtype: np.dtype | type) -> int:
    """Return how many ``dtype`` numbers lie between ``a`` and ``b`` (0 when equal).

    Infinities count as the numbers after the largest finite one; NaN is
    infinitely far from everything but NaN.
    """
    if math.isnan(a) or math.isnan(b):
        return 0 if math.isnan(a) and math.isnan(b) else 2**64
    dtype = np.dtype(dtype)
    unsigned_type = {2: np.uint16, 4: np.uint32, 8: np.uint64}[dtype.itemsize]
    sign_bit = 1 << (8 * dtype.itemsize - 1)
    ordered = []
    for value in (a, b):
        pattern = int(np.asarray(value, dtype=dtype).view(unsigned_type))
        ordered.append(-(pattern - sign_bit) if pattern & sign_bit else pattern)
    return abs(ordered[0] - ordered[1])
