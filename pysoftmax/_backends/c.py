"""The C backend: numpy arrays on the CPU, computed by the C core through cffi.

The reduced axes are moved last and the array is viewed as ``rows x n``
with two strides; whenever that view exists (any single reduced axis, a
transposed or sliced array, reduced axes that collapse into one) and is
aligned and in native byte order, the C core's strided entry points read the
caller's memory directly; otherwise one copy is made.  cffi releases the GIL
for the duration of the call.

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

_C_TYPES = {np.dtype(np.float32): "float *", np.dtype(np.float64): "double *"}

# What one entry costs the kernels, relative to float32 (measured: float64's double-double
# arithmetic takes about four times as long).  A call's work is its entries times this cost.
ENTRY_COST = {np.dtype(np.float32): 1, np.dtype(np.float64): 4}
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
# the C core's kernel across rows, which declines them (to its row path) by strips of this
# many rows (PSM_COLUMN_STRIP in csrc/src/kernel_table.h): blocks of such rows are whole
# strips, so that each row takes the same path in a block as in one call ...
COLUMN_STRIP = 512
# ... and whole tiles of the float32 kernel (PSM_COLUMNS_F32 in csrc/src/vector_rows.inc): it
# reads 8 KB of each matrix row at a time, 1.2x faster than a strip's 2 KB.
COLUMN_TILE = 2048


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


def rows_per_block(rows: int, n: int, side_by_side: bool = False) -> int:
    """Return how many rows make one block of a threaded ``rows x n`` call (the last may be short).

    A function of the shape and layout only: the thread count never moves a block
    boundary.  Rows side by side (row stride 1) come in whole tiles of ``COLUMN_TILE``.
    """
    entries = max(BLOCK_ELEMENTS, math.ceil(rows * n / MAX_BLOCKS))
    per_block = max(1, entries // n)
    if side_by_side:
        per_block = math.ceil(per_block / COLUMN_TILE) * COLUMN_TILE
    return per_block


def _run(
    function: str, matrix: np.ndarray, result: np.ndarray, threads: int, *temperature: float
) -> None:
    """Call ``psm_<function>_strided_<f32|f64>`` on a matrix and its output buffer.

    Large matrices are cut into blocks of rows (:func:`rows_per_block`), one
    call each, on up to ``threads`` threads (fewer where the matrix is not
    large enough to give each ``WORK_PER_THREAD``).  The caller keeps both
    arrays alive during the call; the C core checks every size, stride and
    overlap again.
    """
    suffix = "f32" if matrix.dtype == np.float32 else "f64"
    kernel = getattr(_core.lib, f"psm_{function}_strided_{suffix}")
    source, (source_row_stride, source_stride) = _pointer(matrix), element_strides(matrix)
    target, (target_row_stride, *target_stride) = _pointer(result), element_strides(result)
    rows, n = matrix.shape
    work = rows * n * ENTRY_COST[matrix.dtype]
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
