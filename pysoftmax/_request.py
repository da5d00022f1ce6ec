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
    temperature : float or array
        ``>= 0`` (``0`` and ``inf`` allowed), already rounded to the compute
        dtype (float32 for a 16-bit ``x``);
        or one temperature per row: an array of ``x``'s library, dtype and
        device, with ``x``'s shape except size 1 along the reduced axes (the
        shape of ``logsumexp(x, keepdims=True)``), given only to backends
        whose ``FEATURES`` hold ``"temperature_array"``.
    threads : int
        ``>= 1``: how many threads the backend may use (the C backend splits
        large inputs into blocks of rows; the others ignore it).
    where : array or None
        None, or a boolean array of ``x``'s library and shape: the entries
        to include (``where=`` of the public functions).  Given only to
        backends whose ``FEATURES`` hold ``"where"``; for the others the front
        door sets the masked entries to -inf and fills the rows with nothing
        included.
    out : array or None
        Where the caller wants the result (``out=``), given only to backends
        whose ``FEATURES`` hold ``"out"`` and only when it has the computed
        dtype and the result's full shape (logsumexp: the reduced axes kept):
        the backend may write the result there and return it (``out`` may be
        ``x`` itself, for in place); the front door copies it otherwise.
    result_dtype : dtype or None
        For a 16-bit ``x`` given as it is (``computes_natively``): the dtype
        the result should have, ``x``'s own or float32 (``dtype=``); None
        otherwise (the result has ``x``'s dtype, or a wider one).
    weights : array or None
        logsumexp's ``b=``: an array of ``x``'s library, dtype and shape (0 at
        masked entries), given only to backends whose ``FEATURES`` hold
        ``"weights"``; their logsumexp then returns ``(log|sum|, sign)``, the
        reduced axes kept, and the front door makes a negative sum NaN unless
        the caller asked for the sign.
    """

    x: Any
    xp: Any
    axes: tuple[int, ...]
    temperature: Any = 1.0
    threads: int = 1
    where: Any = None
    out: Any = None
    weights: Any = None
    result_dtype: Any = None

    @property
    def per_row_temperature(self) -> bool:
        """Whether ``temperature`` is an array (one per row), not one float."""
        return not isinstance(self.temperature, float)
