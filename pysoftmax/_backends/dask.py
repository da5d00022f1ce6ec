"""The Dask backend: lazy results, for data that outgrow one machine.

When every reduced axis lies inside one chunk, each block is a set of whole
rows: ``map_blocks`` hands it to pysoftmax itself (numpy blocks go to the C
core, one thread per block: Dask runs the blocks in parallel).  When a
reduced axis spans chunks, no block holds a whole row; the array-API
backend's method then runs on the Dask array as it is: its
reductions (max, counts, the exact extraction sums of the exponentials)
become Dask tree reductions and the rest is blockwise, so no worker ever
holds a whole row.  Nothing is computed until the caller asks.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from typing import Any

import numpy as np

from .._request import Request
from . import array_api

NAME = "dask"
FEATURES = frozenset({"weights"})
DESCRIPTION = (
    "dask arrays, lazily: blockwise through pysoftmax when each row lies in one chunk, "
    "else tree reductions of the array-API method"
)


def availability() -> tuple[bool, str]:
    """Return whether dask.array can be imported, and why not (without importing it)."""
    if "dask.array" in sys.modules or importlib.util.find_spec("dask") is not None:
        return True, "dask is installed"
    return False, "dask is not installed"


def refuses(x: Any) -> str | None:
    """Return why this backend cannot take ``x``, or None for a Dask array."""
    import array_api_compat

    return None if array_api_compat.is_dask_array(x) else "it takes dask arrays only"


def computes_natively(dtype: Any, result_dtype: Any) -> bool:
    """Whether float16 or bfloat16 arrays come as they are (see ``pysoftmax/_backends``).

    The blocks go to pysoftmax in their own dtype (numpy blocks: to the C core, without a
    float32 copy); a row spread over blocks is computed in float32 and rounded back here, in
    the blocks, where the overflow of a correct rounding to +-inf raises no numpy warning (the
    front door's rounding would run only when the graph is computed, outside its errstate).
    """
    dtype = np.dtype(dtype)
    return (
        dtype.itemsize == 2
        and dtype.name in ("float16", "bfloat16")
        and np.dtype(result_dtype).name == dtype.name
    )


def _rows_are_whole_blocks(x: Any, axes: tuple[int, ...]) -> bool:
    return all(len(x.chunks[axis]) == 1 for axis in axes)


def _round_to(dtype: Any) -> Any:
    """Return a block function that rounds the generic backend's float64 result to ``dtype``."""

    def round_block(block: Any) -> Any:
        with np.errstate(over="ignore"):  # +-inf is the correct rounding there
            return block.astype(dtype)

    return round_block


def _compute(request: Request, function: str) -> Any:
    """Compute ``function`` of the Dask array lazily: blockwise when rows are whole blocks."""
    import pysoftmax

    x = request.x
    if not _rows_are_whole_blocks(x, request.axes):
        if x.dtype.itemsize == 2:  # the method runs in float32, then rounds to x's dtype
            request = dataclasses.replace(request, x=x.astype(np.float32))
        result = getattr(array_api, function)(request)
        return result.map_blocks(_round_to(x.dtype), dtype=x.dtype)
    if function == "logsumexp":  # keeps the reduced axes, with size 1
        kwargs: dict[str, Any] = {"keepdims": True}
        chunks = tuple((1,) if axis in request.axes else c for axis, c in enumerate(x.chunks))
    else:
        kwargs, chunks = {"temperature": request.temperature}, x.chunks
    apply = getattr(pysoftmax, function)
    # One thread per block: Dask's scheduler already runs blocks in parallel.
    return x.map_blocks(
        lambda block: apply(block, axis=request.axes, threads=1, **kwargs),
        chunks=chunks,
        dtype=x.dtype,
    )


def softmax(request: Request) -> Any:
    """Softmax of the Dask array ``request.x``, lazily."""
    return _compute(request, "softmax")


def log_softmax(request: Request) -> Any:
    """Log-softmax of the Dask array ``request.x``, lazily."""
    return _compute(request, "log_softmax")


def logsumexp(request: Request) -> Any:
    """Logsumexp of the Dask array ``request.x``, lazily, keeping the reduced axes.

    With ``request.weights`` (``b=``): ``(log|sum(b exp(x))|, sign)``, lazily, by the generic
    method in Dask array operations (the C core's bits, any chunking).
    """
    if request.weights is not None:
        return array_api.weighted_logsumexp(request)
    return _compute(request, "logsumexp")
