"""Gradients: the C core's backward kernels against mpmath, and the finite-gradient rule.

The kernels (``psm_*_backward_*``) are checked through cffi against the
exact formula at 256 bits (:mod:`conformance.reference`); torch's backward
on its three paths (the C kernels on the CPU, torch operations off it and
under ``create_graph``) and JAX's JVP rule against each other, against
torch's and JAX's own derivatives and finite differences; and on every path,
the rule: entries with probability 0 get exactly 0, whatever the upstream
gradient holds there, and a logsumexp row of only -inf gets 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pysoftmax
from conformance import reference
from pysoftmax._backends import _backward

_core = pytest.importorskip("pysoftmax._core")

TEMPERATURES = [1.0, 0.37, 6.5, 1e-3, 1e3]


def kernel(function: str, y: np.ndarray, dy: np.ndarray, temperature: float) -> np.ndarray:
    """``psm_<function>_backward_<f32|f64>`` on contiguous rows (the last axis)."""
    ffi, lib = _core.ffi, _core.lib
    ctype = "float *" if y.dtype == np.float32 else "double *"
    suffix = "f32" if y.dtype == np.float32 else "f64"
    y, dy = np.ascontiguousarray(y), np.ascontiguousarray(dy, dtype=y.dtype)
    dx = np.empty_like(y)
    status = getattr(lib, f"psm_{function}_backward_{suffix}")(
        ffi.from_buffer(ctype, y),
        ffi.from_buffer(ctype, dy),
        ffi.from_buffer(ctype, dx),
        y.size // y.shape[-1],
        y.shape[-1],
        temperature,
    )
    assert status == 0
    return dx


def exact_vjp(function: str, y: np.ndarray, dy: np.ndarray, temperature: float):
    vjp = reference.softmax_vjp if function == "softmax" else reference.log_softmax_vjp
    return vjp([float(v) for v in y], [float(g) for g in dy], temperature)


def condition(function: str, y: np.ndarray, dy: np.ndarray, i: int) -> float:
    """How much dy - sum(dy y) (dy - exp(y) sum(dy)) cancels at entry i (1: not at all)."""
    if function == "softmax":
        counted = y != 0
        terms = np.abs(dy[counted].astype(float) * y[counted])
        s = math.fsum(float(g) * float(v) for g, v in zip(dy[counted], y[counted], strict=True))
        cancel = abs(float(dy[i]) - s)
        return (abs(float(dy[i])) + terms.sum()) / cancel if cancel else math.inf
    counted = y != -np.inf
    total = math.fsum(float(g) for g in dy[counted])
    e = math.exp(float(y[i]))
    cancel = abs(float(dy[i]) - e * total)
    return (abs(float(dy[i])) + e * np.abs(dy[counted]).sum()) / cancel if cancel else math.inf


# ---- the kernels, through the C ABI ----------------------------------------------------------


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_kernels_are_within_one_ulp_of_the_exact_gradient(function, dtype):
    # Where dy - s does not cancel (condition <= 2) the result is within 1 ULP of the
    # exact derivative of the given y and dy; with cancellation the bound grows with it.
    rng = np.random.default_rng(12)
    forward = getattr(pysoftmax, function)
    checked = worst = 0
    for n in (1, 2, 7, 33, 100):
        for temperature in TEMPERATURES:
            for scale in (0.1, 3.0, 40.0):
                x = (rng.normal(size=n) * scale).astype(dtype)
                if n > 3:
                    x[::4] = -np.inf  # entries that do not count
                    x[1] = 0.0
                y = np.asarray(forward(x, temperature=temperature))
                dy = rng.normal(size=n).astype(dtype)
                got = kernel(function, y, dy, temperature)
                t = float(np.asarray(temperature, dtype=dtype))  # the kernel's own T
                for i, exact in enumerate(exact_vjp(function, y, dy, t)):
                    want = reference.round_to_dtype(exact, dtype)
                    distance = reference.ulp_distance(float(got[i]), want, dtype)
                    c = condition(function, y, dy, i) if want != 0 else 1.0
                    if c <= 2:
                        worst = max(worst, distance)
                        checked += 1
                        assert distance <= 1, (n, temperature, scale, i, got[i], want)
                    elif function == "softmax" or dtype == np.float32:
                        assert distance <= 1 + c * 2.0**-20, (n, temperature, i, c)
    assert checked > 1000 and worst <= 1


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_gradients_keep_their_digits(function, dtype):
    # The gradient of -log p_t: -1 at the target, so log_softmax's dx there is p_t - 1,
    # which cancels when p_t is near 1; float32 keeps its digits to 1 ULP through a
    # cancellation of 2^20 (its exp is good to 2^-49).  torch's float32 exp is not.
    for gap in (2.0**-k for k in (3, 10, 18)):
        x = np.array([0.0, math.log(gap), math.log(gap) - 1.0], dtype=dtype)
        y = np.asarray(getattr(pysoftmax, function)(x))
        dy = np.zeros(3, dtype=dtype)
        dy[0] = -1.0 if function == "log_softmax" else -1.0 / float(y[0])
        got = kernel(function, y, dy, 1.0)
        want = reference.round_to_dtype(exact_vjp(function, y, dy, 1.0)[0], dtype)
        bound = 1 if dtype == np.float32 or function == "softmax" else 4
        assert reference.ulp_distance(float(got[0]), want, dtype) <= bound, (gap, got[0], want)


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_kernels_follow_the_finite_gradient_rule(function, dtype):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 50)).astype(dtype)
    x[:, ::3] = -np.inf
    y = np.asarray(getattr(pysoftmax, function)(x, temperature=0.5))
    masked = y == 0 if function == "softmax" else y == -np.inf
    clean = rng.normal(size=x.shape).astype(dtype)
    clean[masked] = 0.0
    expected = kernel(function, y, clean, 0.5)
    for poison in (np.nan, np.inf, -np.inf):
        dy = clean.copy()
        dy[masked] = poison
        got = kernel(function, y, dy, 0.5)
        assert np.all(np.isfinite(got))
        np.testing.assert_array_equal(got, expected)
        assert not np.signbit(got[masked]).any() and not got[masked].any()  # +0 exactly


def test_c_vjp_reads_any_layout_and_gives_the_same_bits_on_any_thread_count():
    rng = np.random.default_rng(4)
    y = np.asarray(pysoftmax.softmax(rng.normal(size=(600, 2048)).astype(np.float32)))
    dy = rng.normal(size=y.shape).astype(np.float32)
    one = _backward.c_vjp("softmax", y, dy, (1,), 1.0, threads=1)
    two = _backward.c_vjp("softmax", y, dy, (1,), 1.0, threads=2)
    np.testing.assert_array_equal(one, two)
    # a transposed view, a broadcast dy (stride 0) and a float64 dy: the same numbers
    transposed = _backward.c_vjp("softmax", y.T.copy().T, dy.T.copy().T, (1,), 1.0)
    np.testing.assert_array_equal(transposed, one)
    row = dy[:, :1]
    broadcast = _backward.c_vjp("softmax", y, np.broadcast_to(row, y.shape), (1,), 1.0)
    np.testing.assert_array_equal(broadcast, _backward.c_vjp("softmax", y, row + 0 * dy, (1,), 1.0))
    widened = _backward.c_vjp("softmax", y, dy.astype(np.float64), (1,), 1.0)
    np.testing.assert_array_equal(widened, one)
    axis0 = _backward.c_vjp("softmax", y.T, dy.T, (0,), 1.0)
    np.testing.assert_array_equal(axis0, one.T)


# ---- torch -----------------------------------------------------------------------------------

torch = pytest.importorskip("torch")

from pysoftmax._backends import torch as torch_backend  # noqa: E402


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_the_cpu_backward_runs_the_c_kernels_unless_the_graph_is_built(monkeypatch, function):
    calls = []
    original = _backward._run_c
    monkeypatch.setattr(_backward, "_run_c", lambda *a: calls.append(a[0]) or original(*a))
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    y = getattr(pysoftmax, function)(x, temperature=0.7)
    torch.autograd.grad(y.sum(), x)
    assert calls == [function]
    y = getattr(pysoftmax, function)(x, temperature=0.7)
    torch.autograd.grad(y.sum(), x, create_graph=True)
    assert calls == [function]  # torch operations this time


@pytest.mark.parametrize("path", ["c", "device", "create_graph"])
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_every_torch_path_agrees_with_torchs_own_gradient(monkeypatch, path, function, dtype):
    if path == "device":
        monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    x = torch.randn(6, 9, dtype=torch.float64) * 4
    dy = torch.randn(6, 9, dtype=torch.float64)
    ours = x.to(dtype).requires_grad_()
    theirs = x.clone().requires_grad_()  # torch's own, in float64
    (got,) = torch.autograd.grad(
        getattr(pysoftmax, function)(ours, axis=0, temperature=2.5),
        ours,
        dy.to(dtype),
        create_graph=path == "create_graph",
    )
    (want,) = torch.autograd.grad(getattr(torch, function)(theirs / 2.5, dim=0), theirs, dy)
    tolerance = 1e-5 if dtype == torch.float32 else 1e-13
    torch.testing.assert_close(got.double(), want, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("path", ["c", "device", "create_graph"])
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_nan_upstream_at_masked_entries_gives_zero_not_nan(monkeypatch, path, function):
    if path == "device":
        monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    x = torch.tensor([[1.0, -math.inf, 0.5, -math.inf], [2.0, 0.0, -math.inf, 1.0]])
    x.requires_grad_()
    y = getattr(pysoftmax, function)(x)
    dy = torch.tensor([[0.3, math.nan, -1.0, math.inf], [1.0, 2.0, -math.inf, 0.5]])
    (grad,) = torch.autograd.grad(y, x, dy, create_graph=path == "create_graph")
    assert torch.isfinite(grad).all()
    assert (grad[x.detach() == -math.inf] == 0).all()
    clean = torch.where(x.detach() == -math.inf, 0.0, dy)
    (expected,) = torch.autograd.grad(
        getattr(pysoftmax, function)(x), x, clean, create_graph=path == "create_graph"
    )
    torch.testing.assert_close(grad, expected, rtol=0, atol=0)
    # torch's own softmax lets the NaN through: the rule is what changes the answer
    (theirs,) = torch.autograd.grad(getattr(torch, function)(x, dim=-1), x, dy)
    assert torch.isnan(theirs).any()


@pytest.mark.parametrize("path", ["c", "device", "create_graph"])
def test_the_entropy_of_a_masked_softmax_has_a_finite_gradient(monkeypatch, path):
    # -sum(p log p) with p = 0 at masked entries, written with where: the unselected
    # branch's gradient is 0 * log 0 = NaN, which torch's softmax spreads over the row.
    if path == "device":
        monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    logits = torch.tensor([[2.0, -math.inf, 0.5, 1.0]], dtype=torch.float64, requires_grad=True)

    def entropy(softmax, log_softmax):
        p, log_p = softmax(logits), log_softmax(logits)
        return -torch.where(p > 0, p * log_p, 0.0).sum()

    ours = entropy(pysoftmax.softmax, pysoftmax.log_softmax)
    (grad,) = torch.autograd.grad(ours, logits, create_graph=path == "create_graph")
    assert torch.isfinite(grad).all() and grad[0, 1] == 0
    # the finite entries' gradient is the entropy's gradient over the other three
    finite = logits.detach()[:, [0, 2, 3]].requires_grad_()
    p = torch.softmax(finite, dim=-1)
    (expected,) = torch.autograd.grad(-(p * torch.log(p)).sum(), finite)
    torch.testing.assert_close(grad[:, [0, 2, 3]], expected, rtol=1e-13, atol=1e-15)
    theirs = entropy(lambda v: torch.softmax(v, -1), lambda v: torch.log_softmax(v, -1))
    assert torch.isnan(torch.autograd.grad(theirs, logits)[0]).all()


@pytest.mark.parametrize("path", ["c", "device", "create_graph"])
def test_logsumexp_of_a_row_of_only_minus_inf_has_zero_gradient(monkeypatch, path):
    if path == "device":
        monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    x = torch.tensor(
        [[-math.inf, -math.inf, -math.inf], [0.0, -math.inf, 1.0]],
        dtype=torch.float64,
        requires_grad=True,
    )
    value = pysoftmax.logsumexp(x)
    assert value[0] == -math.inf
    dy = torch.tensor([1.0, math.nan], dtype=torch.float64)
    (grad,) = torch.autograd.grad(value, x, dy, create_graph=path == "create_graph")
    # row 0: all -inf, 0; row 1: NaN upstream reaches the entries with probability > 0 only
    assert (grad[0] == 0).all() and grad[1, 1] == 0
    assert torch.isnan(grad[1, [0, 2]]).all()
    (grad,) = torch.autograd.grad(pysoftmax.logsumexp(x).sum(), x)
    torch.testing.assert_close(grad[1], torch.softmax(x.detach()[1], 0), rtol=1e-15, atol=0)
    assert (grad[0] == 0).all()


@pytest.mark.parametrize("function", ["softmax", "logsumexp"])
def test_gradcheck_with_minus_inf_entries(function):
    # (not log_softmax: its -inf outputs make every finite difference NaN)
    x = torch.randn(3, 6, dtype=torch.float64)
    x[:, 1] = -math.inf
    x[2, 4] = -math.inf
    x.requires_grad_()
    kwargs = {} if function == "logsumexp" else {"temperature": 0.6}
    assert torch.autograd.gradcheck(lambda t: getattr(pysoftmax, function)(t, **kwargs), x)
    assert torch.autograd.gradgradcheck(lambda t: getattr(pysoftmax, function)(t, **kwargs), x)


def test_an_expanded_upstream_gradient_is_read_in_place():
    # y.sum().backward() hands the backward an expanded tensor (stride 0)
    x = torch.randn(4, 7, dtype=torch.float64, requires_grad=True)
    pysoftmax.log_softmax(x, axis=0).sum().backward()
    expected = torch.autograd.grad(torch.log_softmax(x, 0).sum(), x)[0]
    torch.testing.assert_close(x.grad, expected, rtol=1e-14, atol=1e-15)


# ---- JAX -------------------------------------------------------------------------------------

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)


@pytest.mark.parametrize("function", ["softmax", "log_softmax", "logsumexp"])
@pytest.mark.parametrize("temperature", [1.0, 0.37, 6.5])
def test_jax_gradients_match_float64_finite_differences(function, temperature):
    rng = np.random.default_rng(21)
    x = rng.normal(size=(3, 5)) * 2
    w = rng.normal(size=(3, 5) if function != "logsumexp" else (3,))
    kwargs = {} if function == "logsumexp" else {"temperature": temperature}

    def loss(v):
        return jnp.sum(jnp.asarray(w) * getattr(pysoftmax, function)(v, **kwargs))

    grad = np.asarray(jax.grad(loss)(jnp.asarray(x)))
    step = 1e-6
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (float(loss(jnp.asarray(up))) - float(loss(jnp.asarray(down)))) / (
            2 * step
        )
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_jax_vjp_with_nan_cotangents_at_masked_entries(function):
    x = jnp.asarray([[1.0, -jnp.inf, 0.5, 2.0], [-jnp.inf, 0.0, 1.0, -jnp.inf]])
    y, pullback = jax.vjp(lambda v: getattr(pysoftmax, function)(v, temperature=0.8), x)
    masked = np.asarray(x) == -np.inf
    cotangent = np.where(masked, np.nan, np.arange(8.0).reshape(2, 4))
    (grad,) = pullback(jnp.asarray(cotangent))
    grad = np.asarray(grad)
    assert np.isfinite(grad).all() and (grad[masked] == 0).all()
    (clean,) = pullback(jnp.asarray(np.where(masked, 0.0, cotangent)))
    np.testing.assert_array_equal(grad, np.asarray(clean))
    # equal to the C kernels' gradient of the same y
    c_grad = _backward.c_vjp(function, np.asarray(y), cotangent, (1,), 0.8)
    np.testing.assert_allclose(grad, c_grad, rtol=1e-13, atol=1e-15)
    # and the forward-mode tangent is finite too
    _, tangent = jax.jvp(
        lambda v: getattr(pysoftmax, function)(v, temperature=0.8),
        (x,),
        (jnp.asarray(np.where(masked, np.nan, 1.0)),),
    )
    assert np.isfinite(np.asarray(tangent)).all()


def test_jax_logsumexp_of_a_row_of_only_minus_inf_has_zero_gradient():
    x = jnp.asarray([[-jnp.inf, -jnp.inf], [0.0, -jnp.inf]])
    grad = np.asarray(jax.grad(lambda v: jnp.sum(pysoftmax.logsumexp(v)))(x))
    np.testing.assert_array_equal(grad, [[0.0, 0.0], [1.0, 0.0]])
    assert np.isfinite(np.asarray(jax.hessian(lambda v: pysoftmax.logsumexp(v))(x[1]))).all()


def test_jax_hessian_and_jacfwd_work():
    x = jnp.asarray([0.2, -1.0, 3.0])
    p = np.asarray(jax.nn.softmax(x))
    hessian = np.asarray(jax.hessian(pysoftmax.logsumexp)(x))
    np.testing.assert_allclose(hessian, np.diag(p) - np.outer(p, p), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        np.asarray(jax.jacfwd(pysoftmax.softmax)(x)),
        np.asarray(jax.jacrev(pysoftmax.softmax)(x)),
        rtol=1e-14,
        atol=1e-16,
    )


def test_mpmath_is_the_reference():
    # the reference functions are mpmath at 256 bits, on the rule too
    assert reference.softmax_vjp([0.0, 0.5, 0.5], [math.nan, 1.0, 3.0])[0] == 0
    exact = reference.log_softmax_vjp([-math.inf, math.log(0.25)], [math.nan, 2.0], 0.5)
    assert exact[0] == 0 and abs(exact[1] - 3) < 1e-15


# ---- masks and per-row temperatures ----------------------------------------------------------


@pytest.mark.parametrize("path", ["c", "device", "create_graph"])
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_per_row_temperatures_and_masks_on_every_torch_path(monkeypatch, path, function, dtype):
    # The C path runs psm_*_backward_general_* (one temperature per row); every path
    # agrees with torch's own derivative of the masked function row by row, the rows at
    # T = 0 and inf get 0, and a NaN upstream at a masked entry stays there.
    calls = []
    original = _backward._run_c
    monkeypatch.setattr(_backward, "_run_c", lambda *a: calls.append(a[-1]) or original(*a))
    if path == "device":
        monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    rng = np.random.default_rng(30)
    x = torch.from_numpy(rng.normal(size=(5, 7)) * 3)
    keep = torch.from_numpy(rng.random(size=(5, 7)) > 0.3)
    keep[4] = False  # a row with nothing included
    temperature = torch.tensor([[0.5], [0.0], [2.0], [math.inf], [1.5]], dtype=torch.float64)
    dy = torch.from_numpy(rng.normal(size=(5, 7)))
    dy[~keep] = math.nan
    leaf = x.to(dtype).requires_grad_()
    y = getattr(pysoftmax, function)(leaf, temperature=temperature.to(dtype), where=keep)
    (got,) = torch.autograd.grad(y, leaf, dy.to(dtype), create_graph=path == "create_graph")
    assert torch.isfinite(got).all() and (got[~keep] == 0).all()
    assert (got[[1, 3, 4]] == 0).all()  # T = 0, T = inf, nothing included
    for r in (0, 2):
        row = x[r, keep[r]].clone().requires_grad_()
        (want,) = torch.autograd.grad(
            getattr(torch, function)(row / temperature[r, 0], dim=0), row, dy[r, keep[r]]
        )
        tolerance = 1e-5 if dtype == torch.float32 else 1e-13
        torch.testing.assert_close(got[r, keep[r]].double(), want, rtol=tolerance, atol=tolerance)
    if path == "c":
        assert len(calls) == 1 and isinstance(calls[0], np.ndarray)  # the general entry point
    else:
        assert not calls


def test_c_vjp_per_row_temperatures_equal_one_call_per_row():
    rng = np.random.default_rng(31)
    y = np.asarray(pysoftmax.log_softmax(rng.normal(size=(3, 4, 6)), axis=1))
    dy = rng.normal(size=y.shape)
    temperature = rng.uniform(0.2, 3.0, size=(3, 1, 6))
    got = _backward.c_vjp("log_softmax", y, dy, (1,), temperature)
    for i in range(3):
        for j in range(6):
            one = _backward.c_vjp(
                "log_softmax", y[i, :, j], dy[i, :, j], (0,), float(temperature[i, 0, j])
            )
            np.testing.assert_array_equal(got[i, :, j], one)


def test_jax_per_row_temperatures_and_masks():
    x = jnp.asarray([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [1.0, 1.0, 1.0]])
    temperature = jnp.asarray([[0.5], [2.0], [0.0]])
    keep = jnp.asarray([[True, False, True], [True, True, True], [True, True, False]])
    weights = jnp.asarray([[1.0, 5.0, -2.0], [0.5, 1.0, 2.0], [3.0, 1.0, 1.0]])

    def loss(v):
        y = pysoftmax.log_softmax(v, temperature=temperature, where=keep)
        return jnp.sum(jnp.where(keep, weights * y, 0.0))

    grad = np.asarray(jax.grad(loss)(x))
    assert np.isfinite(grad).all() and grad[0, 1] == 0 and (grad[2] == 0).all()
    row0 = jax.grad(lambda v: jnp.sum(weights[0, ::2] * jax.nn.log_softmax(v / 0.5)))(x[0, ::2])
    np.testing.assert_allclose(grad[0, ::2], row0, rtol=1e-12)
    row1 = jax.grad(lambda v: jnp.sum(weights[1] * jax.nn.log_softmax(v / 2.0)))(x[1])
    np.testing.assert_allclose(grad[1], row1, rtol=1e-12)


# ---- JAX's reverse mode: the C kernels -------------------------------------------------------

from pysoftmax._backends import jax as jax_backend  # noqa: E402


@pytest.fixture
def kernel_calls(monkeypatch):
    """The C backward kernels' calls, as (function, dtype, per-row temperatures) each."""
    calls = []
    original = _backward._run_c

    def counted(function, y, dy, dx, threads, temperature):
        calls.append((function, y.dtype, isinstance(temperature, np.ndarray)))
        return original(function, y, dy, dx, threads, temperature)

    monkeypatch.setattr(_backward, "_run_c", counted)
    return calls


def numpy_reference_vjp(function, x, g, temperature, keep):
    """The finite-gradient rule's VJP in numpy float64 from x itself, rows along the last axis.

    ``temperature`` is a float or one per row (shape ``(rows, 1)``); ``keep`` the mask; the
    entries that are masked or -inf (probability 0) get 0, and so do the rows at T = 0 or inf
    and the rows with nothing kept.
    """
    x, g = x.astype(np.float64), g.astype(np.float64)
    t = np.broadcast_to(np.asarray(temperature, dtype=np.float64), (x.shape[0], 1))
    counted = keep & (x != -np.inf)
    limit = (t == 0) | (t == np.inf) | ~counted.any(axis=-1, keepdims=True)
    safe = np.where(limit, 1.0, t)
    z = np.where(counted, x, -np.inf) / safe
    top = np.where(limit, 0.0, z.max(axis=-1, keepdims=True))
    e = np.where(counted, np.exp(z - top), 0.0)
    p = e / np.where(limit, 1.0, e.sum(axis=-1, keepdims=True))
    g = np.where(counted, g, 0.0)
    if function == "softmax":
        dx = p * (g - np.sum(g * p, axis=-1, keepdims=True))
    else:
        dx = g - p * np.sum(g, axis=-1, keepdims=True)
    return np.where(limit | ~counted, 0.0, dx / safe)


def numpy_reference_hessian(function, x, w, temperature):
    """The Hessian of sum(w * function(x / T)) for a row x (numpy float64), with the rule."""
    counted = x != -np.inf
    z = np.where(counted, x / temperature, -np.inf)
    p = np.exp(z - z.max())
    p /= p.sum()
    jacobian = (np.diag(p) - np.outer(p, p)) / temperature  # of softmax, symmetric
    w = np.where(counted, w, 0.0)
    if function == "softmax":
        s = np.sum(w * p)
        hessian = (np.diag(w - s) @ jacobian - np.outer(p, w @ jacobian)) / temperature
    else:
        hessian = -np.sum(w) * jacobian / temperature
    return np.where(np.outer(counted, counted), hessian, 0.0)


def _jax_loss(function, w, **kwargs):
    return lambda v: jnp.sum(w * getattr(pysoftmax, function)(v, **kwargs))


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jax_reverse_mode_runs_the_c_kernels_and_forward_mode_does_not(
    kernel_calls, function, dtype
):
    rng = np.random.default_rng(40)
    x = jnp.asarray(rng.normal(size=(3, 6)).astype(dtype))
    w = jnp.asarray(rng.normal(size=(3, 6)).astype(dtype))
    per_row = jnp.asarray(np.array([[0.5], [1.5], [3.0]], dtype=dtype))
    for temperature in (0.7, per_row):
        loss = _jax_loss(function, w, temperature=temperature)
        reverse = {
            "grad": lambda v, loss=loss: jax.grad(loss)(v),
            "jit(grad)": lambda v, loss=loss: jax.jit(jax.grad(loss))(v),
            "vjp": lambda v, loss=loss: jax.vjp(loss, v)[1](jnp.ones((), dtype))[0],
            "vmap(grad)": lambda v, loss=loss: jax.vmap(jax.grad(loss))(jnp.stack([v, v])),
            "jacrev": lambda v, loss=loss: jax.jacrev(loss)(v),
        }
        forward = {
            "jvp": lambda v, loss=loss: jax.jvp(loss, (v,), (jnp.ones_like(v),))[1],
            "jacfwd": lambda v, loss=loss: jax.jacfwd(loss)(v),
        }
        expected = (function, np.dtype(dtype), temperature is per_row)
        for name, transform in reverse.items():
            kernel_calls.clear()
            transform(x)
            assert kernel_calls == [expected], name
        for name, transform in forward.items():
            kernel_calls.clear()
            transform(x)
            assert kernel_calls == [], name
        # the gradient's program holds the cotangent primitive, lowered to a second callback
        assert "pysoftmax_cotangent" in str(jax.make_jaxpr(jax.grad(loss))(x))
        gradient_text = jax.jit(jax.grad(loss)).lower(x).as_text()
        forward_text = jax.jit(loss).lower(x).as_text()
        assert gradient_text.count("python_cpu_callback") == 2
        assert forward_text.count("python_cpu_callback") == 1


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["scalar", "per_row"])
def test_jax_gradients_are_the_kernels_bits_and_match_a_float64_reference(function, dtype, kind):
    # -inf entries with NaN and inf upstream there, a mask, a row with nothing kept, and
    # (per row) rows at T = 0 and inf: 0 exactly where the rule says, finite everywhere.
    rng = np.random.default_rng(41)
    x = (rng.normal(size=(6, 9)) * 3).astype(dtype)
    x[:, ::4] = -np.inf
    keep = rng.random(size=x.shape) > 0.25
    keep[5] = False
    temperature = (
        0.6
        if kind == "scalar"
        else np.array([[0.5], [0.0], [2.0], [np.inf], [1.3], [0.8]], dtype=dtype)
    )
    g = rng.normal(size=x.shape).astype(dtype)
    g[x == -np.inf] = np.nan
    g[:, 1] = np.inf
    g[:, 1][keep[:, 1]] = 1.5  # inf only where masked: the mask keeps it out
    kwargs = {"temperature": temperature if kind == "scalar" else jnp.asarray(temperature)}

    def call(v):
        return getattr(pysoftmax, function)(v, where=jnp.asarray(keep), **kwargs)

    y, pullback = jax.vjp(call, jnp.asarray(x))
    (got,) = pullback(jnp.asarray(g))
    jitted = jax.jit(lambda v, c: jax.vjp(call, v)[1](c)[0])(jnp.asarray(x), jnp.asarray(g))
    got, jitted = np.asarray(got), np.asarray(jitted)
    assert got.dtype == dtype and np.isfinite(got).all()
    np.testing.assert_array_equal(jitted, got)
    # the kernels' bits: c_vjp on the forward's y and the cotangent the primitive received
    # (0 at masked entries: jnp.where's transpose)
    kernel_t = temperature if kind == "scalar" else np.asarray(temperature)
    inside = np.where(keep, g, 0).astype(dtype)
    masked_y = np.asarray(y)
    np.testing.assert_array_equal(
        got, np.where(keep, _backward.c_vjp(function, masked_y, inside, (1,), kernel_t), 0)
    )
    want = numpy_reference_vjp(function, x, g, temperature, keep)
    assert (got[want == 0] == 0).all()
    # the error of y (rounded to dtype) and of the reference, times what the formula sums
    counted = keep & (x != -np.inf)
    size = np.abs(np.where(counted, g, 0))
    t = np.where(np.isfinite(temperature) & (temperature > 0), temperature, 1.0)
    scale = (size + size.sum(axis=-1, keepdims=True)) / t
    bound = 8 * np.finfo(dtype).eps * scale + np.finfo(dtype).tiny
    assert np.all(np.abs(got - want) <= bound), np.max(np.abs(got - want) / bound)


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jax_vmap_of_grad_equals_a_loop_bit_for_bit(function, dtype):
    # batch axis 0 or 1, the weights mapped or not, one temperature per row mapped or not
    rng = np.random.default_rng(42)
    x = jnp.asarray((rng.normal(size=(4, 3, 7)) * 2).astype(dtype))
    w = jnp.asarray(rng.normal(size=(4, 3, 7)).astype(dtype))
    temperatures = jnp.asarray(rng.uniform(0.3, 3.0, size=(4, 3, 1)).astype(dtype))

    def grad(v, weights, temperature):
        return jax.grad(
            lambda u: jnp.sum(weights * getattr(pysoftmax, function)(u, **temperature))
        )(v)

    for in_axes, t_axis in (((0, 0), None), ((1, None), None), ((0, 0), 0), ((0, None), 0)):
        xs = x if in_axes[0] == 0 else jnp.moveaxis(x, 0, 1)
        ws = w if in_axes[1] == 0 else w[0]
        ts = temperatures if t_axis == 0 else None

        def one(v, weights, t=None):
            return grad(v, weights, {} if t is None else {"temperature": t})

        if t_axis is None:
            batched = jax.vmap(one, in_axes=in_axes)(xs, ws)
            looped = [one(x[b], w[b] if in_axes[1] == 0 else w[0]) for b in range(4)]
        else:
            batched = jax.vmap(one, in_axes=(*in_axes, 0))(xs, ws, ts)
            looped = [one(x[b], w[b] if in_axes[1] == 0 else w[0], ts[b]) for b in range(4)]
        np.testing.assert_array_equal(np.asarray(batched), np.stack(looped))


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jax_second_derivatives_match_the_analytic_hessian(function, dtype):
    # hessian = jacfwd(jacrev), and the other three compositions, with a -inf entry (its rows
    # and columns 0, not NaN) and one temperature per row (the Hessian block-diagonal)
    rng = np.random.default_rng(43)
    x = (rng.normal(size=(2, 5)) * 2).astype(dtype)
    x[1, 3] = -np.inf
    w = rng.normal(size=(2, 5)).astype(dtype)
    temperature = np.array([[0.7], [2.5]], dtype=dtype)
    loss = _jax_loss(function, jnp.asarray(w), temperature=jnp.asarray(temperature))
    want = np.zeros((2, 5, 2, 5))
    for r in range(2):
        want[r, :, r, :] = numpy_reference_hessian(
            function, x[r].astype(float), w[r].astype(float), float(temperature[r, 0])
        )
    tolerance = 2e-5 if dtype == np.float32 else 1e-13
    compositions = {
        "hessian": jax.hessian(loss),
        "jacfwd(jacrev)": jax.jacfwd(jax.jacrev(loss)),
        "jacrev(jacrev)": jax.jacrev(jax.jacrev(loss)),
        "jacfwd(jacfwd)": jax.jacfwd(jax.jacfwd(loss)),
        "jit(hessian)": jax.jit(jax.hessian(loss)),
    }
    for name, second in compositions.items():
        got = np.asarray(second(jnp.asarray(x)))
        assert np.isfinite(got).all(), name
        np.testing.assert_allclose(
            got, want, rtol=0, atol=tolerance * np.abs(want).max(), err_msg=name
        )
    # jvp of grad (forward over reverse) is the Hessian times the direction
    direction = rng.normal(size=x.shape)
    _, hvp = jax.jvp(jax.grad(loss), (jnp.asarray(x),), (jnp.asarray(direction.astype(dtype)),))
    np.testing.assert_allclose(
        np.asarray(hvp),
        np.einsum("ijkl,kl->ij", want, np.where(np.isfinite(x), direction, 0.0)),
        rtol=0,
        atol=tolerance * 10 * np.abs(want).max(),
    )


@pytest.mark.parametrize("direction", ["tangent", "cotangent"])
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_jax_primitives_transpose_and_derivatives(direction, function):
    # Each primitive's transpose is the other: <c, J t> == <J^T c, t>; its JVP in y and in the
    # per-row temperatures against central finite differences of the primitive itself.
    rng = np.random.default_rng(44)
    primitives = jax_backend._primitives()
    x = rng.normal(size=(3, 6)) * 2
    x[0, 2] = -np.inf
    temperature = np.array([[0.6], [1.7], [3.0]])
    y = np.asarray(getattr(pysoftmax, function)(x, temperature=temperature))
    v, c, dy = (rng.normal(size=x.shape) for _ in range(3))
    dy[x == -np.inf] = 0.0
    params = {"function": function, "axes": (1,), "temperature": None}

    def apply(y_, v_, t_, name=direction):
        return primitives[name].bind(y_, v_, t_, **params)

    y_j, t_j = jnp.asarray(y), jnp.asarray(temperature)
    (transposed,) = jax.linear_transpose(lambda u: apply(y_j, u, t_j), jnp.asarray(v))(
        jnp.asarray(c)
    )
    other = "cotangent" if direction == "tangent" else "tangent"
    np.testing.assert_array_equal(
        np.asarray(transposed), np.asarray(apply(y_j, jnp.asarray(c), t_j, other))
    )
    np.testing.assert_allclose(
        np.sum(c * np.asarray(apply(y_j, jnp.asarray(v), t_j))),
        np.sum(np.asarray(transposed) * v),
        rtol=1e-13,
    )
    dt = rng.normal(size=temperature.shape)
    step = 1e-6
    for tangents, moved in (
        ((dy, 0 * v, 0 * dt), lambda h: (y + h * dy, v, temperature)),
        ((0 * dy, 0 * v, dt), lambda h: (y, v, temperature + h * dt)),
    ):
        _, got = jax.jvp(
            lambda a, b, t: apply(a, b, t),
            (y_j, jnp.asarray(v), t_j),
            tuple(jnp.asarray(d) for d in tangents),
        )
        up = np.asarray(apply(*(jnp.asarray(a) for a in moved(step))))
        down = np.asarray(apply(*(jnp.asarray(a) for a in moved(-step))))
        np.testing.assert_allclose(np.asarray(got), (up - down) / (2 * step), rtol=1e-6, atol=1e-8)


def test_jax_float32_cross_entropy_keeps_its_digits_through_the_kernel():
    # log_softmax's gradient at the target is p_t - 1, which cancels when p_t is near 1: the
    # C kernel computes exp(y) to 2^-49 and keeps it within 1 ULP of mpmath's exact value;
    # the jnp rule the kernel replaced computed exp(y) in float32 and lost the digits.
    for gap in (2.0**-k for k in (3, 10, 18)):
        x = jnp.asarray(np.array([0.0, math.log(gap), math.log(gap) - 1.0], dtype=np.float32))
        y = np.asarray(pysoftmax.log_softmax(x))
        grad = jax.grad(lambda v: -pysoftmax.log_softmax(v)[0])(x)
        dy = np.array([-1.0, 0.0, 0.0], dtype=np.float32)
        want = reference.round_to_dtype(exact_vjp("log_softmax", y, dy, 1.0)[0], np.float32)
        assert reference.ulp_distance(float(grad[0]), want, np.float32) <= 1, gap
        jnp_rule = _backward.vjp("log_softmax", jnp.asarray(y), jnp.asarray(dy), (0,), 1.0, jnp)
        if gap < 2.0**-10:
            assert reference.ulp_distance(float(jnp_rule[0]), want, np.float32) > 100
