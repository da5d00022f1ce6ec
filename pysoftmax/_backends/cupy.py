"""The CuPy backend: CuPy arrays, computed on their GPU by the C core's algorithm.

The kernels are ``csrc/cuda/row_kernels.cu``: the C core's own row numerics
(``csrc/src/row_numerics.h`` and the edge-case table), compiled as device
code by NVRTC through :class:`cupy.RawModule` the first time they are needed
on a device (CuPy caches the binary on disk), one thread block per row.  The
array is viewed as ``rows x n`` with two strides, as for the C core, so any
single reduced axis is read in place; results stay on the array's device
and no data goes through the host.

CuPy is imported only when a CuPy array is met (or the backend is asked
for), so this module imports without it, and without a GPU the backend
reports itself unavailable with CUDA's reason.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .._request import Request
from ._layout import as_rows, element_strides, logsumexp_shape, restore

NAME = "cupy"
FEATURES = frozenset({"weights"})
DESCRIPTION = "CuPy arrays on their GPU: the C core's row algorithm as CUDA kernels (NVRTC)"

THREADS_PER_BLOCK = 256  # a power of two, at most PSM_CUDA_MAX_BLOCK in the kernel source
MAX_BLOCKS = 65_535  # the kernels take the rows beyond the grid in turn

# NVRTC options: no FMA contraction (the double-double arithmetic must stay
# exact), the C core's headers on the include path, IEEE division, square
# roots and subnormals.
_BASE_OPTIONS = ("--fmad=false", "--prec-div=true", "--prec-sqrt=true", "--ftz=false")

_SUFFIXES = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


def source_directory() -> Path:
    """Return the folder holding ``cuda/row_kernels.cu`` and ``src/*.h``.

    An installed wheel carries a copy in ``pysoftmax/_csrc`` (setup.py puts
    it there); a source checkout (editable install) uses ``csrc/`` itself.
    """
    packaged = Path(__file__).resolve().parent.parent / "_csrc"
    if (packaged / "cuda").is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "csrc"


def kernel_source() -> str:
    """Return the CUDA source that NVRTC compiles (it includes ``row_numerics.h``)."""
    return (source_directory() / "cuda" / "row_kernels.cu").read_text(encoding="utf-8")


def compile_options() -> tuple[str, ...]:
    """Return the NVRTC options: the base ones and the include path of the C core."""
    return (*_BASE_OPTIONS, f"-I{source_directory() / 'src'}")


def availability() -> tuple[bool, str]:
    """Return whether CuPy is installed and sees a GPU, and why not.

    CuPy is not imported here when it has not been imported yet: a CuPy
    array cannot exist before it is.
    """
    module = sys.modules.get("cupy")
    if module is None:
        if importlib.util.find_spec("cupy") is None:
            return False, "cupy is not installed"
        return True, "cupy is installed (not imported yet)"
    try:
        count = module.cuda.runtime.getDeviceCount()
    except Exception as error:  # CuPy raises its own CUDA error types without a driver
        return False, f"cupy {module.__version__} cannot reach a GPU ({error})"
    if count == 0:
        return False, f"cupy {module.__version__} sees no CUDA device"
    return True, f"cupy {module.__version__}, {count} CUDA device(s)"


def refuses(x: Any) -> str | None:
    """Return why this backend cannot take ``x``, or None: it takes CuPy arrays."""
    module = sys.modules.get("cupy")
    if module is None or not isinstance(x, module.ndarray):
        return "it takes CuPy arrays only"
    return None


@functools.cache
def _module(device_id: int) -> Any:
    """Return the compiled kernels for one device (compiled once per process)."""
    import cupy

    with cupy.cuda.Device(device_id):
        return cupy.RawModule(code=kernel_source(), options=compile_options())


def _kernel(function: str, matrix: Any) -> Any:
    return _module(matrix.device.id).get_function(f"psm_cuda_{function}_{_SUFFIXES[matrix.dtype]}")


def _launch(function: str, matrix: Any, result: Any, *extra: Any) -> None:
    """Run ``psm_cuda_<function>`` on a ``rows x n`` matrix into ``result``, on its device."""
    import cupy

    rows, n = matrix.shape
    if rows == 0:
        return
    result_strides = [np.int64(s) for s in element_strides(result)]
    if result.ndim == 1:  # logsumexp: one value per row
        result_strides = result_strides[:1]
    with cupy.cuda.Device(matrix.device.id):
        _kernel(function, matrix)(
            (min(rows, MAX_BLOCKS),),
            (THREADS_PER_BLOCK,),
            (
                matrix,
                *(np.int64(s) for s in element_strides(matrix)),
                result,
                *result_strides,
                np.int64(rows),
                np.int64(n),
                *extra,
            ),
        )


def _normalize(function: str, request: Request) -> Any:
    import cupy

    matrix, moved_shape = as_rows(request.x, request.axes, cupy)
    result = cupy.empty(matrix.shape, dtype=matrix.dtype)
    _launch(function, matrix, result, np.float64(request.temperature))
    return restore(result, moved_shape, request.axes, cupy)


def softmax(request: Request) -> Any:
    """Softmax of ``request.x`` over ``request.axes``, on the array's GPU."""
    return _normalize("softmax", request)


def log_softmax(request: Request) -> Any:
    """Log-softmax of ``request.x`` over ``request.axes``, on the array's GPU."""
    return _normalize("log_softmax", request)


def logsumexp(request: Request) -> Any:
    """Logsumexp of ``request.x`` over ``request.axes``, keeping them with size 1.

    With ``request.weights`` (``b=``): ``(log|sum(b exp(x))|, sign)`` by the generic method
    in CuPy array operations, on the array's GPU.
    """
    import cupy

    if request.weights is not None:
        from . import array_api

        return array_api.weighted_logsumexp(request)

    matrix, moved_shape = as_rows(request.x, request.axes, cupy)
    result = cupy.empty(matrix.shape[0], dtype=matrix.dtype)
    _launch("logsumexp", matrix, result)
    return restore(result, logsumexp_shape(moved_shape, request.axes), request.axes, cupy)
