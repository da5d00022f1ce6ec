"""The C backend: numpy arrays on the CPU, computed by the C core through cffi.

The reduced axes are moved last and the array is viewed as ``rows x n``
with two strides; whenever that view exists (any single reduced axis, a
transposed or sliced array, reduced axes that collapse into one) and is
aligned and in native byte order, the C core's strided entry points read the
caller's memory directly; otherwise one copy is made.  cffi releases the GIL
for the duration of the call.  float16 and ml_dtypes' bfloat16 arrays go to
the C core's 16-bit entry points as they are (:func:`computes_natively`):
the C core widens them to float32 a few rows at a time, so there is no
float32 copy of the input, and the result comes back in the input's dtype.

Inputs of at least ``MIN_THREADED_WORK`` (entries weighted by
``ENTRY_COST``: 1M float32 or 256K float64 entries) in at least two rows are
cut into blocks of whole rows, one C call each, run on up to
``request.threads`` threads (:mod:`pysoftmax._threads`), at most one per
``WORK_PER_THREAD``.  The blocks depend on the shape alone, never on the
thread count, so every thread count gives the same bits.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._request import Request
from .._threads import run_blocks
from ._layout import as_rows, element_strides, logsumexp_shape, restore

try:
    from .. import _core
except ImportError as error:  # the extension was not built
    _core = None  # type: ignore[assignment]
    _IMPORT_ERROR = f"the compiled module pysoftmax._core is missing ({error})"

NAME = "c"
DESCRIPTION = "numpy arrays on the CPU, through the C core (cffi)"

# The C core's element types, by dtype name: the suffix of its entry points, the C type and
# the size.  bfloat16 is ml_dtypes' (any 2-byte dtype numpy calls "bfloat16"), given to the
# C core as its bits, as float16 is.
_ELEMENTS = {
    "float32": ("f32", "float *", 4),
    "float64": ("f64", "double *", 8),
    "float16": ("f16", "uint16_t *", 2),
    "bfloat16": ("bf16", "uint16_t *", 2),
}

# What one entry costs the kernels, relative to float32 (measured: float64's double-double
# arithmetic takes about four times as long; a 16-bit entry, widened and rounded on the way,
# about three times).  A call's work is its entries times this cost.
ENTRY_COST = {np.dtype(np.float32): 1, np.dtype(np.float64): 4, np.dtype(np.float16): 3}
# Below this much work (1M float32 or 256K float64 entries: about a millisecond), or with one
# row, a call is one C call on the calling thread, for any thread count: waking a second
# thread costs tens of microseconds, and below this it did not pay for itself (measured:
# README, "Threads and the cost of a call").
MIN_THREADED_WORK = 1 << 20
# A call uses at most one thread per this much work (2 threads from the threshold on).
WORK_PER_THREAD = 1 << 19
# Blocks hold about this many entries (a block is whole rows, at least one) ...
BLOCK_ELEMENTS = 1 << 16
# ... or more, so that there are about this many at most: every block boundary takes the GIL.
MAX_BLOCKS = 64
# Rows that lie side by side in memory (a reduced axis that is not the last) are computed by
# the C core's kernel across rows in strips of up to this many rows (PSM_COLUMNS in
# csrc/src/vector_rows.inc); blocks of such rows are whole strips.
COLUMN_STRIP = 512


def availability() -> tuple[bool, str]:
    """Return whether the compiled C core can be loaded, and why not."""
    if _core is None:
        return False, _IMPORT_ERROR
    version = _core.ffi.string(_core.lib.psm_version()).decode()
    isa = _core.ffi.string(_core.lib.psm_isa()).decode()
    return True, f"C core {version} loaded, {isa} kernels"


def refuses(x: Any) -> str | None:
    """Return why this backend cannot take ``x``, or None: it takes numpy arrays only."""
    return None if isinstance(x, np.ndarray) else "it takes numpy arrays only"


def computes_natively(dtype: Any) -> bool:
    """Whether the C core computes ``x`` of this 16-bit dtype itself (float16, bfloat16).

    The front door then passes ``x`` on in its own dtype instead of a float32
    copy; the C core computes it in float32 and rounds the result to ``dtype``.
    """
    element = _element(dtype)
    return element is not None and element[1] == "uint16_t *"


def _element(dtype: Any) -> tuple[str, str] | None:
    """Return the entry points' suffix and the C type for ``dtype``, or None."""
    dtype = np.dtype(dtype)
    element = _ELEMENTS.get(dtype.name)
    if element is None or dtype.itemsize != element[2]:
        return None
    return element[0], element[1]


def _entry_cost(dtype: np.dtype) -> int:
    """ENTRY_COST of ``dtype``; bfloat16 (not a numpy dtype of its own) costs what float16 does."""
    return ENTRY_COST.get(dtype, ENTRY_COST[np.dtype(np.float16)])


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
    element = _element(array.dtype)
    assert element is not None
    return _core.ffi.cast(element[1], array.__array_interface__["data"][0])


def rows_per_block(rows: int, n: int, side_by_side: bool = False) -> int:
    """Return how many rows make one block of a threaded ``rows x n`` call (the last may be short).

    A function of the shape and layout only: the thread count never moves a block
    boundary.  Rows side by side (row stride 1) come in whole strips of ``COLUMN_STRIP``.
    """
    entries = max(BLOCK_ELEMENTS, math.ceil(rows * n / MAX_BLOCKS))
    per_block = max(1, entries // n)
    if side_by_side:
        per_block = math.ceil(per_block / COLUMN_STRIP) * COLUMN_STRIP
    return per_block


def _run(
    function: str, matrix: np.ndarray, result: np.ndarray, threads: int, *temperature: float
) -> None:
    """Call ``psm_<function>_strided_<f32|f64|f16|bf16>`` on a matrix and its output buffer.

    Large matrices are cut into blocks of rows (:func:`rows_per_block`), one
    call each, on up to ``threads`` threads (fewer where the matrix is not
    large enough to give each ``WORK_PER_THREAD``).  The caller keeps both
    arrays alive during the call; the C core checks every size, stride and
    overlap again.
    """
    element = _element(matrix.dtype)
    assert element is not None
    kernel = getattr(_core.lib, f"psm_{function}_strided_{element[0]}")
    source, (source_row_stride, source_stride) = _pointer(matrix), element_strides(matrix)
    target, (target_row_stride, *target_stride) = _pointer(result), element_strides(result)
    rows, n = matrix.shape
    work = rows * n * _entry_cost(matrix.dtype)
    if rows < 2 or work < MIN_THREADED_WORK:
        check_status(
            kernel(
                source,
                source_row_stride,
                source_stride,
                target,
                target_row_stride,
                *target_stride,
                rows,
                n,
                *temperature,
            )
        )
        return
    per_block = rows_per_block(rows, n, source_row_stride == 1 and source_stride != 1)

    # The pointers do not own the memory: the closure holds the arrays, for a helper may
    # still be writing after the caller left (interrupted while it waited).
    def block(index: int, arrays: tuple[np.ndarray, ...] = (matrix, result)) -> None:
        start = index * per_block
        check_status(
            kernel(
                source + start * source_row_stride,
                source_row_stride,
                source_stride,
                target + start * target_row_stride,
                target_row_stride,
                *target_stride,
                min(per_block, rows - start),
                n,
                *temperature,
            )
        )

    threads = min(threads, work // WORK_PER_THREAD)
    run_blocks(block, math.ceil(rows / per_block), threads)


def _normalize(request: Request, function: str) -> np.ndarray:
    matrix, moved_shape = as_rows(request.x, request.axes, np)
    result = np.empty_like(matrix)
    _run(function, matrix, result, request.threads, request.temperature)
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
    _run("logsumexp", matrix, result, request.threads)
    restored: np.ndarray = restore(
        result, logsumexp_shape(moved_shape, request.axes), request.axes, np
    )
    return restored
