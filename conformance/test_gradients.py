"""Gradients on every differentiable backend (torch, JAX), checked with hypothesis.

The exact derivative at x comes from mpmath: the exact y (:func:`reference.softmax`), then
the exact vector-Jacobian product (:func:`reference.softmax_vjp`).  An implementation's
gradient carries the forward pass's error in y as well as its own, and where ``dy - s``
cancels, that error is amplified: so the bound is a few ULP of the exact value plus a few
epsilons, times the row length, of the terms that cancel.  The finite-gradient rule holds
exactly: the entries whose probability is 0 get 0, whatever the upstream gradient holds there.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pysoftmax
from conformance import reference

SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
DTYPES = st.sampled_from([np.float32, np.float64])
TEMPERATURES = st.sampled_from([1.0, 0.37, 6.5, 0.05])


@pytest.fixture(autouse=True)
def _differentiable_backends_only(request):
    tested = request.getfixturevalue("tested")
    if tested.backend not in ("torch", "jax"):
        pytest.skip(f"backend {tested.backend!r} has no automatic differentiation")


def vjp(tested, function, x: np.ndarray, dy: np.ndarray, **kwargs) -> np.ndarray:
    """The backend's gradient of sum(dy * function(x)) with respect to x, as numpy."""

    def call(v):
        return getattr(pysoftmax, function)(v, backend=tested.backend, **kwargs)

    if tested.library == "torch":
        import torch

        leaf = tested.asarray_exact(x).requires_grad_()
        upstream = torch.as_tensor(dy, device=leaf.device)
        (grad,) = torch.autograd.grad(call(leaf), leaf, upstream)
        return tested.to_numpy(grad)
    import jax
    import jax.numpy as jnp

    _, pullback = jax.vjp(call, tested.asarray_exact(x))
    return np.asarray(pullback(jnp.asarray(dy))[0])


def rows(dtype, magnitude=30.0, max_size=24):
    bits = 32 if dtype == np.float32 else 64
    elements = st.floats(-magnitude, magnitude, width=bits, allow_nan=False)
    return hnp.arrays(dtype, st.integers(1, max_size), elements=elements)


def assert_near(tested, got, exact, allowance, dtype, what, flush_scale=1.0):
    """|got - exact| <= 4 ULP + allowance * eps (+ what subnormals lose), entry by entry.

    JAX's derivative is arithmetic in XLA, which flushes subnormals to zero: an
    intermediate below the smallest normal number may be lost, and what follows it scales
    that loss by at most ``flush_scale`` (the row's sums, 1/T).
    """
    eps, tiny = float(np.finfo(dtype).eps), float(np.finfo(dtype).tiny)
    flushed = tiny * flush_scale if tested.library == "jax.numpy" else 0.0
    # The gradient is computed from the stored output y, rounded to the dtype: where y is
    # subnormal its error is absolute (half the least subnormal), times the same factors.
    flushed += float(np.finfo(dtype).smallest_subnormal) * flush_scale
    for i, (g, e, a) in enumerate(zip(got, exact, allowance, strict=True)):
        rounded = reference.round_to_dtype(e, dtype)
        bound = 4 * reference.ulp(rounded, dtype) + a * eps + flushed
        assert abs(float(g) - float(e)) <= bound, (what, i, float(g), rounded, bound)


def flush_scale(x, dy, temperature):
    """What an intermediate lost to flushing can be multiplied by, at most, in a row."""
    return (x.size + 3 + float(np.abs(dy).sum())) / min(temperature, 1.0)


@SETTINGS
@given(data=st.data(), dtype=DTYPES)
def test_softmax_gradients_are_near_the_exact_derivative(tested, data, dtype):
    x = data.draw(rows(dtype))
    dy = data.draw(hnp.arrays(dtype, x.shape, elements=st.floats(-10, 10, width=32)))
    temperature = float(np.asarray(data.draw(TEMPERATURES), dtype=dtype))
    got = vjp(tested, "softmax", x, dy, temperature=temperature)
    y = reference.softmax([float(v) for v in x], temperature)
    exact = reference.softmax_vjp(y, [float(g) for g in dy], temperature)
    terms = math.fsum(abs(float(g) * float(v)) for g, v in zip(dy, y, strict=True))
    allowance = [
        (8 + x.size) * float(v) * (abs(float(g)) + terms) / temperature
        for g, v in zip(dy, y, strict=True)
    ]
    assert_near(tested, got, exact, allowance, dtype, "softmax", flush_scale(x, dy, temperature))


@SETTINGS
@given(data=st.data(), dtype=DTYPES)
def test_log_softmax_gradients_are_near_the_exact_derivative(tested, data, dtype):
    x = data.draw(rows(dtype))
    dy = data.draw(hnp.arrays(dtype, x.shape, elements=st.floats(-10, 10, width=32)))
    temperature = float(np.asarray(data.draw(TEMPERATURES), dtype=dtype))
    got = vjp(tested, "log_softmax", x, dy, temperature=temperature)
    y = reference.log_softmax([float(v) for v in x], temperature)
    exact = reference.log_softmax_vjp(y, [float(g) for g in dy], temperature)
    total = math.fsum(abs(float(g)) for g in dy)
    allowance = [
        (8 + x.size)
        * (abs(float(g)) + math.exp(float(v)) * (1 + abs(float(v))) * total)
        / temperature
        for g, v in zip(dy, y, strict=True)
    ]
    assert_near(
        tested, got, exact, allowance, dtype, "log_softmax", flush_scale(x, dy, temperature)
    )


@SETTINGS
@given(data=st.data(), dtype=DTYPES)
def test_logsumexp_gradients_are_softmax(tested, data, dtype):
    x = data.draw(rows(dtype))
    weight = data.draw(st.floats(-10, 10, width=32))
    got = vjp(tested, "logsumexp", x, np.asarray(weight, dtype=dtype))
    exact = [weight * p for p in reference.softmax([float(v) for v in x])]
    assert_near(tested, got, exact, [abs(weight) * 4] * x.size, dtype, "logsumexp")


@SETTINGS
@given(data=st.data(), dtype=DTYPES, function=st.sampled_from(["softmax", "log_softmax"]))
def test_masked_entries_get_zero_whatever_the_upstream_gradient(tested, data, dtype, function):
    x = data.draw(rows(dtype, max_size=16).filter(lambda r: r.size >= 2))
    masked = data.draw(hnp.arrays(bool, x.shape).filter(lambda m: not m.all()))
    x = np.where(masked, -np.inf, x).astype(dtype)
    poison = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    dy = data.draw(hnp.arrays(dtype, x.shape, elements=st.floats(-10, 10, width=32)))
    temperature = data.draw(TEMPERATURES)
    clean = vjp(tested, function, x, np.where(masked, 0, dy).astype(dtype), temperature=temperature)
    got = vjp(
        tested, function, x, np.where(masked, poison, dy).astype(dtype), temperature=temperature
    )
    assert np.isfinite(got).all() and (got[masked] == 0).all()
    np.testing.assert_array_equal(got, clean)


@SETTINGS
@given(data=st.data(), dtype=DTYPES)
def test_logsumexp_of_nothing_has_zero_gradient(tested, data, dtype):
    x = np.full(data.draw(st.integers(1, 8)), -np.inf, dtype=dtype)
    got = vjp(tested, "logsumexp", x, np.asarray(data.draw(st.floats(-10, 10)), dtype=dtype))
    np.testing.assert_array_equal(got, np.zeros_like(x))


@SETTINGS
@given(data=st.data(), dtype=DTYPES, function=st.sampled_from(["softmax", "log_softmax"]))
def test_the_temperature_limits_have_zero_gradient(tested, data, dtype, function):
    x = data.draw(rows(dtype))
    dy = data.draw(hnp.arrays(dtype, x.shape, elements=st.floats(-10, 10, width=32)))
    for temperature in (0.0, math.inf):
        got = vjp(tested, function, x, dy, temperature=temperature)
        np.testing.assert_array_equal(got, np.zeros_like(x))
