"""The normalized request that the front door hands to a backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Request:
    """One call, checked and normalized once by the front door.

    Attributes
    ----------
    x : array
        The input, in the dtype to compute in (float32 or float64), or in
        float16 or bfloat16 for a backend that computes them itself
        (``computes_natively``), with at least one dimension and at least
        one entry along the reduced axes.
    xp : namespace
        ``x``'s array-API namespace.
    axes : tuple of int
        The reduced axes: non-negative, sorted, without repeats, not empty.
    temperature : float
        ``>= 0`` (``0`` and ``inf`` allowed), already rounded to the compute
        dtype (float32 for a 16-bit ``x``).
    threads : int
        ``>= 1``: how many threads the backend may use (the C backend splits
        large inputs into blocks of rows; the others ignore it).
    """

    x: Any
    xp: Any
    axes: tuple[int, ...]
    temperature: float = 1.0
    threads: int = 1
