"""An array seen as ``rows x n`` (the reduced axes last), for the kernels that walk rows.

The C core (numpy) and the CUDA kernels (CuPy) both take a matrix given by
a pointer and two element strides.  The reduced axes are moved last and the
result reshaped to two dimensions: a view whenever the axes collapse into
one stride each (any single reduced axis, a transposed, sliced, reversed or
broadcast array), else the library makes one copy.  A view the kernels
cannot read (byte-swapped, misaligned, strides that are not whole elements)
is copied once more into a plain C-contiguous array.
"""

from __future__ import annotations

import math
from typing import Any


def as_rows(x: Any, axes: tuple[int, ...], module: Any) -> tuple[Any, tuple[int, ...]]:
    """Return ``x`` (of array library ``module``) as a ``rows x n`` matrix, and its moved shape."""
    kept = x.ndim - len(axes)
    moved = module.moveaxis(x, axes, tuple(range(kept, x.ndim)))
    matrix = moved.reshape(math.prod(moved.shape[:kept]), math.prod(moved.shape[kept:]))
    readable = (
        matrix.dtype.isnative
        and getattr(matrix.flags, "aligned", True)  # CuPy arrays are always aligned
        and all(stride % matrix.itemsize == 0 for stride in matrix.strides)
    )
    if not readable:
        matrix = matrix.astype(matrix.dtype.newbyteorder("="), order="C")
    return matrix, moved.shape


def restore(values: Any, moved_shape: tuple[int, ...], axes: tuple[int, ...], module: Any) -> Any:
    """Return the ``rows x n`` (or ``rows``) result in the layout of the input's axes."""
    kept = len(moved_shape) - len(axes)
    moved = tuple(range(kept, len(moved_shape)))
    return module.moveaxis(values.reshape(moved_shape), moved, axes)


def element_strides(matrix: Any) -> list[int]:
    """Return the strides of ``matrix`` in elements (``as_rows`` makes them whole)."""
    return [stride // matrix.itemsize for stride in matrix.strides]


def logsumexp_shape(moved_shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """Return the moved shape of a logsumexp result: the reduced axes kept, size 1."""
    kept = len(moved_shape) - len(axes)
    return moved_shape[:kept] + (1,) * len(axes)
