"""The C backend: numpy arrays on the CPU, computed by the C core through cffi.

The reduced axes are moved last and the array is viewed as ``rows x n``
with two strides; whenever that view exists (any single reduced axis, a
transposed or sliced array, reduced axes that collapse into one) and is
aligned and in native byte order, the C core's strided entry points read the
caller's memory directly; otherwise one copy is made.  cffi releases the GIL
for the duration of the call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._request import Request
from ._layout import as_rows, element_strides, logsumexp_shape, restore

try:
    from .. import _core
except ImportError as error:  # the extension was not built
    _core = None  # type: ignore[assignment]
    _IMPORT_ERROR = f"the compiled module pysoftmax._core is missing ({error})"

NAME = "c"
DESCRIPTION = "numpy arrays on the CPU, through the C core (cffi)"

_C_TYPES = {np.dtype(np.float32): "float *", np.dtype(np.float64): "double *"}


def availability() -> tuple[bool, str]:
    """Return whether the compiled C core can be loaded, and why not."""
    if _core is None:
        return False, _IMPORT_ERROR
    return True, f"C core {_core.ffi.string(_core.lib.psm_version()).decode()} loaded"


def refuses(x: Any) -> str | None:
    """Return why this backend cannot take ``x``, or None: it takes numpy arrays only."""
    return None if isinstance(x, np.ndarray) else "it takes numpy arrays only"


def check_status(status: int) -> None:
    """Raise the Python exception for a C status code; return for ``PSM_OK``."""
    if status == 0:
        return
    message = _core.ffi.string(_core.lib.psm_strerror(status)).decode()
    if status == _core.lib.PSM_E_TEMPERATURE:
        raise ValueError(message)
    raise RuntimeError(f"pysoftmax C core failed with status {status}: {message}")


def _pointer(array: np.ndarray) -> Any:
    """Return the address of ``array[0, ...]`` as a C pointer of its element type."""
    return _core.ffi.cast(_C_TYPES[array.dtype], array.__array_interface__["data"][0])


def _run(function: str, matrix: np.ndarray, result: np.ndarray, *temperature: float) -> None:
    """Call ``psm_<function>_strided_<f32|f64>`` on a matrix and its output buffer.

    The caller keeps both arrays alive during the call; the C core checks
    every size, stride and overlap again.
    """
    suffix = "f32" if matrix.dtype == np.float32 else "f64"
    check_status(
        getattr(_core.lib, f"psm_{function}_strided_{suffix}")(
            _pointer(matrix),
            *element_strides(matrix),
            _pointer(result),
            *element_strides(result),
            matrix.shape[0],
            matrix.shape[1],
            *temperature,
        )
    )


def _normalize(request: Request, function: str) -> np.ndarray:
    matrix, moved_shape = as_rows(request.x, request.axes, np)
    result = np.empty_like(matrix)
    _run(function, matrix, result, request.temperature)
    restored: np.ndarray = restore(result, moved_shape, request.axes, np)
    return restored


def softmax(request: Request) -> np.ndarray:
    """Softmax of ``request.x`` over ``request.axes``, by the C core."""
    return _normalize(request, "softmax")


def log_softmax(request: Request) -> np.ndarray:
    """Log-softmax of ``request.x`` over ``request.axes``, by the C core."""
    return _normalize(request, "log_softmax")


def logsumexp(request: Request) -> np.ndarray:
    """Logsumexp of ``request.x`` over ``request.axes``, keeping them with size 1."""
    matrix, moved_shape = as_rows(request.x, request.axes, np)
    result = np.empty(matrix.shape[0], dtype=matrix.dtype)
    _run("logsumexp", matrix, result)
    restored: np.ndarray = restore(
        result, logsumexp_shape(moved_shape, request.axes), request.axes, np
    )
    return restored
