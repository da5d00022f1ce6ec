"""The JAX backend: jit, grad and vmap, float32 and float64, on the CPU."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import pysoftmax

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)

FUNCTIONS = ["softmax", "log_softmax", "logsumexp"]


def _data(dtype=np.float64) -> np.ndarray:
    return np.random.default_rng(8).normal(scale=4.0, size=(3, 4, 5)).astype(dtype)


def _call(function, x, **kwargs):
    return getattr(pysoftmax, function)(x, **kwargs)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [-1, 0, (0, 2), None])
def test_equal_to_the_c_core_eagerly_and_under_jit(function, dtype, axis):
    data = _data(dtype)
    kwargs = {"axis": axis} if function == "logsumexp" else {"axis": axis, "temperature": 0.37}
    expected = _call(function, data, **kwargs)
    eager = _call(function, jnp.asarray(data), **kwargs)
    jitted = jax.jit(lambda v: _call(function, v, **kwargs))(jnp.asarray(data))
    for result in (eager, jitted):
        assert isinstance(result, jax.Array) and result.dtype == dtype
        np.testing.assert_array_equal(np.asarray(result), expected)


def test_subnormal_results_survive_xla():
    # XLA runs its threads with flush-to-zero; the C core turns it off for its call.
    data = np.array([0.0, -740.0, -745.0])
    result = jax.jit(pysoftmax.softmax)(jnp.asarray(data))
    np.testing.assert_array_equal(
        np.asarray(result).view(np.uint64), pysoftmax.softmax(data).view(np.uint64)
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_vmap_equals_a_loop(function):
    data = _data()
    batched = jax.vmap(lambda v: _call(function, v, axis=0))(jnp.asarray(data))
    looped = np.stack([_call(function, row, axis=0) for row in data])
    np.testing.assert_array_equal(np.asarray(batched), looped)


@pytest.mark.parametrize("temperature", [1.0, 0.37, 6.5])
@pytest.mark.parametrize("axis", [-1, 0, (0, 2)])
def test_gradients_match_jax_nn(temperature, axis):
    x = jnp.asarray(_data())
    weights = jnp.asarray(np.random.default_rng(9).normal(size=x.shape))

    def ours(v, function):
        return jnp.sum(weights * _call(function, v, axis=axis, temperature=temperature))

    def theirs(v, function):
        return jnp.sum(weights * getattr(jax.nn, function)(v / temperature, axis=axis))

    for function in ("softmax", "log_softmax"):
        np.testing.assert_allclose(
            jax.grad(ours)(x, function), jax.grad(theirs)(x, function), rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(
            jax.jit(jax.grad(ours), static_argnums=1)(x, function),
            jax.grad(theirs)(x, function),
            rtol=1e-12,
            atol=1e-14,
        )


@pytest.mark.parametrize("axis", [-1, (0, 2), None])
def test_logsumexp_gradient_is_softmax(axis):
    x = jnp.asarray(_data())
    gradient = jax.grad(lambda v: jnp.sum(pysoftmax.logsumexp(v, axis=axis)))(x)
    expected = jax.grad(lambda v: jnp.sum(jax.scipy.special.logsumexp(v, axis=axis)))(x)
    np.testing.assert_allclose(gradient, expected, rtol=1e-13, atol=1e-15)


def test_jvp_and_vjp_agree():
    x = jnp.asarray(_data()[0])
    tangent = jnp.asarray(np.random.default_rng(10).normal(size=x.shape))
    cotangent = jnp.asarray(np.random.default_rng(11).normal(size=x.shape))

    def function(v):
        return pysoftmax.log_softmax(v, temperature=0.37)

    _, jvp = jax.jvp(function, (x,), (tangent,))
    _, vjp = jax.vjp(function, x)
    # <cotangent, J tangent> == <J^T cotangent, tangent>
    np.testing.assert_allclose(
        jnp.sum(cotangent * jvp), jnp.sum(vjp(cotangent)[0] * tangent), rtol=1e-12
    )


@pytest.mark.parametrize("temperature", [0.0, np.inf])
def test_the_temperature_limits_have_zero_gradient(temperature):
    x = jnp.asarray(_data()[0])
    gradient = jax.grad(lambda v: jnp.sum(pysoftmax.softmax(v, temperature=temperature)[0]))(x)
    np.testing.assert_array_equal(gradient, np.zeros(x.shape))


def test_float16_and_integers():
    x16 = jnp.asarray(np.array([0.5, -2.0, 3.0], dtype=np.float16))
    assert pysoftmax.softmax(x16).dtype == jnp.float16
    assert jax.jit(pysoftmax.softmax)(jnp.arange(4)).dtype == jnp.float64


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_vmap_with_one_temperature_per_row_mapped_or_not(function):
    # vmap hands the callback a leading axis of size 1 for an operand it does not map: the
    # temperatures (x mapped) or x (the temperatures mapped) are broadcast to the batch.
    rng = np.random.default_rng(12)
    x = jnp.asarray(rng.normal(size=(4, 3, 6)))
    temperatures = jnp.asarray(rng.uniform(0.2, 4.0, size=(4, 3, 1)))
    fixed_x = jax.vmap(lambda t: _call(function, x[0], temperature=t))(temperatures)
    fixed_t = jax.vmap(lambda v: _call(function, v, temperature=temperatures[0]))(x)
    for batched, xs, ts in (
        (fixed_x, [x[0]] * 4, temperatures),
        (fixed_t, x, [temperatures[0]] * 4),
    ):
        looped = [
            _call(function, np.asarray(v), temperature=np.asarray(t))
            for v, t in zip(xs, ts, strict=True)
        ]
        np.testing.assert_array_equal(np.asarray(batched), np.stack(looped))


@pytest.mark.parametrize("function", ["softmax", "log_softmax", "logsumexp"])
def test_gradients_of_zero_rows_and_float16(function):
    assert jax.grad(lambda v: jnp.sum(_call(function, v)))(jnp.zeros((0, 5))).shape == (0, 5)
    x16 = jnp.asarray(np.array([0.5, -2.0, 3.0], dtype=np.float16))
    grad16 = jax.grad(lambda v: jnp.ravel(_call(function, v))[0])(x16)
    grad64 = jax.grad(lambda v: jnp.ravel(_call(function, v))[0])(x16.astype(jnp.float64))
    assert grad16.dtype == jnp.float16
    np.testing.assert_allclose(np.asarray(grad16, dtype=np.float64), grad64, rtol=2e-3, atol=1e-4)


# ---- logsumexp with weights (b=, return_sign=True) -------------------------------------------


def _exact_weighted(x, b):
    """log|S|, sign(S) and the exact gradients dL/dx = b exp(x) / S, dL/db = exp(x) / S."""
    with mpmath.workdps(60):
        terms = [mpmath.mpf(float(w)) * mpmath.exp(float(v)) for v, w in zip(x, b, strict=True)]
        total = mpmath.fsum(terms)
        if total == 0:
            return -math.inf, 0.0, np.zeros(len(x)), np.zeros(len(x))
        gx = [float(t / total) for t in terms]
        gb = [float(mpmath.exp(float(v)) / total) for v in x]
        return float(mpmath.log(abs(total))), float(mpmath.sign(total)), np.array(gx), np.array(gb)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [-1, 0, None])
def test_weighted_logsumexp_values_equal_the_c_core_under_jit_and_vmap(dtype, axis):
    rng = np.random.default_rng(13)
    x = (rng.normal(size=(4, 5)) * 3).astype(dtype)
    b = rng.normal(size=(4, 5)).astype(dtype)
    kwargs = {"axis": axis, "return_sign": True}
    want = pysoftmax.logsumexp(x, b=b, **kwargs)
    for got in (
        pysoftmax.logsumexp(jnp.asarray(x), b=jnp.asarray(b), **kwargs),
        jax.jit(lambda v, w: pysoftmax.logsumexp(v, b=w, **kwargs))(jnp.asarray(x), b),
    ):
        for array, expected in zip(got, want, strict=True):
            assert isinstance(array, jax.Array) and array.dtype == dtype
            np.testing.assert_array_equal(np.asarray(array), expected)

    def signed(v, w):
        return pysoftmax.logsumexp(v, b=w, return_sign=True)

    # both mapped, the weights unmapped, x unmapped
    for xs, bs in ((x, b), (x, b[0]), (x[0], b)):
        in_axes = (0 if xs.ndim == 2 else None, 0 if bs.ndim == 2 else None)
        value, sign = jax.vmap(signed, in_axes=in_axes)(jnp.asarray(xs), jnp.asarray(bs))
        want_value, want_sign = signed(np.broadcast_to(xs, x.shape), np.broadcast_to(bs, x.shape))
        np.testing.assert_array_equal(np.asarray(value), want_value)
        np.testing.assert_array_equal(np.asarray(sign), want_sign)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weighted_logsumexp_gradients_against_mpmath(dtype):
    # rows of mixed signs, a -inf entry, a 0 weight at a NaN entry (left out: value and
    # gradient ignore it), a row that cancels to 0 exactly and a row with nothing in it
    rng = np.random.default_rng(14)
    x = (rng.normal(size=(6, 5)) * 2).astype(dtype)
    b = rng.normal(size=(6, 5)).astype(dtype)
    x[1, 2] = -np.inf
    x[2, 0], b[2, 0] = np.nan, 0.0
    x[3], b[3] = [1.0, 1.0, 0.0, 0.0, 0.0], [2.0, -2.0, 0.0, 0.0, 0.0]
    x[4] = -np.inf

    def loss(v, w):
        value, sign = pysoftmax.logsumexp(v, b=w, return_sign=True)
        return jnp.sum(jnp.where(jnp.isfinite(value), value, 0.0) * (1 + sign))

    for gradient in (jax.grad(loss, (0, 1)), jax.jit(jax.grad(loss, (0, 1)))):
        gx, gb = (np.asarray(g) for g in gradient(jnp.asarray(x), jnp.asarray(b)))
        assert (
            gx.dtype == dtype and np.isfinite(gx).all() and np.isfinite(gb[[0, 1, 3, 4, 5]]).all()
        )
        for r in range(6):
            value, sign, want_x, want_b = _exact_weighted(x[r].astype(float), b[r].astype(float))
            if r == 2:  # x[2, 0] is NaN: d/db there is NaN (moving b from 0 brings it in)
                assert math.isnan(gb[2, 0]) and gx[2, 0] == 0
                value, sign, want_x, want_b = _exact_weighted(x[r, 1:].astype(float), b[r, 1:])
                want_x, want_b = np.r_[0.0, want_x], np.r_[gb[2, 0], want_b]
            factor = (1 + sign) if math.isfinite(value) else 0.0
            tolerance = 1e-5 if dtype == np.float32 else 1e-13
            bound = tolerance * (np.abs(want_x).sum() + 1) * abs(factor)
            np.testing.assert_allclose(gx[r], factor * want_x, rtol=0, atol=bound, err_msg=r)
            bound = tolerance * (np.abs(want_b).sum() + 1) * abs(factor)
            if r != 2:
                np.testing.assert_allclose(gb[r], factor * want_b, rtol=0, atol=bound, err_msg=r)
        assert (gx[3] == 0).all() and (gx[4] == 0).all() and gx[1, 2] == 0  # the rule


def test_weighted_logsumexp_second_derivatives_vmap_and_masks():
    rng = np.random.default_rng(15)
    x = jnp.asarray(rng.normal(size=(3, 4)))
    b = jnp.asarray(rng.uniform(0.2, 2.0, size=(3, 4)))
    keep = jnp.asarray(rng.random(size=(3, 4)) > 0.3)

    def ours(v, w):
        return jnp.sum(pysoftmax.logsumexp(v, b=w, where=keep))

    def theirs(v, w):
        return jnp.sum(jax.scipy.special.logsumexp(v, axis=-1, b=jnp.where(keep, w, 0.0)))

    for transform in (jax.hessian, jax.jacfwd, jax.jacrev):
        for argnums in (0, 1):
            got = np.asarray(transform(ours, argnums)(x, b))
            np.testing.assert_allclose(got, transform(theirs, argnums)(x, b), atol=1e-13)
    gradient = jax.grad(ours, (0, 1))(x, b)
    assert all((np.asarray(g)[~np.asarray(keep)] == 0).all() for g in gradient)
    batched = jax.vmap(jax.grad(ours), in_axes=(0, None))(jnp.stack([x, 2 * x]), b)
    np.testing.assert_allclose(batched[1], jax.grad(ours)(2 * x, b), rtol=1e-15)
    # a NaN tangent at an entry left out (masked, b == 0 or -inf) stays there
    tangent = jnp.where(keep, 1.0, jnp.nan)
    _, forward = jax.jvp(lambda v: ours(v, b), (x,), (tangent,))
    assert np.isfinite(forward)


# ---- derivatives in the temperature --------------------------------------------------------

TEMPERATURE_X = np.array([[1.0, 2.0, 3.0, -0.5], [0.5, -1.0, -30.0, 4.0], [2.0, 2.0, 1.0, 0.0]])
TEMPERATURE_W = np.array([[0.3, -1.0, 2.0, 0.5], [1.0, 0.7, 0.2, -0.4], [0.1, 0.2, 0.3, 0.4]])


def _exact_temperature_derivative(function, x, w, t):
    """d/dT of sum(w * f(x / T)) for each row, by mpmath (central differences at 60 digits)."""
    mpmath.mp.dps = 60

    def value(row, weights, temperature):
        z = [mpmath.mpf(v) / temperature for v in row]
        top = max(z)
        total = mpmath.fsum(mpmath.exp(v - top) for v in z)
        if function == "softmax":
            out = [mpmath.exp(v - top) / total for v in z]
        else:
            out = [v - top - mpmath.log(total) for v in z]
        return mpmath.fsum(mpmath.mpf(c) * o for c, o in zip(weights, out, strict=True))

    step = mpmath.mpf(10) ** -25
    return [
        float((value(r, c, mpmath.mpf(t) + step) - value(r, c, mpmath.mpf(t) - step)) / (2 * step))
        for r, c in zip(x.tolist(), w.tolist(), strict=True)
    ]


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_grad_in_the_temperature(function):
    x, w = jnp.asarray(TEMPERATURE_X), jnp.asarray(TEMPERATURE_W)

    def loss(t):
        return jnp.sum(w * getattr(pysoftmax, function)(x, temperature=t), axis=-1)

    for t in (0.7, 2.5):
        per_row = jax.jacfwd(loss)(jnp.full((3, 1), t))[:, :, 0].diagonal()
        exact = _exact_temperature_derivative(function, TEMPERATURE_X, TEMPERATURE_W, t)
        np.testing.assert_allclose(np.asarray(per_row), exact, rtol=1e-13, atol=1e-15)
        total = jax.grad(lambda t: jnp.sum(loss(t)))(t)  # one temperature for every row
        np.testing.assert_allclose(float(total), sum(exact), rtol=1e-13)
        jitted = jax.jit(jax.grad(lambda t: jnp.sum(loss(t))))(t)
        np.testing.assert_allclose(float(jitted), sum(exact), rtol=1e-13)
        reverse = jax.grad(lambda t: jnp.sum(loss(t)))(jnp.full((3, 1), t))[:, 0]
        np.testing.assert_allclose(np.asarray(reverse), exact, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_the_temperature_derivative_is_finite_and_second_order_works(function):
    x = jnp.asarray(TEMPERATURE_X).at[0, 1].set(-jnp.inf)  # an entry left out: no NaN
    w = jnp.asarray(TEMPERATURE_W)

    def loss(t):
        y = getattr(pysoftmax, function)(x, temperature=t)
        return jnp.sum(jnp.where(jnp.isfinite(y), w * y, 0.0))

    gradient = float(jax.grad(loss)(0.9))
    assert math.isfinite(gradient)
    finite = TEMPERATURE_X.copy()
    finite[0, 1] = -1e4  # the same row to every digit (its entry's exp is 0)
    weights = TEMPERATURE_W.copy()
    weights[0, 1] = 0.0
    assert gradient == pytest.approx(
        sum(_exact_temperature_derivative(function, finite, weights, 0.9)), rel=1e-12
    )
    for limit in (0.0, math.inf):  # locally constant there
        assert float(jax.grad(loss)(limit)) == 0.0
    reference = jax.hessian(
        lambda t: jnp.sum(w * getattr(jax.nn, function)(jnp.asarray(TEMPERATURE_X) / t))
    )(0.9)
    ours = jax.hessian(
        lambda t: jnp.sum(
            w * getattr(pysoftmax, function)(jnp.asarray(TEMPERATURE_X), temperature=t)
        )
    )(0.9)
    np.testing.assert_allclose(float(ours), float(reference), rtol=1e-10)
    batched = jax.vmap(jax.grad(loss))(jnp.asarray([0.5, 2.0]))
    np.testing.assert_array_equal(
        np.asarray(batched), [float(jax.grad(loss)(0.5)), float(jax.grad(loss)(2.0))]
    )
