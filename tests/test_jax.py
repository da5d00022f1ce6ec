"""The JAX backend: jit, grad and vmap, float32 and float64, on the CPU."""

from __future__ import annotations

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
