"""The options that come with ``x``: ``where=``, per-row temperatures, ``out=``, ``dtype=``.

Their values on every backend are the conformance suite's
(conformance/test_options.py, against mpmath); here: the forms the
arguments take (broadcasting, sequences, other layouts), ``out=`` written in
place or copied, ``dtype=`` computing wide enough, gradients through masks
and per-row temperatures, and agreement between the backends bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pysoftmax

RNG = np.random.default_rng(20261201)


def rows(shape=(5, 9), dtype=np.float64, scale=4.0):
    return (RNG.normal(size=shape) * scale).astype(dtype)


# ---------------------------------------------------------------- where=


@pytest.mark.parametrize("function", ["softmax", "log_softmax", "logsumexp"])
def test_a_mask_equals_setting_masked_entries_to_minus_infinity(function):
    # Independent of the C path: the masked entries as -inf in plain numpy, through the
    # unmasked function, then the empty rows filled by hand.
    x = rows((6, 11))
    where = RNG.random(x.shape) < 0.6
    where[2] = False
    expected = getattr(pysoftmax, function)(np.where(where, x, -np.inf))
    if function != "logsumexp":
        expected[2] = -np.inf if function == "log_softmax" else 0.0
    got = getattr(pysoftmax, function)(x, where=where)
    np.testing.assert_array_equal(got, expected)


def test_masks_broadcast_and_come_as_sequences():
    x = rows((3, 4))
    columns = [True, False, True, True]
    expected = pysoftmax.softmax(x, where=np.broadcast_to(np.array(columns), x.shape).copy())
    np.testing.assert_array_equal(pysoftmax.softmax(x, where=columns), expected)
    np.testing.assert_array_equal(pysoftmax.softmax(x, where=np.array(columns)[None, :]), expected)
    # a mask over another axis, reduced over axis 0
    np.testing.assert_array_equal(
        pysoftmax.softmax(x, axis=0, where=np.array([[True], [False], [True]])),
        pysoftmax.softmax(np.where([[True], [False], [True]], x, -np.inf), axis=0),
    )


def test_masks_on_other_layouts_and_dtypes():
    x = rows((8, 12))
    where = RNG.random(x.shape) < 0.5
    expected = pysoftmax.softmax(x.T.copy(), where=where.T.copy())
    np.testing.assert_array_equal(pysoftmax.softmax(x.T, where=where.T), expected)
    big_endian = x.T.astype(">f8")
    np.testing.assert_array_equal(pysoftmax.softmax(big_endian, where=where.T), expected)
    half = pysoftmax.softmax(x.astype(np.float16), where=where)
    assert half.dtype == np.float16
    np.testing.assert_array_equal(
        half,
        pysoftmax.softmax(x.astype(np.float16).astype(np.float32), where=where).astype(np.float16),
    )
    integers = pysoftmax.softmax(np.arange(6).reshape(2, 3), where=[True, False, True])
    np.testing.assert_array_equal(
        integers, pysoftmax.softmax(np.array([[0.0, -np.inf, 2.0], [3.0, -np.inf, 5.0]]))
    )


def test_a_mask_of_a_zero_dimensional_and_an_empty_input():
    assert float(pysoftmax.softmax(np.float64(3.0), where=True)) == 1.0
    assert float(pysoftmax.softmax(np.float64(3.0), where=False)) == 0.0
    assert float(pysoftmax.logsumexp(np.float64(3.0), where=False)) == -math.inf
    empty = pysoftmax.softmax(np.empty((2, 0)), where=np.empty((2, 0), bool))
    assert empty.shape == (2, 0)


def test_the_long_rows_of_the_c_core_are_masked_too():
    # longer than the C core's gather buffer (4096) and its scratch (1024)
    x = rows((2, 5000), np.float32, 20.0)
    where = RNG.random(x.shape) < 0.3
    for function in ("softmax", "log_softmax", "logsumexp"):
        expected = getattr(pysoftmax, function)(np.where(where, x, -np.inf))
        np.testing.assert_array_equal(getattr(pysoftmax, function)(x, where=where), expected)


# ---------------------------------------------------------------- per-row temperatures


def test_each_row_is_its_own_call():
    x = rows((4, 7))
    temperatures = [[0.5], [1.0], [0.0], [math.inf]]
    for function in ("softmax", "log_softmax"):
        got = getattr(pysoftmax, function)(x, temperature=temperatures)
        for r, (t,) in enumerate(temperatures):
            np.testing.assert_array_equal(got[r], getattr(pysoftmax, function)(x[r], temperature=t))


def test_per_row_temperatures_broadcast_over_the_kept_axes():
    x = rows((2, 3, 5))
    t = np.array([0.5, 2.0, 8.0])[:, None]  # (3, 1): one per middle index, for both batches
    got = pysoftmax.softmax(x, temperature=t)
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(
                got[i, j], pysoftmax.softmax(x[i, j], temperature=t[j, 0])
            )
    # reduced over axis 1: one temperature per (batch, last) pair, size 1 along axis 1
    t1 = RNG.uniform(0.5, 2.0, size=(2, 1, 5))
    got = pysoftmax.log_softmax(x, axis=1, temperature=t1)
    np.testing.assert_array_equal(
        got[1, :, 3], pysoftmax.log_softmax(x[1, :, 3], temperature=t1[1, 0, 3])
    )


def test_per_row_temperatures_are_rounded_to_the_computed_dtype():
    x = rows((2, 6), np.float32)
    t64 = np.array([[0.1], [0.3]])
    got = pysoftmax.softmax(x, temperature=t64)
    for r in range(2):
        np.testing.assert_array_equal(
            got[r], pysoftmax.softmax(x[r], temperature=float(np.float32(t64[r, 0])))
        )


def test_the_generic_backend_agrees_with_the_c_core_on_per_row_temperatures():
    x = rows((5, 40), np.float64, 30.0)
    t = np.array([[0.3], [1.0], [7.0], [1e-3], [250.0]])
    for function in ("softmax", "log_softmax"):
        c = getattr(pysoftmax, function)(x, temperature=t)
        generic = getattr(pysoftmax, function)(x, temperature=t, backend="array_api")
        np.testing.assert_array_max_ulp(c, generic, maxulp=2)


# ---------------------------------------------------------------- out=


def test_out_is_filled_and_returned():
    x = rows((4, 5))
    for function in ("softmax", "log_softmax"):
        out = np.full_like(x, np.nan)
        assert getattr(pysoftmax, function)(x, out=out) is out
        np.testing.assert_array_equal(out, getattr(pysoftmax, function)(x))
    out = np.empty(4)
    assert pysoftmax.logsumexp(x, out=out) is out
    np.testing.assert_array_equal(out, pysoftmax.logsumexp(x))
    out = np.empty((4, 1))
    assert pysoftmax.logsumexp(x, keepdims=True, out=out) is out


@pytest.mark.parametrize(
    "layout",
    ["same", "transposed-out", "reversed-view-of-x", "axis-0", "float16-via-copy"],
)
def test_out_in_place_and_on_awkward_layouts(layout):
    base = rows((6, 8))
    x = base.copy()
    if layout == "same":
        expected = pysoftmax.softmax(base)
        result = pysoftmax.softmax(x, out=x)
        assert result is x
    elif layout == "transposed-out":
        expected = pysoftmax.softmax(base)
        out = np.empty((8, 6)).T
        result = pysoftmax.softmax(x, out=out)
        assert result is out
        x = out
    elif layout == "reversed-view-of-x":  # overlaps x without being it: computed, then copied
        expected = pysoftmax.softmax(base[:, ::-1])
        result = pysoftmax.softmax(x[:, ::-1], out=x)
        assert result is x
    elif layout == "axis-0":
        expected = pysoftmax.softmax(base, axis=0)
        result = pysoftmax.softmax(x, axis=0, out=x)
    else:
        half = base.astype(np.float16)
        expected = pysoftmax.softmax(half)
        result = pysoftmax.softmax(half, out=half)
        x = half
    np.testing.assert_array_equal(x, expected)


def test_out_with_torch_tensors_in_place():
    torch = pytest.importorskip("torch")
    x = torch.from_numpy(rows((3, 7)))
    expected = pysoftmax.softmax(x)
    pointer = x.data_ptr()
    result = pysoftmax.softmax(x, out=x)
    assert result is x and x.data_ptr() == pointer
    assert torch.equal(x, expected)
    out = torch.empty(3, dtype=torch.float64)
    assert pysoftmax.logsumexp(expected, out=out) is out
    with pytest.raises(TypeError, match="out"):
        pysoftmax.softmax(torch.ones(3, requires_grad=True), out=torch.empty(3))
    with pytest.raises(TypeError, match="out"):
        pysoftmax.softmax(np.ones(3), out=torch.empty(3, dtype=torch.float64))


# ---------------------------------------------------------------- dtype=


def test_dtype_chooses_the_result_and_computes_wide_enough():
    x16 = np.array([0.0, -20.0, -30.0], dtype=np.float16)
    log = pysoftmax.log_softmax(x16, dtype=np.float32)
    assert log.dtype == np.float32
    # float16 would round -exp(-20) to -0 (its smallest subnormal is 6e-8); float32 keeps it
    np.testing.assert_array_max_ulp(log, pysoftmax.log_softmax(x16.astype(np.float32)), maxulp=0)
    assert log[0] != 0.0
    x32 = rows((3, 4), np.float32)
    wide = pysoftmax.softmax(x32, dtype=np.float64)
    assert wide.dtype == np.float64
    np.testing.assert_array_equal(wide, pysoftmax.softmax(x32.astype(np.float64)))
    narrow = pysoftmax.softmax(rows((3, 4)), dtype=np.float32)
    assert narrow.dtype == np.float32


def test_dtype_with_torch_and_bfloat16():
    torch = pytest.importorskip("torch")
    x = torch.tensor([[0.0, -10.0, 3.0]], dtype=torch.bfloat16)
    y = pysoftmax.log_softmax(x, dtype=torch.float32)
    assert y.dtype == torch.float32
    assert torch.equal(y, pysoftmax.log_softmax(x.float()))


# ---------------------------------------------------------------- gradients


def test_torch_gradients_through_a_mask_and_per_row_temperatures():
    torch = pytest.importorskip("torch")
    x = torch.tensor(rows((3, 6)), requires_grad=True)
    where = torch.tensor(RNG.random((3, 6)) < 0.6)
    where[:, 0] = True
    t = torch.tensor([[0.5], [1.0], [3.0]], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda v: pysoftmax.softmax(v, where=where, temperature=t), (x,)
    )
    # log_softmax: -inf at the masked entries, where finite differences give NaN; compare
    # with torch's own log_softmax of the included entries, row by row.
    weights = torch.tensor(RNG.normal(size=(3, 6)))
    y = pysoftmax.log_softmax(x, where=where, temperature=t)
    (torch.where(where, y, 0.0) * weights).sum().backward()
    for r in range(3):
        kept = x.detach()[r][where[r]].clone().requires_grad_()
        (torch.log_softmax(kept / t[r, 0], dim=0) * weights[r][where[r]]).sum().backward()
        np.testing.assert_allclose(x.grad[r][where[r]], kept.grad, rtol=1e-12, atol=1e-15)
        assert torch.all(x.grad[r][~where[r]] == 0)


def test_the_rows_at_the_temperature_limits_have_zero_gradient():
    torch = pytest.importorskip("torch")
    x = torch.tensor(rows((3, 4)), requires_grad=True)
    t = torch.tensor([[0.0], [1.0], [math.inf]], dtype=torch.float64)
    pysoftmax.softmax(x, temperature=t).pow(2).sum().backward()
    assert torch.all(x.grad[0] == 0) and torch.all(x.grad[2] == 0)
    assert torch.any(x.grad[1] != 0)


def test_jax_gradients_through_per_row_temperatures():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    x = jnp.asarray(rows((3, 5)))
    t = jnp.asarray([[0.5], [2.0], [0.0]])
    weights = jnp.asarray(RNG.normal(size=(3, 5)))
    grad = jax.grad(lambda v: jnp.sum(pysoftmax.log_softmax(v, temperature=t) * weights))(x)
    reference = jax.grad(
        lambda v: jnp.sum(jax.nn.log_softmax(v[:2] / t[:2], axis=-1) * weights[:2])
    )(x)
    np.testing.assert_allclose(grad[:2], reference[:2], rtol=1e-12, atol=1e-14)
    assert np.all(np.asarray(grad[2]) == 0)
    jitted = jax.jit(lambda v, tt: pysoftmax.softmax(v, temperature=tt))(x, t)
    np.testing.assert_array_equal(
        np.asarray(jitted), pysoftmax.softmax(np.asarray(x), temperature=np.asarray(t))
    )


def test_the_c_backend_never_reads_past_the_per_row_temperatures():
    """A request whose temperatures do not match its rows (a caller's bug) is refused."""
    from pysoftmax._backends import c

    matrix = np.ones((4, 3))
    with pytest.raises(ValueError, match="2 temperatures for 4 rows"):
        c._run("softmax", matrix, np.empty_like(matrix), 1, np.array([1.0, 2.0]))
