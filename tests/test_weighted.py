"""logsumexp's ``b=`` and ``return_sign=``: the forms, SciPy's conventions, cancellation.

The values on every backend are the conformance suite's (mpmath); here the
API: shapes, axes, keepdims, masks, out=, dtype=, what SciPy does, the sums
that cancel, and the errors.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import pysoftmax

RNG = np.random.default_rng(8)


def exact_log_abs_sum(x, b):
    with mpmath.workdps(200):
        total = mpmath.fsum(
            mpmath.mpf(float(w)) * mpmath.exp(float(v)) for v, w in zip(x, b, strict=True)
        )
        return float(mpmath.log(abs(total))), (1.0 if total > 0 else -1.0 if total < 0 else 0.0)


def test_against_mpmath_along_every_axis_with_keepdims():
    x = RNG.normal(size=(3, 4, 5)) * 5
    b = RNG.normal(size=(3, 4, 5))
    for axis in (0, 1, 2, -1):
        value, sign = pysoftmax.logsumexp(x, axis=axis, b=b, return_sign=True, keepdims=True)
        moved_x, moved_b = np.moveaxis(x, axis, -1), np.moveaxis(b, axis, -1)
        expected_shape = list(x.shape)
        expected_shape[axis] = 1
        assert value.shape == tuple(expected_shape) == sign.shape
        for index in np.ndindex(moved_x.shape[:-1]):
            want, want_sign = exact_log_abs_sum(moved_x[index], moved_b[index])
            got = np.moveaxis(value, axis, -1)[index][0]
            assert np.moveaxis(sign, axis, -1)[index][0] == want_sign
            assert abs(got - want) <= 2 * np.spacing(max(abs(want), np.max(moved_x[index])))


def test_scipys_conventions():
    x = np.array([[1.0, 2.0], [3.0, 3.0], [0.0, 5.0]])
    b = np.array([[1.0, -1.0], [1.0, -1.0], [0.0, 2.0]])
    value, sign = pysoftmax.logsumexp(x, b=b, return_sign=True)
    np.testing.assert_array_equal(sign, [-1.0, 0.0, 1.0])
    assert value[1] == -math.inf  # an exactly cancelled sum: log 0
    # without the sign, a negative sum is NaN (SciPy returns NaN there too)
    plain = pysoftmax.logsumexp(x, b=b)
    assert math.isnan(plain[0]) and plain[1] == -math.inf
    assert plain[2] == pytest.approx(5.0 + math.log(2.0), rel=1e-15)
    scipy = pytest.importorskip("scipy.special")
    with np.errstate(divide="ignore"):
        their_value, their_sign = scipy.logsumexp(x, axis=-1, b=b, return_sign=True)
    np.testing.assert_array_equal(sign, their_sign)
    np.testing.assert_allclose(value[[0, 2]], their_value[[0, 2]], rtol=1e-15)


def test_a_sum_that_cancels_keeps_its_digits():
    # log(e^1 - e^(1 - d)) = 1 + log(-expm1(-d)): SciPy loses digits as d shrinks, we do not
    for d in (1e-3, 1e-8, 1e-11):
        x = np.array([1.0, 1.0 - d])
        want, _ = exact_log_abs_sum(x, [1.0, -1.0])
        got = float(pysoftmax.logsumexp(x, b=np.array([1.0, -1.0])))
        assert abs(got - want) <= 2 * np.spacing(abs(want)), (d, got, want)


def test_weights_broadcast_mask_and_scale():
    x = RNG.normal(size=(4, 6))
    b = np.linspace(-1, 2, 6)  # one weight per column
    full = np.broadcast_to(b, x.shape).copy()
    np.testing.assert_array_equal(pysoftmax.logsumexp(x, b=b), pysoftmax.logsumexp(x, b=full))
    where = RNG.random(x.shape) < 0.5
    np.testing.assert_array_equal(
        pysoftmax.logsumexp(x, b=b, where=where), pysoftmax.logsumexp(x, b=np.where(where, full, 0))
    )
    # unit weights are plain logsumexp; huge weights do not overflow
    np.testing.assert_array_equal(pysoftmax.logsumexp(x, b=1.0), pysoftmax.logsumexp(x))
    big = pysoftmax.logsumexp(x, b=1e300)
    np.testing.assert_allclose(big, pysoftmax.logsumexp(x) + math.log(1e300), rtol=1e-15)


def test_return_sign_alone_and_special_rows():
    x = np.array([[0.0, 1.0], [-np.inf, -np.inf], [np.nan, 0.0], [np.inf, 0.0]])
    value, sign = pysoftmax.logsumexp(x, return_sign=True)
    np.testing.assert_array_equal(value[[0, 1, 3]], pysoftmax.logsumexp(x[[0, 1, 3]]))
    np.testing.assert_array_equal(sign[[0, 1, 3]], [1.0, 0.0, 1.0])
    assert math.isnan(value[2]) and math.isnan(sign[2])
    empty_value, empty_sign = pysoftmax.logsumexp(np.empty((2, 0)), return_sign=True)
    np.testing.assert_array_equal(empty_value, [-np.inf, -np.inf])
    np.testing.assert_array_equal(empty_sign, [0.0, 0.0])
    zero_d = pysoftmax.logsumexp(np.float64(2.0), b=-3.0, return_sign=True)
    assert float(zero_d[0]) == pytest.approx(2.0 + math.log(3.0)) and float(zero_d[1]) == -1.0


def test_out_and_dtype_and_float32():
    x = RNG.normal(size=(3, 5)).astype(np.float32)
    b = RNG.uniform(0.5, 2.0, size=(3, 5)).astype(np.float32)
    out = np.empty(3, np.float32)
    assert pysoftmax.logsumexp(x, b=b, out=out) is out
    wide = pysoftmax.logsumexp(x, b=b, dtype=np.float64)
    assert wide.dtype == np.float64
    np.testing.assert_allclose(out, wide, rtol=2**-23)
    for r in range(3):
        want, _ = exact_log_abs_sum(x[r], b[r])
        assert abs(float(out[r]) - want) <= 2 * float(np.spacing(np.float32(abs(want))))


def test_other_libraries_get_their_own_arrays_back():
    torch = pytest.importorskip("torch")
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    value, sign = pysoftmax.logsumexp(
        x, b=torch.tensor([1.0, -1.0, 1.0]).double(), return_sign=True
    )
    assert isinstance(value, torch.Tensor) and isinstance(sign, torch.Tensor)
    want, want_sign = exact_log_abs_sum([1.0, 2.0, 3.0], [1.0, -1.0, 1.0])
    assert float(value[0]) == pytest.approx(want, rel=1e-15) and float(sign[0]) == want_sign
    with pytest.raises(TypeError, match="gradients"):
        pysoftmax.logsumexp(x.clone().requires_grad_(), b=x)
    dask_array = pytest.importorskip("dask.array")
    lazy = pysoftmax.logsumexp(dask_array.from_array(x.numpy()), b=[1.0, -1.0, 1.0])
    assert float(np.asarray(lazy.compute())[0]) == pytest.approx(want, rel=1e-15)


def test_jax_arrays_eagerly_and_under_jit():
    # (the JAX backend's own weighted path: gradients and vmap in tests/test_jax.py)
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    value = pysoftmax.logsumexp(jnp.asarray([1.0, 2.0]), b=jnp.asarray([1.0, 1.0]))
    assert float(value) == pytest.approx(math.log(math.e + math.e**2), rel=1e-6)
    jitted = jax.jit(lambda v: pysoftmax.logsumexp(v, b=jnp.ones(2)))(jnp.asarray([1.0, 2.0]))
    assert float(jitted) == float(value)


@pytest.mark.parametrize(
    ("kwargs", "error", "named"),
    [
        ({"b": np.ones(4)}, ValueError, "b"),
        ({"b": np.ones((2, 2, 3))}, ValueError, "b"),
        ({"b": np.array([1j, 1, 1])}, TypeError, "b"),
        ({"b": ["a", "b", "c"]}, TypeError, "b"),
        ({"return_sign": 1}, TypeError, "return_sign"),
        ({"b": np.ones(3), "out": np.empty(3)}, ValueError, "out"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, named):
    with pytest.raises(error, match=named):
        pysoftmax.logsumexp(np.ones((2, 3)), **kwargs)
