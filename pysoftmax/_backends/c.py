"""The C backend: numpy arrays on the CPU, computed by the C core through cffi.

The reduced axes are moved last and the array is viewed as ``rows x n``
with two strides; whenever that view exists (any single reduced axis, a
transposed or sliced array, reduced axes that collapse into one) and is
aligned and in native byte order, the C core's strided entry points read the
caller's memory directly; otherwise one copy is made.  cffi releases the GIL
for the duration of the call.  float16 and ml_dtypes' bfloat16 arrays go to
the C core's 16-bit entry points as they are (:func:`computes_natively`):
the C core widens them to float32 a few rows at a time, so there is no
float32 copy of the input, and the result comes back in the input's dtype,
or in float32 (``dtype=float32``: its ``*_f16_f32``, ``*_bf16_f32`` entry
points).

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

# The C core's element types, by dtype name: the C type, the size, the suffix of the entry
# points.  bfloat16 is ml_dtypes' (any 2-byte dtype numpy calls "bfloat16"), given to the C
# core as its bits, as float16 is.
_ELEMENTS = {
    "float32": ("float *", 4, "f32"),
    "float64": ("double *", 8, "f64"),
    "float16": ("uint16_t *", 2, "f16"),
    "bfloat16": ("uint16_t *", 2, "bf16"),
    "bool": ("unsigned char *", 1, ""),  # masks: numpy's bool is one byte, 0 or 1
}
# bfloat16 without ml_dtypes: torch's bfloat16 tensors have no numpy dtype, so the torch
# backend hands their memory over as uint16 arrays of this dtype, whose metadata names the
# format (numpy keeps a dtype's metadata through views, reshapes and empty_like).  A plain
# uint16 array has no such metadata: it is never read as bfloat16.
BFLOAT16_BITS = np.dtype(np.uint16, metadata={"pysoftmax_format": "bfloat16"})
# Masks and per-row temperatures go to the C core's general entry points.
# out=: the result is written into the caller's array where its rows x n view is a view.
FEATURES = frozenset({"where", "temperature_array", "out", "weights"})

# What one entry costs the kernels, relative to float32 (measured: float64's double-double
# arithmetic takes about four times as long; a 16-bit entry, widened and rounded on the way,
# 1.5 times in rows of up to 4096 entries, 3.5 times in longer ones, which take two passes).
# A call's work is its entries times this cost.
ENTRY_COST = {np.dtype(np.float32): 1, np.dtype(np.float64): 4, np.dtype(np.float16): 2}
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


def _element(dtype: Any) -> tuple[str, int, str] | None:
    """Return ``dtype``'s C type, size and entry-point suffix, or None."""
    dtype = np.dtype(dtype)
    name = (dtype.metadata or {}).get("pysoftmax_format", dtype.name)
    element = _ELEMENTS.get(name)
    return element if element is not None and element[1] == dtype.itemsize else None


def computes_natively(dtype: Any, result_dtype: Any) -> bool:
    """Whether the C core takes ``x`` of this 16-bit dtype itself (float16, bfloat16).

    The front door then passes ``x`` on as it is instead of a float32 copy
    (see ``pysoftmax/_backends``), with the result's dtype in
    ``Request.result_dtype``: ``x``'s own, or float32.
    """
    element = _element(dtype)
    wanted = np.dtype(result_dtype).name
    return element is not None and element[1] == 2 and wanted in (np.dtype(dtype).name, "float32")


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
    return _core.ffi.cast(element[0], array.__array_interface__["data"][0])


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
    function: str,
    matrix: np.ndarray,
    result: np.ndarray,
    threads: int,
    temperature: float | np.ndarray | None = None,
    where: np.ndarray | None = None,
) -> None:
    """Compute ``function`` of a ``rows x n`` matrix into its output buffer.

    ``temperature`` is None (logsumexp), a float, or one per row (a vector);
    ``where`` None or a ``rows x n`` boolean mask.  Without either, the call
    is ``psm_<function>_strided_<f32|f64|f16|bf16>`` (a float32 ``result`` of
    a 16-bit matrix: ``..._f16_f32``, ``..._bf16_f32``), else
    ``psm_<function>_general_<f32|f64>``.
    Large matrices are cut into blocks of rows (:func:`rows_per_block`), one
    call each, on up to ``threads`` threads (fewer where the matrix is not
    large enough to give each ``WORK_PER_THREAD``); one thread makes one call.
    The caller keeps every array alive during the call; the C core checks
    every size, stride and overlap again.
    """
    lib = _core.lib
    element = _element(matrix.dtype)
    assert element is not None
    suffix = element[2]
    if element[1] == 2 and result.dtype == np.float32:
        suffix += "_f32"
    source, (source_row_stride, source_stride) = _pointer(matrix), element_strides(matrix)
    target, (target_row_stride, *target_stride) = _pointer(result), element_strides(result)
    rows, n = matrix.shape
    keep_alive: list[np.ndarray] = [matrix, result]
    general = where is not None or isinstance(temperature, np.ndarray)
    strided_kernel = getattr(lib, f"psm_{function}_strided_{suffix}")
    if general:  # float32 or float64 only: the front door gives the others no side inputs
        kernel = getattr(lib, f"psm_{function}_general_{suffix}")
        mask, (mask_row_stride, mask_stride) = _core.ffi.NULL, (0, 0)
        if where is not None:
            mask, (mask_row_stride, mask_stride) = _pointer(where), list(where.strides)
            keep_alive.append(where)
        temperatures, temperature_stride = _core.ffi.NULL, 0
        if temperature is not None:
            vector = np.asarray(temperature, dtype=matrix.dtype).reshape(-1)
            if vector.size not in (1, rows):  # the C core reads one per row: never past them
                raise ValueError(
                    f"temperature: {vector.size} temperatures for {rows} rows (one, or one per row)"
                )
            keep_alive.append(vector)
            temperatures = _pointer(vector)
            temperature_stride = 0 if vector.size == 1 else vector.strides[0] // vector.itemsize

    def call(start: int, count: int) -> int:
        source_block = source + start * source_row_stride
        target_block = target + start * target_row_stride
        if not general:
            extra = () if temperature is None else (temperature,)
            return int(
                strided_kernel(
                    source_block,
                    source_row_stride,
                    source_stride,
                    target_block,
                    target_row_stride,
                    *target_stride,
                    count,
                    n,
                    *extra,
                )
            )
        mask_block = mask if where is None else mask + start * mask_row_stride
        arguments: list[Any] = [source_block, source_row_stride, source_stride]
        arguments += [mask_block, mask_row_stride, mask_stride]
        if temperature is not None:
            arguments += [temperatures + start * temperature_stride, temperature_stride]
        arguments += [target_block, target_row_stride, *target_stride, count, n]
        return int(kernel(*arguments))

    work = rows * n * _entry_cost(matrix.dtype)
    threads = min(threads, work // WORK_PER_THREAD)
    if rows < 2 or work < MIN_THREADED_WORK or threads <= 1:
        check_status(call(0, rows))
        return
    per_block = rows_per_block(rows, n, source_row_stride == 1 and source_stride != 1)

    # The pointers do not own the memory: the closure holds the arrays, for a helper may
    # still be writing after the caller left (interrupted while it waited).
    def block(index: int, arrays: list[np.ndarray] = keep_alive) -> None:
        start = index * per_block
        check_status(call(start, min(per_block, rows - start)))

    run_blocks(block, math.ceil(rows / per_block), threads)


def _side_inputs(request: Request) -> tuple[Any, np.ndarray | None]:
    """Return the request's temperature (a float, or a vector with one per row) and mask.

    Both in the row order of ``as_rows(request.x, request.axes)``.
    """
    temperature = request.temperature
    if request.per_row_temperature:
        temperature = as_rows(np.asarray(temperature), request.axes, np)[0][:, 0]
    where = None
    if request.where is not None:
        where = as_rows(np.asarray(request.where, dtype=np.bool_), request.axes, np)[0]
    return temperature, where


def _output(request: Request, matrix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Return the buffer the C core writes: a view of ``request.out`` where there is one.

    ``request.out`` has the computed dtype and the result's full shape (see
    :class:`~pysoftmax._request.Request`).  Its ``rows x n`` view (``rows x 1``
    for logsumexp) is used when it is a view, and either shares no memory
    with the input or is the input itself (in place); otherwise a new array.
    """
    out = request.out
    if out is not None:
        view = as_rows(out, request.axes, np)[0]
        if view.shape[1] == 1 and len(shape) == 1:
            view = view[:, 0]
        if np.shares_memory(view, out) and view.shape == shape:
            in_place = (
                view.__array_interface__["data"][0] == matrix.__array_interface__["data"][0]
                and view.strides == matrix.strides
            )
            if in_place or not np.shares_memory(view, matrix):
                chosen: np.ndarray = view
                return chosen
    if shape == matrix.shape:
        # The input's layout (empty_like keeps its strides): rows side by side stay side by
        # side, which the C core's kernel across rows needs of both (10x slower otherwise).
        return np.empty_like(matrix, dtype=_result_dtype(request, matrix))
    return np.empty(shape, dtype=_result_dtype(request, matrix))


def _result_dtype(request: Request, matrix: np.ndarray) -> np.dtype:
    """Return the dtype the C core writes: the matrix's, or float32 asked for a 16-bit one."""
    if request.result_dtype is not None and np.dtype(request.result_dtype) == np.float32:
        return np.dtype(np.float32)
    return matrix.dtype


def _normalize(request: Request, function: str) -> np.ndarray:
    matrix, moved_shape = as_rows(request.x, request.axes, np)
    result = _output(request, matrix, matrix.shape)
    temperature, where = _side_inputs(request)
    _run(function, matrix, result, request.threads, temperature, where)
    restored: np.ndarray = restore(result, moved_shape, request.axes, np)
    return restored


def softmax(request: Request) -> np.ndarray:
    """Softmax of ``request.x`` over ``request.axes``, by the C core."""
    return _normalize(request, "softmax")


def log_softmax(request: Request) -> np.ndarray:
    """Log-softmax of ``request.x`` over ``request.axes``, by the C core."""
    return _normalize(request, "log_softmax")


def _weighted_logsumexp(request: Request) -> tuple[np.ndarray, np.ndarray]:
    """``(log|sum(b * exp(x))|, sign)`` over the reduced axes (kept, size 1), by the C core."""
    matrix, moved_shape = as_rows(request.x, request.axes, np)
    weights = as_rows(np.asarray(request.weights, dtype=matrix.dtype), request.axes, np)[0]
    values = np.empty(matrix.shape[0], dtype=matrix.dtype)
    signs = np.empty(matrix.shape[0], dtype=matrix.dtype)
    suffix = "f32" if matrix.dtype == np.float32 else "f64"
    (x_row, x_entry), (b_row, b_entry) = element_strides(matrix), element_strides(weights)
    check_status(
        getattr(_core.lib, f"psm_logsumexp_weighted_{suffix}")(
            _pointer(matrix),
            x_row,
            x_entry,
            _pointer(weights),
            b_row,
            b_entry,
            _pointer(values),
            1,
            _pointer(signs),
            1,
            matrix.shape[0],
            matrix.shape[1],
        )
    )
    shape = logsumexp_shape(moved_shape, request.axes)
    return (
        restore(values, shape, request.axes, np),
        restore(signs, shape, request.axes, np),
    )


def logsumexp(request: Request) -> Any:
    """Logsumexp of ``request.x`` over ``request.axes``, keeping them with size 1.

    With ``request.weights``: ``(log|sum(b * exp(x))|, sign)``.
    """
    if request.weights is not None:
        return _weighted_logsumexp(request)
    matrix, moved_shape = as_rows(request.x, request.axes, np)
    result = _output(request, matrix, (matrix.shape[0],))
    _run("logsumexp", matrix, result, request.threads, None, _side_inputs(request)[1])
    restored: np.ndarray = restore(
        result, logsumexp_shape(moved_shape, request.axes), request.axes, np
    )
    return restored
