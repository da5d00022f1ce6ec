"""The torch backend: dispatch, zero-copy on the CPU, the device path, autograd."""

from __future__ import annotations

import math
import subprocess
import sys

import array_api_compat
import numpy as np
import pytest

import pysoftmax
from conformance import reference
from pysoftmax._request import Request

torch = pytest.importorskip("torch")

from pysoftmax._backends import c as c_backend  # noqa: E402
from pysoftmax._backends import torch as torch_backend  # noqa: E402

FUNCTIONS = ["softmax", "log_softmax", "logsumexp"]
NORMALIZERS = ["softmax", "log_softmax"]
AXES = [-1, 0, (0, 2), None]
TEMPERATURES = [1.0, 0.37, 6.5, 1e-3, 1e6, 0.0, math.inf]


def call(function, x, **kwargs):
    return getattr(pysoftmax, function)(x, **kwargs)


def kwargs_for(function, temperature):
    return {} if function == "logsumexp" else {"temperature": temperature}


def awkward_data(shape=(5, 6, 7), seed=0, dtype=np.float64) -> np.ndarray:
    """Rows of several scales, with ties, -inf, +inf, NaN and near-overflow entries."""
    rng = np.random.default_rng(seed)
    scales = rng.choice([1e-3, 1.0, 30.0, 700.0], size=(shape[0], 1, 1))
    x = (rng.normal(size=shape) * scales).astype(dtype)
    big = float(np.finfo(dtype).max) * 0.95
    x[0, 0, :3] = x[0, 0, 3]  # ties with the maximum
    x[1, 1, ::2] = -np.inf
    x[1, 2, :] = -np.inf  # a row of -inf
    x[2, 0, 1] = np.inf
    x[2, 1, 4] = np.nan
    x[3, 3, :] = [big, -big, 0.0, big / 2, -big / 2, 5.0, big]
    x[4, 4, :] = [100.0, 100.0 - 745.1, 100.0 - 708.0, 99.0, 0.0, -100.0, 100.0 - 104.0]
    return x


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Steps between the floats a and b: 0 where equal or both NaN, inf where one is NaN."""
    a, b = np.atleast_1d(a), np.atleast_1d(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    both_nan = np.isnan(a) & np.isnan(b)
    integer = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}[a.dtype]

    def ordered(v):
        bits = v.view(integer).astype(object)
        return np.where(bits < 0, -(bits & ~np.iinfo(integer).min), bits)

    with np.errstate(invalid="ignore"):
        distance = np.abs(ordered(np.where(both_nan, 0, a)) - ordered(np.where(both_nan, 0, b)))
    distance = distance.astype(np.float64)
    distance[np.isnan(a) != np.isnan(b)] = np.inf
    return distance


def c_reference(function, x: np.ndarray, **kwargs) -> np.ndarray:
    """The same call on numpy, computed by the C core: the independent reference."""
    return np.asarray(call(function, x, backend="c", **kwargs))


# ---- the backend's interface and the choice of backend -----------------------------------


def test_registered_and_available():
    info = {b.name: b for b in pysoftmax.backends()}
    assert info["torch"].available
    assert torch.__version__ in info["torch"].reason
    assert torch_backend.NAME == "torch" and torch_backend.DESCRIPTION
    assert torch_backend.availability() == (True, f"torch {torch.__version__}")


def test_takes_tensors_and_refuses_the_rest():
    assert torch_backend.refuses(torch.ones(3)) is None
    assert torch_backend.refuses(torch.nn.Parameter(torch.ones(3))) is None
    assert "torch tensors only" in torch_backend.refuses(np.ones(3))
    assert "torch tensors only" in torch_backend.refuses([1.0, 2.0])
    assert "strided" in torch_backend.refuses(torch.eye(3).to_sparse())
    with pytest.raises(
        TypeError, match=r"backend 'torch' \(from backend=\) cannot take numpy\.ndarray"
    ):
        pysoftmax.softmax(np.ones(3), backend="torch")


def test_tensors_go_to_the_torch_backend_by_default(monkeypatch):
    calls = []
    original = torch_backend._forward
    monkeypatch.setattr(
        torch_backend, "_forward", lambda f, *args: calls.append(f) or original(f, *args)
    )
    for function in FUNCTIONS:  # (axis 0: not the fast path, which skips dispatch)
        result = call(function, torch.ones(2, 3), axis=0)
        assert isinstance(result, torch.Tensor)
    assert calls == FUNCTIONS


def test_the_module_imports_and_reports_without_torch():
    # torch made unimportable: the backend says so; numpy still works.
    script = """
import sys
sys.modules["torch"] = None
import numpy as np
import pysoftmax
from pysoftmax._backends import torch as backend
assert backend.availability() == (False, "torch is not installed"), backend.availability()
assert backend.refuses(np.ones(3)) == "it takes torch tensors only"
info = {b.name: b for b in pysoftmax.backends()}
assert not info["torch"].available and "not installed" in info["torch"].reason
assert pysoftmax.softmax(np.zeros(2)).tolist() == [0.5, 0.5]
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def test_other_arrays_do_not_import_torch():
    script = """
import sys
import numpy as np
import pysoftmax
from pysoftmax._backends import torch as backend
pysoftmax.backends()
pysoftmax.softmax(np.ones(3))
assert backend.refuses(np.ones(3)) is not None
assert backend.availability()[0]
assert "torch" not in sys.modules
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


# ---- CPU tensors: the C core, on the tensor's memory -------------------------------------


def _spy_on_the_c_core(monkeypatch):
    """Record the (matrix, result) buffers that the C core is called with."""
    seen = []
    original = c_backend._run

    def spy(function, matrix, result, *temperature):
        seen.append((function, matrix, result))
        return original(function, matrix, result, *temperature)

    monkeypatch.setattr(c_backend, "_run", spy)
    return seen


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_contiguous_tensor_reaches_the_c_core_without_a_copy(monkeypatch, function, dtype):
    seen = _spy_on_the_c_core(monkeypatch)
    x = torch.randn(4, 5, 6, dtype=dtype)
    result = call(function, x, axis=-1, backend="torch")  # (small: the fast path's otherwise)
    assert [name for name, _, _ in seen] == [function]
    _, matrix, output = seen[0]
    # The C core read the tensor's own memory ...
    assert matrix.ctypes.data == x.data_ptr()
    assert np.shares_memory(matrix, x.numpy())
    assert matrix.shape == (20, 6)
    # ... and the result tensor is the C core's output buffer, not a copy of it.
    assert result.data_ptr() == output.ctypes.data
    assert not np.shares_memory(output, x.numpy())


def test_reducing_a_leading_axis_reads_the_tensor_in_place_too(monkeypatch):
    # Rows that are not contiguous reach the C core's strided entry points...
    seen = _spy_on_the_c_core(monkeypatch)
    x = torch.randn(4, 5, dtype=torch.float64)
    pysoftmax.softmax(x, axis=0)
    (_, matrix, _) = seen[0]
    assert np.shares_memory(matrix, x.numpy()) and matrix.strides == (8, 40)


def test_a_layout_without_two_strides_is_copied_once(monkeypatch):
    # ...and the converse, so that the tests above can fail: the middle axis of a
    # 3-D tensor leaves rows that no pair of strides describes.
    seen = _spy_on_the_c_core(monkeypatch)
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    pysoftmax.softmax(x, axis=1)
    (_, matrix, _) = seen[0]
    assert not np.shares_memory(matrix, x.numpy())


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_tensors_give_the_c_cores_answer_bit_for_bit(function, axis, dtype):
    data = awkward_data(dtype=dtype)
    for temperature in TEMPERATURES if function != "logsumexp" else [1.0]:
        kwargs = kwargs_for(function, temperature)
        result = call(function, torch.from_numpy(data), axis=axis, **kwargs)
        assert isinstance(result, torch.Tensor) and result.device.type == "cpu"
        expected = c_reference(function, data, axis=axis, **kwargs)
        np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("axis", [-1, 0, (0, 2)])
def test_non_contiguous_tensors_give_the_same_answer(function, axis):
    base = torch.from_numpy(awkward_data(seed=3))
    strided = torch.zeros(10, 12, 21, dtype=base.dtype)[::2, ::2, ::3]
    strided[...] = base
    views = {
        "transposed": base.transpose(0, 2).contiguous().transpose(0, 2),
        "strided": strided,
        "expanded": base[:, :1, :].expand(5, 6, 7),  # stride 0
        "permuted": base.permute(2, 0, 1),
    }
    for name, view in views.items():
        assert not view.is_contiguous()
        expected = call(function, view.contiguous(), axis=axis)
        torch.testing.assert_close(
            call(function, view, axis=axis), expected, rtol=0, atol=0, equal_nan=True, msg=name
        )


def test_the_result_does_not_alias_the_input():
    x = torch.randn(3, 4)
    before = x.clone()
    y = pysoftmax.softmax(x)
    y.zero_()
    torch.testing.assert_close(x, before, rtol=0, atol=0)


# ---- float16 and bfloat16 CPU tensors: the C core's 16-bit entry points ------------------

HALF = [torch.float16, torch.bfloat16]


def half_sample(dtype, shape=(6, 50), seed=0):
    """Normal values of scale 4 in dtype, a -inf in one row (no other special values: the
    float64 reference below is the plain formula)."""
    values = torch.from_numpy(np.random.default_rng(seed).standard_normal(shape) * 4)
    values[(1,) * (len(shape) - 1) + (0,)] = -math.inf
    return values.to(dtype)


def exact_in_float64(function, x, axis, temperature=1.0):
    """The formula in numpy float64 on the widened values: an independent reference whose
    error (about 2^-50) is far below a 16-bit ULP."""
    z = np.moveaxis(x.double().numpy(), axis, -1) / temperature
    top = z.max(axis=-1, keepdims=True)
    total = np.exp(z - top).sum(axis=-1, keepdims=True)
    if function == "softmax":
        result = np.exp(z - top) / total
    elif function == "log_softmax":
        result = (z - top) - np.log(total)
    else:
        return (top + np.log(total))[..., 0]
    return np.moveaxis(result, -1, axis)


def rounded_once(values, dtype):
    """float64 values rounded once to a 16-bit torch dtype: first to float32 rounded to odd
    (an inexact conversion moved to the neighbour whose last bit is 1), whose extra bits make
    torch's rounding of it to 16 bits the rounding of the double itself."""
    values = np.asarray(values, dtype=np.float64)
    nearest = values.astype(np.float32)
    pattern = nearest.view(np.uint32).astype(np.int64)
    inexact = nearest.astype(np.float64) != values
    away = np.abs(nearest.astype(np.float64)) > np.abs(values)
    step = np.where(inexact & (pattern & 1 == 0), np.where(away, -1, 1), 0)
    odd = (pattern + step).astype(np.uint32).view(np.float32)
    return torch.from_numpy(odd).to(dtype)


def half_ulp_distance(a, b):
    """Steps between two 16-bit tensors on their patterns' integer line (both NaN: 0)."""
    assert a.dtype == b.dtype and a.shape == b.shape

    def line(v):
        pattern = v.contiguous().view(torch.int16).to(torch.int64) & 0xFFFF
        return torch.where(pattern >= 0x8000, -(pattern & 0x7FFF), pattern)

    both_nan = a.float().isnan() & b.float().isnan()
    return torch.where(both_nan, 0, (line(a) - line(b)).abs())


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("result_dtype", [None, torch.float32])
def test_16_bit_tensors_reach_the_c_core_as_they_are(monkeypatch, dtype, function, result_dtype):
    seen = _spy_on_the_c_core(monkeypatch)
    x = half_sample(dtype)
    result = call(function, x, dtype=result_dtype)
    (_, matrix, output) = seen[0]
    assert len(seen) == 1
    # The C core read the tensor's 16 bits in place: no float32 copy of it ...
    assert matrix.itemsize == 2 and matrix.ctypes.data == x.data_ptr()
    assert c_backend._element(matrix.dtype)[2] == ("f16" if dtype == torch.float16 else "bf16")
    # ... and wrote the result tensor's memory, in x's dtype or (dtype=float32) in float32.
    want = result_dtype or dtype
    assert result.dtype == want and output.itemsize == (4 if want == torch.float32 else 2)
    assert result.data_ptr() == output.ctypes.data


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("n", [50, 5000])
def test_16_bit_tensors_against_float64_rounded_once(dtype, function, axis, n):
    x = half_sample(dtype, (6, n), seed=n)
    if axis == 0:
        x = x.t()  # the rows are the columns of a C-contiguous tensor: read in place
    temperature = 0.37 if function != "logsumexp" else 1.0
    got = call(function, x, axis=axis, **kwargs_for(function, temperature))
    # x / T with T rounded to float32, as the C core computes it
    exact = exact_in_float64(function, x, axis, float(np.float32(temperature)))
    distance = half_ulp_distance(got, rounded_once(exact, dtype))
    assert distance.max() <= 1
    assert (distance > 0).float().mean() <= 0.01  # nearly always the correctly rounded value
    wide = call(function, x, axis=axis, dtype=torch.float32, **kwargs_for(function, temperature))
    assert wide.dtype == torch.float32
    # float32 results: the float32 method's bound (2 ULP; logsumexp: of the larger of |max|
    # and the log of the sum)
    wide, finite = wide.double().numpy(), np.isfinite(exact)
    assert np.array_equal(wide[~finite], exact[~finite])  # log_softmax's -inf
    scale = np.abs(exact) if function != "logsumexp" else np.maximum(np.abs(exact), 10.0)
    bound = 2 * np.spacing(scale.astype(np.float32)).astype(np.float64) + 2.0**-149
    assert np.all(np.abs(wide[finite] - exact[finite]) <= bound[finite])


@pytest.mark.parametrize("dtype", HALF)
def test_16_bit_layouts_out_and_in_place(monkeypatch, dtype):
    x = half_sample(dtype, (8, 40))
    expected = pysoftmax.softmax(x.contiguous())
    # a slice and a transpose: read where they are
    for view, axis in ((x[::2, 3:], -1), (x.t(), 0)):
        torch.testing.assert_close(
            pysoftmax.softmax(view, axis=axis),
            pysoftmax.softmax(view.contiguous(), axis=axis),
            rtol=0,
            atol=0,
        )
    seen = _spy_on_the_c_core(monkeypatch)
    out = torch.empty_like(x)
    assert pysoftmax.softmax(x, out=out) is out
    assert seen[-1][2].ctypes.data == out.data_ptr()  # written by the C core, no copy
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    wide = torch.empty(x.shape, dtype=torch.float32)
    assert pysoftmax.log_softmax(x, out=wide, dtype=torch.float32) is wide
    assert seen[-1][2].ctypes.data == wide.data_ptr()
    torch.testing.assert_close(wide, pysoftmax.log_softmax(x.float()), rtol=0, atol=0)
    same = x.clone()
    assert pysoftmax.softmax(same, out=same) is same  # in place
    assert seen[-1][1].ctypes.data == seen[-1][2].ctypes.data == same.data_ptr()
    torch.testing.assert_close(same, expected, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", HALF)
def test_16_bit_masks_and_per_row_temperatures_go_through_float32(monkeypatch, dtype):
    # The C core's general entry points (masks, one temperature per row) are float32 and
    # float64 only: those calls still make a float32 copy, and give its bits rounded.
    x = half_sample(dtype, (5, 40))
    keep = torch.arange(40) % 3 != 1
    rows_t = torch.tensor([[0.5], [1.0], [2.0], [0.0], [math.inf]])
    seen = _spy_on_the_c_core(monkeypatch)
    for options in ({"where": keep}, {"temperature": rows_t}):
        for function in NORMALIZERS:
            got = call(function, x, **options)
            assert seen[-1][1].dtype == np.float32
            expected = call(function, x.float(), **options).to(dtype)
            torch.testing.assert_close(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_16_bit_tensors_on_the_device_path_are_rounded_once(device_path, dtype, function):
    # Off the CPU a 16-bit tensor is computed in float64 and rounded once, to its own dtype.
    x = half_sample(dtype, (6, 300), seed=5)
    got = call(function, x)
    assert device_path == [("device", function)] and got.dtype == dtype
    distance = half_ulp_distance(got, rounded_once(exact_in_float64(function, x, -1), dtype))
    assert distance.max() <= 1 and (distance > 0).float().mean() <= 0.001
    assert call(function, x, dtype=torch.float32).dtype == torch.float32


@pytest.mark.parametrize("dtype", HALF)
def test_16_bit_gradients_second_order(dtype):
    # create_graph: the backward pass in torch operations on the float32 output, still
    # differentiable.  Against torch's own softmax in float64 on the same values: the first
    # gradient is rounded to x's dtype on the way, so the two agree to that precision.
    data = (torch.randn(3, 8) * 3).to(dtype)
    half, wide = data.clone().requires_grad_(), data.double().requires_grad_()
    weights = torch.linspace(-1, 1, 8, dtype=torch.float64)
    ours = pysoftmax.softmax(half, temperature=0.5, dtype=torch.float32)
    theirs = torch.softmax(wide / 0.5, dim=-1)
    for leaf, y in ((half, ours), (wide, theirs)):
        (grad,) = torch.autograd.grad((y.double() ** 2).sum(), leaf, create_graph=True)
        (grad.double() * weights).sum().backward()
    assert half.grad.dtype == dtype and half.grad.abs().max() > 0
    epsilon = torch.finfo(dtype).eps
    torch.testing.assert_close(half.grad.double(), wide.grad, rtol=4 * epsilon, atol=4 * epsilon)


# ---- the device path (CUDA and others), exercised here on the CPU ------------------------


@pytest.fixture
def device_path(monkeypatch):
    """Send CPU tensors down the path that tensors on other devices take.

    Returns the calls of that path and of the C core, as (path, function).
    """
    calls = []
    on_device, run = torch_backend._on_device, c_backend._run

    def recorded_on_device(function, x, request):
        calls.append(("device", function))
        return on_device(function, x, request)

    def recorded_run(function, *args):
        calls.append(("c", function))
        return run(function, *args)

    monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    monkeypatch.setattr(torch_backend, "_on_device", recorded_on_device)
    monkeypatch.setattr(c_backend, "_run", recorded_run)
    return calls


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_device_path_agrees_with_the_c_core(device_path, function, axis, dtype):
    data = awkward_data(seed=1, dtype=dtype)
    for temperature in TEMPERATURES if function != "logsumexp" else [1.0]:
        kwargs = kwargs_for(function, temperature)
        expected = c_reference(function, data, axis=axis, **kwargs)
        device_path.clear()
        result = call(function, torch.from_numpy(data), axis=axis, backend="torch", **kwargs)
        assert device_path == [("device", function)]
        assert result.dtype == torch.from_numpy(data).dtype and result.device.type == "cpu"
        assert ulp_distance(result.numpy(), expected).max() <= 1, (temperature, axis)


def test_the_device_path_computes_on_the_tensors_device(monkeypatch):
    # Every array the generic method makes lives where x does: it is given
    # x's namespace and allocates with x's device (checked on the meta
    # device, where no value is ever computed).
    monkeypatch.setattr(torch_backend, "_uses_c_core", lambda x: False)
    x = torch.empty(3, 4, dtype=torch.float32, device="meta")
    for function in FUNCTIONS:
        result = torch_backend._forward(
            function,
            x,
            Request(x=x, xp=array_api_compat.array_namespace(x), axes=(1,), temperature=0.5),
        )
        assert result.device.type == "meta" and result.dtype == torch.float32


def test_the_device_path_is_differentiable(device_path):
    x = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    for function in FUNCTIONS:
        kwargs = kwargs_for(function, 0.37)
        assert torch.autograd.gradcheck(
            lambda t, f=function, k=kwargs: call(f, t, axis=(0, 2), **k), x
        )
    assert {path for path, _ in device_path} == {"device"}
    assert {function for _, function in device_path} == set(FUNCTIONS)


# ---- autograd ----------------------------------------------------------------------------


@pytest.mark.parametrize("function", NORMALIZERS)
@pytest.mark.parametrize("temperature", [1.0, 0.37, 6.5])
@pytest.mark.parametrize("axis", [-1, 0, (0, 2)])
def test_gradcheck_softmax_and_log_softmax(function, temperature, axis):
    x = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: call(function, t, axis=axis, temperature=temperature), x
    )


@pytest.mark.parametrize("keepdims", [True, False])
@pytest.mark.parametrize("axis", [-1, 0, (0, 2), None])
def test_gradcheck_logsumexp(keepdims, axis):
    x = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: pysoftmax.logsumexp(t, axis=axis, keepdims=keepdims), x
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_gradgradcheck(function):
    # The backward pass is written in torch operations on saved outputs, so
    # it is differentiable too.
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    kwargs = kwargs_for(function, 0.37)
    assert torch.autograd.gradgradcheck(lambda t: call(function, t, axis=0, **kwargs), x)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_gradients_match_torchs_own(function):
    # Another independent reference: torch's autograd through its own functions.
    data = torch.randn(4, 6, dtype=torch.float64) * 5.0
    weights = torch.randn(4, 6, dtype=torch.float64)
    temperature = 1.0 if function == "logsumexp" else 2.5
    ours = data.clone().requires_grad_()
    theirs = data.clone().requires_grad_()
    kwargs = kwargs_for(function, temperature)
    y_ours = call(function, ours, axis=1, **kwargs)
    if function == "logsumexp":
        y_theirs = torch.logsumexp(theirs, dim=1)
    else:
        y_theirs = getattr(torch, function)(theirs / temperature, dim=1)
    w = weights if function != "logsumexp" else weights[:, 0]
    (y_ours * w).sum().backward()
    (y_theirs * w).sum().backward()
    torch.testing.assert_close(ours.grad, theirs.grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("function", NORMALIZERS)
@pytest.mark.parametrize("temperature", [0.0, math.inf])
def test_the_limits_have_zero_gradient(function, temperature):
    x = torch.tensor([[1.0, 3.0, 3.0, -math.inf], [0.0, 2.0, -1.0, 5.0]], requires_grad=True)
    y = call(function, x, temperature=temperature)
    assert y.requires_grad
    (y * torch.arange(1.0, 5.0)).sum().backward()
    torch.testing.assert_close(x.grad, torch.zeros_like(x), rtol=0, atol=0)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_requires_grad_follows_the_input(function):
    x = torch.randn(2, 3)
    assert not call(function, x).requires_grad
    x.requires_grad_()
    assert call(function, x).requires_grad
    with torch.no_grad():
        assert not call(function, x).requires_grad
    with torch.inference_mode():
        assert not call(function, x).requires_grad
    zero_d = torch.tensor(1.5, requires_grad=True)
    result = call(function, zero_d)
    assert result.shape == () and result.requires_grad
    result.backward()
    assert zero_d.grad is not None and zero_d.grad.item() == (1.0 if function == "logsumexp" else 0)


def test_leaf_gradients_flow_through_a_model():
    layer = torch.nn.Linear(5, 4, dtype=torch.float64)
    x = torch.randn(3, 5, dtype=torch.float64)
    target = torch.tensor([0, 3, 1])
    loss = -pysoftmax.log_softmax(layer(x)).gather(1, target[:, None]).mean()
    loss.backward()
    reference = torch.nn.functional.cross_entropy(layer(x), target)
    expected = torch.autograd.grad(reference, layer.weight)[0]
    torch.testing.assert_close(loss, reference, rtol=1e-14, atol=0)
    torch.testing.assert_close(layer.weight.grad, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_inputs_get_gradients_in_their_dtype(function, dtype):
    data = torch.randn(3, 8) * 4
    half = data.to(dtype).requires_grad_()
    single = data.to(dtype).float().requires_grad_()
    kwargs = kwargs_for(function, 0.5)
    y_half = call(function, half, **kwargs)
    y_single = call(function, single, **kwargs)
    assert y_half.dtype == dtype and y_half.requires_grad
    # computed in float32 and rounded once
    torch.testing.assert_close(y_half, y_single.to(dtype), rtol=0, atol=0)
    weights = torch.linspace(-1, 2, 8) if function != "logsumexp" else torch.linspace(-1, 2, 3)
    (y_half * weights.to(dtype)).sum().backward()
    (y_single * weights.to(dtype).float()).sum().backward()
    assert half.grad is not None and half.grad.dtype == dtype
    torch.testing.assert_close(half.grad, single.grad.to(dtype), rtol=0, atol=0)


# ---- dtypes, shapes and devices ----------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_dtype_and_device_follow_the_input(function, dtype):
    x = torch.randn(2, 3, 4).to(dtype)
    result = call(function, x, axis=1)
    assert result.dtype == dtype and result.device == x.device
    assert result.shape == ((2, 4) if function == "logsumexp" else (2, 3, 4))
    # float16 and bfloat16: computed in float32 (by the C core), rounded once
    compute = x.numpy() if dtype in (torch.float32, torch.float64) else x.float().numpy()
    expected = torch.from_numpy(c_reference(function, compute, axis=1)).to(dtype)
    torch.testing.assert_close(result, expected, rtol=0, atol=0)


@pytest.mark.parametrize("default", [torch.float32, torch.float64])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_integer_tensors_give_the_default_float(function, default):
    previous = torch.get_default_dtype()
    torch.set_default_dtype(default)
    try:
        result = call(function, torch.tensor([[1, 2, 3], [-4, 0, 9]]))
    finally:
        torch.set_default_dtype(previous)
    assert result.dtype == default
    numpy_dtype = np.float32 if default == torch.float32 else np.float64
    expected = c_reference(function, np.array([[1, 2, 3], [-4, 0, 9]], dtype=numpy_dtype))
    np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_keepdims_and_axes(function):
    x = torch.randn(2, 3, 4, dtype=torch.float64)
    for axis in [0, 1, -1, (0, 2), (2, 0), None]:
        result = call(function, x, axis=axis)
        expected = c_reference(function, x.numpy(), axis=axis)
        np.testing.assert_array_equal(result.numpy(), expected)
    if function == "logsumexp":
        kept = pysoftmax.logsumexp(x, axis=(0, 2), keepdims=True)
        assert kept.shape == (1, 3, 1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("axis", [-1, 0, (0, 2)])
def test_cuda_tensors_stay_on_the_device_and_gradcheck(function, axis):
    x = torch.randn(3, 4, 5, dtype=torch.float64, device="cuda", requires_grad=True)
    kwargs = kwargs_for(function, 0.37)
    result = call(function, x, axis=axis, **kwargs)
    assert result.device == x.device and result.requires_grad
    expected = c_reference(function, x.detach().cpu().numpy(), axis=axis, **kwargs)
    for got, want in zip(result.detach().cpu().numpy().ravel(), expected.ravel(), strict=True):
        assert reference.ulp_distance(float(got), float(want), np.float64) <= 1
    assert torch.autograd.gradcheck(lambda t: call(function, t, axis=axis, **kwargs), x)


# ---- gradients in the temperature ----------------------------------------------------------


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("per_row", [False, True], ids=["one", "per-row"])
def test_gradients_in_the_temperature(function, per_row):
    generator = torch.Generator().manual_seed(11)
    x = torch.randn(4, 6, dtype=torch.float64, generator=generator, requires_grad=True)
    shape = (4, 1) if per_row else ()
    temperature = torch.full(shape, 0.7, dtype=torch.float64, requires_grad=True)

    def ours(x, t):
        return getattr(pysoftmax, function)(x, temperature=t)

    assert torch.autograd.gradcheck(ours, (x, temperature))
    assert torch.autograd.gradgradcheck(ours, (x, temperature))
    weights = torch.randn(4, 6, dtype=torch.float64, generator=generator)
    (weights * ours(x, temperature)).sum().backward()
    reference = temperature.detach().clone().requires_grad_()
    (weights * getattr(torch, function)(x.detach() / reference, -1)).sum().backward()
    torch.testing.assert_close(temperature.grad, reference.grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_the_temperature_gradient_is_finite_with_minus_infinity_and_zero_at_the_limits(function):
    x = torch.tensor([[1.0, -math.inf, 3.0], [0.5, 2.0, -1.0]], dtype=torch.float64)
    weights = torch.tensor([[0.3, 0.0, 2.0], [1.0, 0.7, 0.2]], dtype=torch.float64)

    def gradient(t, data):
        temperature = torch.tensor(t, dtype=torch.float64, requires_grad=True)
        y = getattr(pysoftmax, function)(data, temperature=temperature)
        torch.where(torch.isfinite(y), weights * y, 0.0).sum().backward()
        return temperature.grad

    finite = x.clone()
    finite[0, 1] = -1e4  # the same row to every digit: its entry's exp is 0
    ours = gradient(0.9, x)
    assert torch.isfinite(ours) and float(ours) == pytest.approx(
        float(gradient(0.9, finite)), rel=1e-14
    )
    for limit in (0.0, math.inf):
        assert float(gradient(limit, x)) == 0.0


# ---- the fast path for small CPU tensors ---------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_small_cpu_tensors_take_the_fast_path_with_the_same_bits(dtype, fast_calls):
    suffix = "f32" if dtype == torch.float32 else "f64"
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(3, 7, dtype=dtype, generator=generator) * 30
    x[1, 2] = -math.inf
    x[2, :] = math.inf
    cases = [
        ("softmax", {}),
        ("log_softmax", {"temperature": 0.3}),
        ("softmax", {"axis": 1, "temperature": 0}),
        ("logsumexp", {}),
        ("logsumexp", {"keepdims": True}),
    ]
    for function, kwargs in cases:
        fast = getattr(pysoftmax, function)(x, **kwargs)
        general = getattr(pysoftmax, function)(x, backend="torch", **kwargs)
        assert type(fast) is torch.Tensor and fast.dtype == dtype and fast.shape == general.shape
        assert torch.equal(
            fast.view(-1).view(torch.int32 if suffix == "f32" else torch.int64),
            general.view(-1).view(torch.int32 if suffix == "f32" else torch.int64),
        )
    assert [name for name, _, _ in fast_calls] == [
        f"softmax_{suffix}",
        f"log_softmax_{suffix}",
        f"softmax_{suffix}",
        f"logsumexp_{suffix}",
        f"logsumexp_{suffix}",
    ]


def test_tensors_the_fast_path_does_not_take(fast_calls):
    x = torch.randn(4, 6, dtype=torch.float64)
    for tensor, kwargs in [
        (x.clone().requires_grad_(), {}),  # autograd
        (x.t(), {}),  # not contiguous
        (x.to(torch.float16), {}),
        (torch.arange(6), {}),
        (torch.nn.Parameter(x.clone(), requires_grad=False), {}),  # a subclass
        (x, {"axis": 0}),
        (x, {"where": x > 0}),
        (torch.zeros(3, 0), {}),
        (torch.ones(1024, 1024), {}),  # threaded
    ]:
        result = pysoftmax.softmax(tensor, **kwargs)
        assert isinstance(result, torch.Tensor)
    assert fast_calls == []


def test_a_tensor_with_the_negative_bit_is_read_as_its_value():
    x = torch.randn(3, 5, dtype=torch.float64)
    negated = torch._neg_view(x)
    assert negated.is_neg()
    for function in FUNCTIONS:
        for kwargs in ({}, {"axis": 0}):
            result = call(function, negated, **kwargs)
            expected = call(function, -x, **kwargs)
            assert torch.equal(result, expected), (function, kwargs)
