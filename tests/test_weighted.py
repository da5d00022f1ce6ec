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
    # the torch backend differentiates it (below); a backend without weights of its own
    # computes on the host, which records no gradient, and says so
    assert pysoftmax.logsumexp(x.clone().requires_grad_(), b=x).requires_grad
    with pytest.raises(TypeError, match="gradients"):
        pysoftmax.logsumexp(x.clone().requires_grad_(), b=x, backend="array_api")


@pytest.mark.parametrize("chunks", [(2, 7), (4, 30)], ids=["reduced-axis-split", "whole-rows"])
def test_dask_stays_lazy_and_gives_the_c_cores_bits(chunks, monkeypatch):
    dask_array = pytest.importorskip("dask.array")
    from pysoftmax import _side_inputs

    x = RNG.normal(size=(4, 30)) * 20
    b = RNG.normal(size=(4, 30))
    x[0, 3], x[1, :] = np.inf, -np.inf
    b[2, 5:] = 0.0

    def no_host(*args, **kwargs):
        raise AssertionError("the weighted logsumexp of dask arrays went through the host")

    monkeypatch.setattr(_side_inputs, "weighted_logsumexp_on_host", no_host)
    value, sign = pysoftmax.logsumexp(
        dask_array.from_array(x, chunks=chunks),
        axis=-1,
        b=dask_array.from_array(b, chunks=chunks),
        return_sign=True,
    )
    assert isinstance(value, dask_array.Array) and isinstance(sign, dask_array.Array)
    monkeypatch.undo()
    want_value, want_sign = pysoftmax.logsumexp(x, axis=-1, b=b, return_sign=True)
    np.testing.assert_array_equal(np.asarray(value.compute()), want_value)
    np.testing.assert_array_equal(np.asarray(sign.compute()), want_sign)
    for r in (2, 3):
        exact, exact_sign = exact_log_abs_sum(x[r], b[r])
        assert float(want_sign[r]) == exact_sign
        assert abs(float(want_value[r]) - exact) <= 2 * float(np.spacing(abs(exact)))


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


def test_the_generic_methods_powers_of_two_are_frexps():
    # dd.binary_exponent and dd.times_power_of_two, which scale the weights (value and
    # gradient): against numpy's frexp and ldexp, subnormals and powers of two included.
    from pysoftmax import _double_double as dd

    tiny = np.nextafter(0.0, 1.0)
    values = np.array([tiny, 3 * tiny, 2.0**-1022, 0.5, 1.0, 1.5, 2.0**1023, np.finfo(float).max])
    # just below and above powers of two, where log2 rounds to the power's exponent
    powers = 2.0 ** np.arange(-1000.0, 1001.0, 77.0)
    values = np.concatenate([values, np.nextafter(powers, 0.0), np.nextafter(powers, np.inf)])
    values = np.concatenate(
        [values, np.abs(RNG.normal(size=50)) * 10.0 ** RNG.integers(-300, 300, 50)]
    )
    mantissa, exponent = np.frexp(values)
    np.testing.assert_array_equal(dd.binary_exponent(np, values), exponent)
    np.testing.assert_array_equal(
        dd.times_power_of_two(np, values, -exponent.astype(float)), mantissa
    )
    # exponents beyond the table of one power (2^1074 of the smallest subnormal)
    np.testing.assert_array_equal(
        dd.times_power_of_two(np, np.array([tiny]), np.array([1074.0])), [1.0]
    )
    np.testing.assert_array_equal(
        dd.times_power_of_two(np, np.array([np.finfo(float).max]), np.array([-2046.0])),
        [np.ldexp(np.finfo(float).max, -2046)],
    )


# ---- torch: differentiable in x and b, on the CPU (the C core) and off it (torch operations)

torch = pytest.importorskip("torch")

from pysoftmax._backends import array_api as array_api_backend  # noqa: E402
from pysoftmax._backends import c as c_backend  # noqa: E402
from pysoftmax._backends import torch as torch_backend  # noqa: E402


@pytest.fixture(params=["cpu", "device"])
def path(request, monkeypatch):
    """Each test twice: CPU tensors on the C core, and on the path of other devices (torch
    operations, no host round trip: the C core is not called)."""
    calls = []
    real_c, real_generic = c_backend.logsumexp, array_api_backend.weighted_logsumexp
    monkeypatch.setattr(c_backend, "logsumexp", lambda r: calls.append("c") or real_c(r))
    monkeypatch.setattr(
        array_api_backend,
        "weighted_logsumexp",
        lambda r: calls.append("device") or real_generic(r),
    )
    if request.param == "device":
        monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    yield request.param
    assert set(calls) == {"device" if request.param == "device" else "c"}


def exact_gradients(x, b):
    """(value, sign, dL/dx, dL/db) of L = log|sum(b exp(x))| at 60 digits (one row)."""
    return exact_gradients_and_cancellation(x, b)[:4]


def exact_gradients_and_cancellation(x, b):
    """exact_gradients, and the sum's cancellation sum(|terms|) / |sum(terms)|."""
    with mpmath.workdps(60):
        terms = [mpmath.mpf(float(w)) * mpmath.exp(float(v)) for v, w in zip(x, b, strict=True)]
        total = mpmath.fsum(terms)
        dx = [float(t / total) for t in terms]
        db = [float(mpmath.exp(float(v)) / total) for v in x]
        cancellation = float(mpmath.fsum(abs(t) for t in terms) / abs(total))
        return float(mpmath.log(abs(total))), (1.0 if total > 0 else -1.0), dx, db, cancellation


def grad_of_value(x, b, **options):
    x = x.clone().requires_grad_()
    b = b.clone().requires_grad_()
    value, sign = pysoftmax.logsumexp(x, b=b, return_sign=True, **options)
    assert value.requires_grad and not sign.requires_grad  # the sign is piecewise constant
    value.sum().backward()
    return value.detach(), sign, x.grad, b.grad


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_torch_gradients_against_mpmath(path, dtype):
    # Rows of several scales; weights of both signs (the sums cancel mildly), some zero.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 9)) * rng.choice([0.1, 3.0, 30.0, 300.0], size=(40, 1))
    b = rng.normal(size=(40, 9)) * rng.choice([1e-30, 1.0, 1e30], size=(40, 1))
    b[rng.random(b.shape) < 0.15] = 0.0
    numpy_dtype = np.float32 if dtype == torch.float32 else np.float64
    x, b = x.astype(numpy_dtype), b.astype(numpy_dtype)
    _, sign, dx, db = grad_of_value(torch.from_numpy(x), torch.from_numpy(b))
    assert dx.dtype == db.dtype == dtype
    for r in range(x.shape[0]):
        _, want_sign, want_dx, want_db, cancellation = exact_gradients_and_cancellation(x[r], b[r])
        assert float(sign[r]) == want_sign
        for got, want in ((dx[r].numpy(), want_dx), (db[r].numpy(), want_db)):
            want = np.array(want)
            if dtype == torch.float32:
                # computed in float64 and rounded once: within 1 ULP of float32
                ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
                allowed = 1.0
            else:
                # a few ULP, and the sum's rounding amplified by its cancellation (measured:
                # 9 ULP where it does not cancel, 62 where it does by 10)
                ulp = np.spacing(np.abs(want))
                allowed = 8 + x.shape[1] * cancellation
            error = np.abs(got.astype(np.float64) - want)
            assert np.all(error <= allowed * ulp), (r, error / ulp, allowed)


def test_torch_gradients_where_the_sum_cancels(path):
    # log(e^1 - e^(1 - d)): dL/dx = (e^1, -e^(1-d)) / (e^1 - e^(1-d)), huge for a small d,
    # and still accurate to the digits the value keeps (the C core's double-double sum).
    for d in (1e-3, 1e-6, 1e-9):
        x = torch.tensor([[1.0, 1.0 - d]], dtype=torch.float64)
        b = torch.tensor([[1.0, -1.0]], dtype=torch.float64)
        _, sign, dx, db = grad_of_value(x, b)
        _, want_sign, want_dx, want_db = exact_gradients(x[0].numpy(), b[0].numpy())
        assert float(sign[0]) == want_sign == 1.0
        np.testing.assert_allclose(dx[0].numpy(), want_dx, rtol=1e-15 / d)
        np.testing.assert_allclose(db[0].numpy(), want_db, rtol=1e-15 / d)


@pytest.mark.parametrize(
    ("axis", "keepdims", "b_shape"),
    [(-1, False, (3, 4, 5)), (0, True, (5,)), ((0, 2), False, (1, 4, 1)), (None, False, ())],
)
def test_torch_gradcheck_and_gradgradcheck(path, axis, keepdims, b_shape):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, 5, dtype=torch.float64, generator=generator, requires_grad=True)
    b = torch.randn(b_shape, dtype=torch.float64, generator=generator, requires_grad=True)

    def value(x, b):
        return pysoftmax.logsumexp(x, axis=axis, b=b, keepdims=keepdims, return_sign=True)[0]

    assert torch.autograd.gradcheck(value, (x, b))
    assert torch.autograd.gradgradcheck(value, (x, b))
    # positive weights without return_sign: the value alone
    positive = b.detach().abs().add(0.1).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x, b: pysoftmax.logsumexp(x, axis=axis, b=b, keepdims=keepdims), (x, positive)
    )


def test_torch_broadcast_weights_get_the_summed_gradient(path):
    x = torch.randn(4, 6, dtype=torch.float64)
    row = torch.linspace(-1.0, 2.0, 6, dtype=torch.float64)
    _, _, dx_full, db_full = grad_of_value(x, row.expand(4, 6).clone())
    _, _, dx, db = grad_of_value(x, row)
    assert db.shape == (6,)
    torch.testing.assert_close(dx, dx_full, rtol=0, atol=0)
    torch.testing.assert_close(db, db_full.sum(dim=0), rtol=1e-15, atol=0)


def test_torch_the_finite_gradient_rule(path):
    inf, nan = math.inf, math.nan
    x = torch.tensor(
        [
            [0.5, -inf, 2.0, inf, nan],  # -inf: out; inf and NaN with b == 0: out
            [-inf, -inf, -inf, -inf, -inf],  # an empty sum: -inf, gradient 0
            [1.0, 2.0, 3.0, 4.0, 5.0],  # every weight 0: -inf, gradient 0
            [1.0, 1.0, 0.0, 0.0, 0.0],  # cancelled exactly: -inf, gradient 0
            [inf, inf, 0.0, 1.0, -inf],  # +inf: the infinite terms share by their weights
            [nan, 1.0, 0.0, 0.0, -inf],  # NaN: NaN where a gradient is left
        ],
        dtype=torch.float64,
    )
    b = torch.tensor(
        [
            [2.0, 3.0, -1.0, 0.0, 0.0],
            [1.0, 1.0, 1.0, 1.0, 1.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
            [1.0, -1.0, 0.0, 0.0, 0.0],
            [1.0, 3.0, 2.0, 0.0, 5.0],
            [1.0, 1.0, 0.0, 0.0, 1.0],
        ],
        dtype=torch.float64,
    )
    x, b = x.requires_grad_(), b.requires_grad_()
    value, sign = pysoftmax.logsumexp(x, b=b, return_sign=True)
    assert value.detach()[1:4].tolist() == [-inf] * 3 and sign[1:4].tolist() == [0.0] * 3
    assert value.detach()[4] == inf and math.isnan(value.detach()[5])
    # an infinite upstream gradient: where the rule gives 0, it stays 0 (never 0 * inf)
    value.backward(torch.tensor([inf, inf, inf, inf, 1.0, 1.0], dtype=torch.float64))
    _, _, dx0, db0 = exact_gradients([0.5, 2.0], [2.0, -1.0])
    want_dx = [
        [inf * dx0[0], 0.0, inf * dx0[1], 0.0, 0.0],
        [0.0] * 5,
        [0.0] * 5,
        [0.0] * 5,
        [0.25, 0.75, 0.0, 0.0, 0.0],
        [nan, nan, 0.0, 0.0, 0.0],
    ]
    want_db = [
        [inf * db0[0], 0.0, inf * db0[1], 0.0, 0.0],
        [0.0] * 5,
        [0.0] * 5,
        [0.0] * 5,
        [0.25, 0.25, 0.0, 0.0, 0.0],
        [nan, nan, nan, nan, 0.0],
    ]
    torch.testing.assert_close(x.grad, torch.tensor(want_dx).double(), equal_nan=True)
    torch.testing.assert_close(b.grad, torch.tensor(want_db).double(), equal_nan=True)
    # ... and with a finite upstream gradient, db at b == 0 is the derivative e^x / S
    x0, b0 = torch.tensor([0.5, 2.0, 1.0]).double(), torch.tensor([2.0, -1.0, 0.0]).double()
    _, _, dx, db = grad_of_value(x0, b0)
    _, _, want_dx0, want_db0 = exact_gradients(x0.numpy(), b0.numpy())
    assert dx[2] == 0.0 and db[2] != 0.0
    np.testing.assert_allclose(dx.numpy(), want_dx0, rtol=1e-15)
    np.testing.assert_allclose(db.numpy(), want_db0, rtol=1e-15)


def test_torch_masks_keepdims_dtype_and_return_sign(path):
    x = torch.randn(3, 5, dtype=torch.float32)
    b = torch.rand(3, 5, dtype=torch.float32) + 0.5
    where = torch.tensor([True, False, True, True, False])
    xg, bg = x.clone().requires_grad_(), b.clone().requires_grad_()
    value = pysoftmax.logsumexp(xg, b=bg, where=where, keepdims=True, dtype=torch.float64)
    assert value.shape == (3, 1) and value.dtype == torch.float64
    value.sum().backward()
    assert xg.grad.dtype == bg.grad.dtype == torch.float32
    assert torch.all(xg.grad[:, ~where] == 0) and torch.all(bg.grad[:, ~where] == 0)
    kept = x[:, where].clone().requires_grad_()
    pysoftmax.logsumexp(kept, b=b[:, where], dtype=torch.float64).sum().backward()
    torch.testing.assert_close(xg.grad[:, where], kept.grad, rtol=0, atol=0)
    # without the sign, a negative sum is NaN, and its row gets no gradient
    xn = torch.tensor([[0.0, 1.0], [0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    plain = pysoftmax.logsumexp(xn, b=torch.tensor([[1.0, -1.0], [1.0, 1.0]]).double())
    assert math.isnan(plain.detach()[0]) and plain.requires_grad
    plain[1].backward()
    assert xn.grad[0].tolist() == [0.0, 0.0] and xn.grad[1].sum() == pytest.approx(1.0)
    # x alone requiring grad, and b alone
    only_b = b.clone().requires_grad_()
    pysoftmax.logsumexp(x, b=only_b).sum().backward()
    assert only_b.grad is not None and only_b.grad.shape == b.shape
    with torch.no_grad():
        assert not pysoftmax.logsumexp(xg, b=bg).requires_grad


def test_torch_the_device_path_gives_the_c_cores_values(monkeypatch):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(200, 30)) * rng.choice([1.0, 30.0, 300.0], size=(200, 1))
    b = rng.normal(size=(200, 30)) * rng.choice([1e-30, 1.0, 1e30], size=(200, 1))
    b[rng.random(b.shape) < 0.1] = 0.0
    x[rng.random(x.shape) < 0.05] = -np.inf
    x[0, 0], x[1, 2], b[2, 3] = np.nan, np.inf, np.inf
    # sums that cancel: e^t - e^(t - d), down to d = 1e-12 (the C core's promise: 2^40)
    d = np.logspace(-12, -1, 30)
    x[3:33, :2], b[3:33, :2] = np.stack([np.full(30, 2.0), 2.0 - d], axis=1), [1.0, -1.0]
    x[3:33, 2:] = -np.inf
    for dtype in (np.float32, np.float64):
        tx, tb = torch.from_numpy(x.astype(dtype)), torch.from_numpy(b.astype(dtype))
        want = pysoftmax.logsumexp(x.astype(dtype), b=b.astype(dtype), return_sign=True)
        monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
        got = pysoftmax.logsumexp(tx, b=tb, return_sign=True)
        monkeypatch.undo()
        for g, w in zip(got, want, strict=True):
            assert g.dtype == tx.dtype
            # the same method; the sums' order differs, and with it (rarely) the last bit
            np.testing.assert_array_equal(g.numpy(), w)


def test_torch_the_device_path_sums_long_rows_that_cancel_as_the_c_core_does(monkeypatch):
    # 4000 terms whose sum cancels by 2^28 to 2^42: the last weight nearly undoes the others
    rng = np.random.default_rng(5)
    x, b = rng.normal(size=(8, 4000)), rng.normal(size=(8, 4000))
    for r in range(8):
        pairs = zip(x[r, :-1], b[r, :-1], strict=True)
        others = math.fsum(float(w) * math.exp(float(v)) for v, w in pairs)
        b[r, -1] = -others * (1 - 2.0 ** -(28 + 2 * r)) / math.exp(float(x[r, -1]))
    want = pysoftmax.logsumexp(x, b=b, return_sign=True)
    monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    got = pysoftmax.logsumexp(torch.from_numpy(x), b=torch.from_numpy(b), return_sign=True)
    np.testing.assert_array_equal(got[0].numpy(), want[0])
    np.testing.assert_array_equal(got[1].numpy(), want[1])


def test_torch_the_device_path_stays_on_the_device(monkeypatch):
    # Every array it makes lives where x does (the meta device: no value is ever computed).
    monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    x = torch.empty(3, 4, device="meta")
    value, sign = torch_backend._weighted_forward(x, torch.empty(3, 4, device="meta"), (1,))
    assert value.device.type == sign.device.type == "meta" and value.shape == (3, 1)


def test_torch_16_bit_inputs_get_gradients_in_their_dtype(path):
    data = torch.randn(3, 8) * 3
    weights = torch.linspace(-1.0, 2.0, 8)
    for dtype in (torch.float16, torch.bfloat16):
        half = data.to(dtype).requires_grad_()
        single = data.to(dtype).float().requires_grad_()
        y_half = pysoftmax.logsumexp(half, b=weights.to(dtype), return_sign=True)[0]
        y_single = pysoftmax.logsumexp(single, b=weights.to(dtype).float(), return_sign=True)[0]
        assert y_half.dtype == dtype
        torch.testing.assert_close(y_half, y_single.to(dtype), rtol=0, atol=0)
        y_half.float().sum().backward()
        y_single.sum().backward()
        assert half.grad.dtype == dtype
        torch.testing.assert_close(half.grad, single.grad.to(dtype), rtol=0, atol=0)


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted"])
@pytest.mark.parametrize("grad_on", ["x", "b"])
def test_out_refuses_a_tensor_that_records_gradients(weighted, grad_on):
    """out= is written outside autograd, so a result that should record gradients refuses it."""
    torch = pytest.importorskip("torch")
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=grad_on == "x")
    b = torch.rand(3, 5, dtype=torch.float64, requires_grad=grad_on == "b")
    out = torch.empty(3, dtype=torch.float64)
    kwargs = {"b": b} if weighted else {}
    if grad_on == "b" and not weighted:
        pysoftmax.logsumexp(x, axis=-1, out=out)  # nothing records gradients: allowed
        expected = torch.logsumexp(x, dim=-1)
        assert torch.allclose(out, expected, rtol=1e-15, atol=0)
        return
    with pytest.raises(TypeError, match=f"out= does not record gradients: {grad_on} requires"):
        pysoftmax.logsumexp(x, axis=-1, out=out, **kwargs)
