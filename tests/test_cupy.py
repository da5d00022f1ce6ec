"""The CuPy backend: its CUDA source compiles with NVRTC, it skips cleanly without a GPU,
and (on a machine with one) it computes on the array's device what the C core computes.

The kernels' logic is also run on the CPU, against the C library, by the C test
``csrc/tests/test_cuda_emulated.cpp`` (through tests/test_c_library.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import pysoftmax
from pysoftmax._backends import cupy as cupy_backend

ENTRY_POINTS = [
    f"psm_cuda_{function}_{suffix}"
    for suffix in ("f32", "f64")
    for function in ("softmax", "log_softmax", "logsumexp")
]


def _nvrtc() -> ctypes.CDLL | None:
    """NVRTC from the nvidia-cuda-nvrtc wheel (a test extra on Linux x86-64) or the system."""
    candidates = []
    spec = importlib.util.find_spec("nvidia")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidates += sorted(Path(location).glob("cu*/lib/libnvrtc.so*"))
            candidates += sorted(Path(location).glob("cuda_nvrtc/lib/libnvrtc.so*"))
    system = ctypes.util.find_library("nvrtc")
    if system:
        candidates.append(Path(system))
    for candidate in candidates:
        if "builtins" in candidate.name:
            continue
        try:
            return ctypes.CDLL(str(candidate))
        except OSError:
            continue
    return None


def _compile_to_ptx(nvrtc: ctypes.CDLL, source: str, options: tuple[str, ...]) -> tuple[int, str]:
    """Compile with NVRTC; return its status and the PTX (or the log on failure)."""
    program = ctypes.c_void_p()
    status = nvrtc.nvrtcCreateProgram(
        ctypes.byref(program), source.encode(), b"row_kernels.cu", 0, None, None
    )
    assert status == 0, f"nvrtcCreateProgram failed with {status}"
    try:
        encoded = [option.encode() for option in options]
        status = nvrtc.nvrtcCompileProgram(
            program, len(encoded), (ctypes.c_char_p * len(encoded))(*encoded)
        )
        size = ctypes.c_size_t()
        if status != 0:
            nvrtc.nvrtcGetProgramLogSize(program, ctypes.byref(size))
            log = ctypes.create_string_buffer(size.value)
            nvrtc.nvrtcGetProgramLog(program, log)
            return status, log.value.decode(errors="replace")
        nvrtc.nvrtcGetPTXSize(program, ctypes.byref(size))
        ptx = ctypes.create_string_buffer(size.value)
        nvrtc.nvrtcGetPTX(program, ptx)
        return status, ptx.value.decode()
    finally:
        nvrtc.nvrtcDestroyProgram(ctypes.byref(program))


NVRTC = _nvrtc()


@pytest.mark.skipif(NVRTC is None, reason="NVRTC is not installed (pip install nvidia-cuda-nvrtc)")
@pytest.mark.parametrize("architecture", ["compute_75", "compute_90"])
def test_the_kernels_compile_with_nvrtc_as_the_backend_compiles_them(architecture):
    assert NVRTC is not None
    options = (*cupy_backend.compile_options(), f"--gpu-architecture={architecture}")
    status, output = _compile_to_ptx(NVRTC, cupy_backend.kernel_source(), options)
    assert status == 0, output
    entries = [line.split()[2].rstrip("(") for line in output.splitlines() if ".entry" in line]
    assert sorted(entries) == sorted(ENTRY_POINTS)


@pytest.mark.skipif(NVRTC is None, reason="NVRTC is not installed (pip install nvidia-cuda-nvrtc)")
def test_nvrtc_rejects_a_broken_kernel_source():
    # The compile check above can fail: a source NVRTC cannot compile is reported.
    assert NVRTC is not None
    broken = cupy_backend.kernel_source().replace("psm_scan_merge(", "psm_scan_merge_missing(")
    status, log = _compile_to_ptx(NVRTC, broken, cupy_backend.compile_options())
    assert status != 0
    assert "psm_scan_merge_missing" in log


def test_the_kernel_source_and_headers_are_found():
    directory = cupy_backend.source_directory()
    source = cupy_backend.kernel_source()
    assert '#include "row_numerics.h"' in source
    for header in ("row_numerics.h", "double_double.h", "edge_rules.h", "portability.h"):
        assert (directory / "src" / header).is_file()
    assert any(option.startswith("-I") for option in cupy_backend.compile_options())
    assert "--fmad=false" in cupy_backend.compile_options()


def test_the_wheel_carries_every_file_nvrtc_reads():
    # setup.py copies CUDA_SOURCES into pysoftmax/_csrc: they must be the kernel
    # source and every header it includes, directly or not.
    csrc = Path(__file__).resolve().parent.parent / "csrc"
    listed = set(re.findall(r'"((?:cuda|src)/[\w.]+)"', (csrc.parent / "setup.py").read_text()))
    needed, pending = set(), ["cuda/row_kernels.cu"]
    while pending:
        name = pending.pop()
        needed.add(name)
        for included in re.findall(r'^#include "([\w.]+)"', (csrc / name).read_text(), re.M):
            if f"src/{included}" not in needed:
                pending.append(f"src/{included}")
    assert needed == listed


# ---- without a GPU: the backend says why, and nothing else changes ------------------------------


def test_without_cupy_the_backend_is_unavailable_and_other_arrays_are_unaffected(monkeypatch):
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "cupy" else real_find_spec(name, *args),
    )
    info = {b.name: b for b in pysoftmax.backends()}["cupy"]
    assert not info.available
    assert info.reason == "cupy is not installed"
    assert cupy_backend.refuses(np.ones(3)) == "it takes CuPy arrays only"
    with pytest.raises(
        ValueError,
        match=r"backend 'cupy' \(from backend=\) is not available: cupy is not installed",
    ):
        pysoftmax.softmax(np.ones(3), backend="cupy")
    np.testing.assert_array_equal(pysoftmax.softmax(np.zeros(2)), [0.5, 0.5])


def _fake_cupy(get_device_count: object) -> types.ModuleType:
    module = types.ModuleType("cupy")
    module.__version__ = "0.0-fake"  # type: ignore[attr-defined]
    module.ndarray = type("ndarray", (), {})  # type: ignore[attr-defined]
    module.cuda = types.SimpleNamespace(  # type: ignore[attr-defined]
        runtime=types.SimpleNamespace(getDeviceCount=get_device_count)
    )
    return module


def test_cupy_without_a_gpu_is_reported_with_cudas_reason(monkeypatch):
    def no_driver() -> int:
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(no_driver))
    available, reason = cupy_backend.availability()
    assert not available
    assert "cannot reach a GPU" in reason
    assert "no CUDA-capable device" in reason
    # A numpy array still goes to the C core, without a word from the CuPy backend.
    assert pysoftmax.softmax(np.zeros(2)).tolist() == [0.5, 0.5]


def test_cupy_with_no_devices_is_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(lambda: 0))
    assert cupy_backend.availability() == (False, "cupy 0.0-fake sees no CUDA device")


# ---- on a GPU -----------------------------------------------------------------------------------


def _gpu_cupy():
    try:
        import cupy
    except ImportError:
        return None
    try:
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:  # CuPy's CUDA errors without a driver
        return None


CUPY = _gpu_cupy()
needs_gpu = pytest.mark.skipif(CUPY is None, reason="no CuPy with a CUDA device on this machine")


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2), None])
@pytest.mark.parametrize("temperature", [1.0, 0.37, 0.0, np.inf])
def test_on_the_gpu_the_results_match_the_c_core(dtype, axis, temperature):
    rng = np.random.default_rng(7)
    values = (rng.standard_normal((5, 300, 3)) * 20).astype(dtype)
    values[1, 3, 0] = np.inf
    values[2, :, 1] = -np.inf
    x = CUPY.asarray(values)
    for function in ("softmax", "log_softmax"):
        result = getattr(pysoftmax, function)(x, axis=axis, temperature=temperature)
        assert isinstance(result, CUPY.ndarray)
        assert result.device == x.device
        expected = getattr(pysoftmax, function)(values, axis=axis, temperature=temperature)
        np.testing.assert_array_max_ulp(CUPY.asnumpy(result), expected, maxulp=1)
    result = pysoftmax.logsumexp(x, axis=axis)
    np.testing.assert_array_max_ulp(
        CUPY.asnumpy(result), pysoftmax.logsumexp(values, axis=axis), maxulp=1
    )


@needs_gpu
def test_on_the_gpu_long_rows_and_many_rows():
    rng = np.random.default_rng(3)
    for shape in [(1, 1_000_003), (100_000, 3)]:
        values = rng.standard_normal(shape) * 5
        result = pysoftmax.softmax(CUPY.asarray(values), backend="cupy")
        np.testing.assert_array_max_ulp(CUPY.asnumpy(result), pysoftmax.softmax(values), maxulp=1)


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_on_the_gpu_the_weighted_logsumexp_matches_the_c_core(dtype, monkeypatch):
    from pysoftmax import _side_inputs

    rng = np.random.default_rng(5)
    values = (rng.standard_normal((6, 400)) * 20).astype(dtype)
    weights = rng.standard_normal((6, 400)).astype(dtype)
    values[1, 3] = np.inf
    values[2, :] = -np.inf

    def no_host(*args, **kwargs):
        raise AssertionError("the weighted logsumexp of CuPy arrays went through the host")

    monkeypatch.setattr(_side_inputs, "weighted_logsumexp_on_host", no_host)
    x, b = CUPY.asarray(values), CUPY.asarray(weights)
    value, sign = pysoftmax.logsumexp(x, axis=-1, b=b, return_sign=True)
    assert isinstance(value, CUPY.ndarray) and value.device == x.device
    monkeypatch.undo()
    want_value, want_sign = pysoftmax.logsumexp(values, axis=-1, b=weights, return_sign=True)
    np.testing.assert_array_max_ulp(CUPY.asnumpy(value), want_value, maxulp=1)
    np.testing.assert_array_equal(CUPY.asnumpy(sign), want_sign)
