"""Sampling: one category per row drawn from ``softmax(x / T)``, reproducibly.

The draw is the Gumbel-max trick, as LLM decoders do it: the index of the
largest ``(x - max) / T + g``, with ``g`` Gumbel noise, so no normalization
pass is made.  The noise is a function of (seed, row, column) alone --
Philox4x32-10 of the position under the seed, then ``-log(-log(u))`` with a
logarithm made of IEEE double operations only -- so every backend draws the
same indices for the same seed: numpy, torch CPU tensors, JAX and Dask
blocks through the C core (``psm_sample_*``, ``csrc/src/sampling.c``), other
arrays (CuPy, torch on CUDA, array-api-strict, ...) through the same steps
written in array operations here (:func:`gumbel_noise`), on their device.
``docs/sampling.md`` gives the generator exactly, for other languages.

top_k and top_p are masks applied before the draw, in the array's own
library (:func:`mask`): the entries they drop become -inf.
"""

from __future__ import annotations

import math
import numbers
import operator
import secrets
from typing import Any

import array_api_compat
import numpy as np

from . import _api, _dispatch
from ._backends import c as _c_backend
from ._backends._layout import as_rows, element_strides
from ._threads import resolve as _resolve_threads
from ._threads import run_blocks

try:
    from . import _core
except ImportError:  # the extension was not built: the array-operations method only
    _core = None  # type: ignore[assignment]

Array = Any
Namespace = Any

# ---- the generator, in array operations (csrc/src/sampling_noise.h is the C one) -------------

_WORD = 0xFFFFFFFF
_PHILOX_M0, _PHILOX_M1 = 0xD2511F53, 0xCD9E8D57  # Philox4x32's multipliers
_PHILOX_W0, _PHILOX_W1 = 0x9E3779B9, 0xBB67AE85  # and its Weyl key increments
_LN2_HI = float.fromhex("0x1.62e42feep-1")  # 32 significant bits: e * _LN2_HI is exact
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")
_SQRT2 = float.fromhex("0x1.6a09e667f3bcdp+0")
_SERIES = [2.0 / (2 * j + 1) for j in range(10, 0, -1)]  # 2/21, 2/19, ..., 2/3


def _multiply_high_low(xp: Namespace, a: Array, multiplier: int) -> tuple[Array, Array]:
    """Return the high and low 32-bit words of ``a * multiplier`` (``a`` in [0, 2**32)).

    In int64 without overflow: the multiplier is taken in 16-bit halves, so
    no partial product reaches 2**49 (int64 is all every array library has).
    """
    low_product = a * (multiplier & 0xFFFF)
    high_product = a * (multiplier >> 16)
    middle = low_product + ((high_product & 0xFFFF) << 16)
    return (high_product >> 16) + (middle >> 32), middle & _WORD


def philox4x32_10(xp: Namespace, counter: list[Array], key: tuple[int, int]) -> list[Array]:
    """Philox4x32-10 (Random123's ``philox4x32_10``) of four arrays of 32-bit words.

    ``counter`` holds int64 arrays with values in [0, 2**32) that broadcast
    together; ``key`` two Python ints in that range.
    """
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        high0, low0 = _multiply_high_low(xp, c0, _PHILOX_M0)
        high1, low1 = _multiply_high_low(xp, c2, _PHILOX_M1)
        c0, c1, c2, c3 = high1 ^ c1 ^ k0, low1, high0 ^ c3 ^ k1, low0
        k0, k1 = (k0 + _PHILOX_W0) & _WORD, (k1 + _PHILOX_W1) & _WORD
    return [c0, c1, c2, c3]


def _log(xp: Namespace, v: Array) -> Array:
    """``psm_noise_log``: log of positive normal float64 ``v`` below 64, IEEE operations only.

    ``v = m * 2**e`` with ``m`` in [1, 2) by exact scalings (the C core uses
    frexp, which gives the same ``m`` and ``e``), then fdlibm's reduction and
    the Taylor series of atanh, step for step as in sampling_noise.h.
    """
    m, e = v, xp.zeros_like(v)
    for step in (32, 16, 8, 4, 2, 1):  # up to [1, 2) from as low as 2**-63
        small = m < 2.0 ** (1 - step)
        m = xp.where(small, m * 2.0**step, m)
        e = xp.where(small, e - float(step), e)
    for step in (4, 2, 1):  # down to [1, 2) from below 64
        big = m >= 2.0**step
        m = xp.where(big, m * 2.0**-step, m)
        e = xp.where(big, e + float(step), e)
    big = m >= _SQRT2
    m = xp.where(big, 0.5 * m, m)
    e = xp.where(big, e + 1.0, e)
    f = m - 1.0
    h = 0.5 * (f * f)
    s = f / (2.0 + f)
    z = s * s
    r = _SERIES[0] * z + _SERIES[1]
    for coefficient in _SERIES[2:]:
        r = r * z + coefficient
    r = r * z
    return e * _LN2_HI - ((h - (s * (h + r) + e * _LN2_LO)) - f)


def gumbel_noise(xp: Namespace, seed: int, rows: Array, columns: Array) -> Array:
    """Return the Gumbel noise ``g(seed, row, column)`` as float64, broadcast over the two.

    ``rows`` and ``columns`` are int64 arrays of non-negative row and column
    numbers (shapes ``(R, 1)`` and ``(1, N)`` give an ``R x N`` array).  The
    same bits as ``psm_sample_noise`` in the C core.
    """
    words = philox4x32_10(
        xp, [columns & _WORD, columns >> 32, rows & _WORD, rows >> 32], (seed & _WORD, seed >> 32)
    )
    k = (words[1] << 20) | (words[0] >> 12)  # ((w1 << 32) | w0) >> 12: 52 bits
    u = xp.astype(2 * k + 1, xp.float64) * 2.0**-53  # in (0, 1), exact
    return -_log(xp, -_log(xp, u))


# ---- the arguments ---------------------------------------------------------------------------


def _axis(axis: Any, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an int (one axis to draw along), got {axis!r}")
    return _api._reduce_axes(operator.index(axis), ndim)[0]


def _top_k(top_k: Any) -> int | None:
    if top_k is None:
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral):
        raise TypeError(f"top_k must be a positive int or None, got {top_k!r}")
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1 (the number of entries kept), got {top_k!r}")
    return operator.index(top_k)


def _top_p(top_p: Any) -> float | None:
    if top_p is None:
        return None
    if isinstance(top_p, bool) or not isinstance(top_p, numbers.Real):
        raise TypeError(f"top_p must be a real number in (0, 1] or None, got {top_p!r}")
    value = float(top_p)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"top_p must be in (0, 1] (a probability mass), got {top_p!r}")
    return value


def _seed(seed: Any) -> int:
    if seed is None:
        return secrets.randbits(64)
    try:
        if isinstance(seed, bool):
            raise TypeError
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"seed must be an int in [0, 2**64) or None, got {seed!r}") from None
    if not 0 <= value < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed!r}")
    return value


# ---- top_k and top_p ---------------------------------------------------------------------------


def mask(x: Array, xp: Namespace, axis: int, temperature: float, top_k: Any, top_p: Any) -> Array:
    """Return ``x`` with the entries that top_k and top_p drop set to -inf.

    top_k keeps the entries at or above the k-th largest of the row (ties
    with it all kept); top_p then keeps, of those, the entries at or above
    the largest value ``v`` such that the entries >= ``v`` hold a mass of
    at least ``top_p`` under ``softmax(x / T)`` (the nucleus; ties all kept).
    NaN entries are kept, so that the draw still refuses their rows.
    """
    n = x.shape[axis]
    before = (slice(None),) * axis
    keep = None
    if (top_k is not None and top_k < n) or (top_p is not None and top_p < 1.0):
        ordered = xp.flip(xp.sort(x, axis=axis), axis=axis)  # descending
    if top_k is not None and top_k < n:
        keep = x >= ordered[(*before, slice(top_k - 1, top_k), ...)]
        ordered = xp.where(
            ordered >= ordered[(*before, slice(top_k - 1, top_k), ...)], ordered, -math.inf
        )
    if top_p is not None and top_p < 1.0:
        info = xp.__array_namespace_info__()
        wide = xp.float64 if "float64" in info.dtypes(kind="real floating") else ordered.dtype
        import pysoftmax

        probabilities = pysoftmax.softmax(
            xp.astype(ordered, wide), axis=axis, temperature=temperature
        )
        mass = xp.cumulative_sum(probabilities, axis=axis)
        # The nucleus ends at the first entry where the mass reaches top_p (or the last).
        before_reaching = xp.sum(xp.astype(mass < top_p, xp.int64), axis=axis, keepdims=True)
        last = xp.minimum(before_reaching, n - 1)
        shape = [1] * x.ndim
        shape[axis] = n
        positions = xp.reshape(
            xp.arange(n, dtype=xp.int64, device=array_api_compat.device(x)), tuple(shape)
        )
        threshold = xp.min(xp.where(positions <= last, ordered, math.inf), axis=axis, keepdims=True)
        in_nucleus = x >= threshold
        keep = in_nucleus if keep is None else keep & in_nucleus
    if keep is None:
        return x
    return xp.where(keep | xp.isnan(x), x, -math.inf)


# ---- the draw ------------------------------------------------------------------------------------


def _no_distribution(
    has_nan: np.ndarray,
    row_numbers: np.ndarray,
    count: int,
    kept_shape: tuple[int, ...],
    axis: int,
) -> ValueError:
    """Return the error for ``count`` rows that hold NaN or no entry above -inf (names 5)."""
    labels = []
    for nan, number in list(zip(has_nan.tolist(), row_numbers.tolist(), strict=True))[:5]:
        position = [str(i) for i in np.unravel_index(number, kept_shape)] if kept_shape else []
        position.insert(axis, ":")
        reason = "holds NaN" if nan else "has no entry above -inf"
        labels.append(f"logits[{', '.join(position)}] {reason}")
    more = f" (and {count - len(labels)} more)" if count > len(labels) else ""
    return ValueError(
        f"cannot sample from {count} row(s) of logits that are no distribution: "
        + "; ".join(labels)
        + more
    )


# A draw costs the C core about 16 ns an entry (the noise), 16 times a softmax entry: from
# this many entries in two rows or more (about a millisecond) the rows are cut into blocks
# run on threads, at most one per THREAD_ENTRIES.  Each block is one C call whose rows keep
# their numbers (first_row), so the draws are the same for any split and any thread count.
MIN_THREADED_ENTRIES = 1 << 16
THREAD_ENTRIES = 1 << 15
MAX_BLOCKS = 64


def _row_blocks(row_numbers: np.ndarray, n: int, split: bool) -> list[tuple[int, int, int]]:
    """(start, stop, first row number) of blocks of consecutive row numbers.

    One block per run of consecutive numbers; with ``split``, runs are cut
    into blocks of about ``THREAD_ENTRIES`` entries (at most ``MAX_BLOCKS``).
    """
    breaks = np.flatnonzero(np.diff(row_numbers) != 1) + 1
    runs = zip([0, *breaks.tolist()], [*breaks.tolist(), len(row_numbers)], strict=True)
    per_block = len(row_numbers)
    if split:
        per_block = max(-(-THREAD_ENTRIES // n), -(-len(row_numbers) // MAX_BLOCKS))
    return [
        (a, min(a + per_block, stop), int(row_numbers[a]))
        for start, stop in runs
        for a in range(start, stop, per_block)
    ]


def _draw_c(
    x: np.ndarray,
    axis: int,
    temperature: float,
    seed: int,
    threads: int = 1,
    row_numbers: np.ndarray | None = None,
    kept_shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Draw along ``axis`` of a numpy array with the C core; rows numbered 0, 1, ...

    ``row_numbers`` (one per row of the moved matrix, in its order) number
    the rows otherwise (a Dask block's place in the whole array), and
    ``kept_shape`` is then the whole array's shape without ``axis``.  Large
    inputs run in blocks of rows on up to ``threads`` threads.
    """
    matrix, moved_shape = as_rows(x, (axis,), np)
    rows, n = matrix.shape
    indices = np.empty(rows, dtype=np.int64)
    if row_numbers is None:
        row_numbers = np.arange(rows, dtype=np.int64)
    float32 = matrix.dtype == np.float32
    kernel = _core.lib.psm_sample_strided_f32 if float32 else _core.lib.psm_sample_strided_f64
    source = _c_backend._pointer(matrix)
    row_stride, stride = element_strides(matrix)
    target = _core.ffi.from_buffer("int64_t[]", indices)
    threads = min(threads, rows * n // THREAD_ENTRIES)
    blocks = _row_blocks(row_numbers, n, rows >= 2 and rows * n >= MIN_THREADED_ENTRIES)
    statuses = [0] * len(blocks)

    # The pointers do not own the memory: the closure holds the arrays.
    def block(index: int, arrays: tuple[np.ndarray, ...] = (matrix, indices)) -> None:
        start, stop, first_row = blocks[index]
        statuses[index] = kernel(
            source + start * row_stride,
            row_stride,
            stride,
            stop - start,
            n,
            temperature,
            seed,
            first_row,
            target + start,
        )

    run_blocks(block, len(blocks), threads)
    for status in statuses:
        if status == _core.lib.PSM_E_NO_DISTRIBUTION:
            bad = np.isnan(matrix).any(axis=1) | ~(matrix > -math.inf).any(axis=1)
            raise _no_distribution(
                np.isnan(matrix[bad]).any(axis=1),
                row_numbers[bad],
                int(bad.sum()),
                moved_shape[:-1] if kept_shape is None else kept_shape,
                axis,
            )
        _c_backend.check_status(status)
    return indices.reshape(moved_shape[:-1])


def _draw_array_ops(x: Array, xp: Namespace, axis: int, temperature: float, seed: int) -> Array:
    """Draw along ``axis`` in array operations on ``x``'s device: the C core's keys and argmax."""
    kept_shape = tuple(d for a, d in enumerate(x.shape) if a != axis)
    n = x.shape[axis]
    rows = math.prod(kept_shape)
    device = array_api_compat.device(x)
    matrix = xp.reshape(xp.moveaxis(xp.astype(x, xp.float64), axis, -1), (rows, n))
    is_nan = xp.isnan(matrix)
    has_nan = xp.any(is_nan, axis=1)
    invalid = has_nan | ~xp.any(matrix > -math.inf, axis=1)
    if bool(xp.any(invalid)):
        bad = xp.nonzero(invalid)[0]
        numbers = np.asarray([int(bad[i]) for i in range(min(int(bad.shape[0]), 5))])
        nan = np.asarray([bool(has_nan[int(i)]) for i in numbers], dtype=bool)
        raise _no_distribution(nan, numbers, int(bad.shape[0]), kept_shape, axis)
    if temperature == 0.0:
        return xp.reshape(xp.argmax(matrix, axis=1), kept_shape)
    row_numbers = xp.reshape(xp.arange(rows, dtype=xp.int64, device=device), (rows, 1))
    columns = xp.reshape(xp.arange(n, dtype=xp.int64, device=device), (1, n))
    with np.errstate(all="ignore"):  # numpy-based libraries: z overflows to -inf, as meant
        noise = gumbel_noise(xp, seed, row_numbers, columns)
        top = xp.max(matrix, axis=1, keepdims=True)
        infinite_row = top == math.inf
        if temperature == math.inf:
            keys = xp.where(matrix > -math.inf, noise, -math.inf)
        else:
            top = xp.where(infinite_row, 0.0, top)
            if temperature > 1.0:  # the halves: (x - max) may overflow, (x - max) / T not
                z = (0.5 * matrix - 0.5 * top) / (0.5 * temperature)
            else:
                z = (matrix - top) / temperature
            keys = z + noise
        keys = xp.where(infinite_row, xp.where(matrix == math.inf, noise, -math.inf), keys)
    return xp.reshape(xp.argmax(keys, axis=1), kept_shape)


def _draw_torch(
    x: Any, xp: Namespace, axis: int, temperature: float, seed: int, threads: int
) -> Any:
    import torch

    if x.device.type == "cpu" and _c_backend.availability()[0]:
        return torch.from_numpy(_draw_c(x.numpy(), axis, temperature, seed, threads))
    return _draw_array_ops(x, xp, axis, temperature, seed)


def _draw_jax(x: Any, axis: int, temperature: float, seed: int) -> Any:
    """Draw with the C core on the host: directly, or by a callback under a trace."""
    import jax
    import jax.numpy as jnp

    kept_shape = tuple(d for a, d in enumerate(x.shape) if a != axis)
    dtype = jax.dtypes.canonicalize_dtype(jnp.int64)  # int32 without jax_enable_x64
    if dtype == jnp.int32 and x.shape[axis] > 2**31 - 1:
        raise ValueError("logits has more than 2**31 - 1 entries per row: enable jax_enable_x64")
    from_end = x.ndim - axis  # vmap puts its batch axes first

    def host(block: np.ndarray) -> np.ndarray:
        block = np.asarray(block)
        return _draw_c(block, block.ndim - from_end, temperature, seed).astype(dtype)

    if not isinstance(x, jax.core.Tracer):
        return jnp.asarray(host(np.asarray(x)))
    out = jax.ShapeDtypeStruct(kept_shape, dtype)  # type: ignore[no-untyped-call]
    return jax.pure_callback(host, out, x, vmap_method="expand_dims")


def _draw_dask(x: Any, axis: int, temperature: float, top_k: Any, top_p: Any, seed: int) -> Any:
    """Blockwise, lazily: the rows made whole in each block, each block numbered in place."""
    x = x.rechunk({axis: -1})
    kept_shape = tuple(d for a, d in enumerate(x.shape) if a != axis)

    def block_draw(block: Any, block_info: Any = None) -> Any:
        location = [span for a, span in enumerate(block_info[0]["array-location"]) if a != axis]
        ranges = [np.arange(start, stop, dtype=np.int64) for start, stop in location]
        if ranges:
            grid = np.meshgrid(*ranges, indexing="ij")
            numbers = np.ravel_multi_index(grid, kept_shape).reshape(-1).astype(np.int64)
        else:
            numbers = np.zeros(1, dtype=np.int64)
        block = mask(
            block, array_api_compat.array_namespace(block), axis, temperature, top_k, top_p
        )
        # One thread per block: Dask's scheduler already runs blocks in parallel.
        return _draw_c(np.asarray(block), axis, temperature, seed, 1, numbers, kept_shape)

    meta = np.empty((0,) * len(kept_shape), dtype=np.int64)
    return x.map_blocks(block_draw, drop_axis=axis, dtype=np.int64, meta=meta)


def sample(
    logits: Any,
    axis: Any = -1,
    *,
    temperature: Any = 1.0,
    top_k: Any = None,
    top_p: Any = None,
    seed: Any = None,
    threads: int | None = None,
    backend: str | None = None,
) -> Array:
    r"""Draw one index per row from ``softmax(logits / temperature)``, as LLM decoders do.

    The Gumbel-max trick: the index of the largest ``(x - max) / T + g``,
    ``g`` Gumbel noise that depends only on the seed and the entry's place
    (row, column), so no normalization pass is made and the same seed draws
    the same indices on every backend (docs/sampling.md: the generator).

    Parameters
    ----------
    logits : array_like
        An array of any array-API library (numpy, torch, jax, cupy, dask,
        array-api-strict, ...) or a sequence of numbers.  float16, bfloat16
        and integers are computed as for :func:`pysoftmax.softmax`.
    axis : int, optional
        The axis of the categories; the result has the other axes.  Default -1.
    temperature : float, optional
        ``T >= 0``.  ``0`` is the argmax (the first maximal index, no noise:
        greedy decoding); ``inf`` draws uniformly among the entries that are
        not -inf.  Rounded to the dtype of the computation, as for softmax.
        Default 1.
    top_k : int, optional
        Keep only the entries at or above the k-th largest of each row (ties
        with it are kept too).  None (default): no limit.
    top_p : float, optional
        Nucleus sampling, ``0 < top_p <= 1``: keep the fewest largest
        entries whose mass under ``softmax(x / T)`` reaches ``top_p`` (ties
        with the last one kept too), applied after top_k.  None: no limit.
    seed : int, optional
        ``0 <= seed < 2**64``: the same seed, logits and temperature give the
        same indices, on every backend.  None (default): a fresh random seed
        each call.
    threads : int, optional
        How many threads the C core may use for a numpy array or a torch CPU
        tensor of at least 2**16 entries in two rows or more (blocks of rows;
        the draws do not depend on the count).  None: as for softmax
        (``PYSOFTMAX_NUM_THREADS``, else every core).  Other backends ignore it.
    backend : str, optional
        Force a backend by name, as for :func:`pysoftmax.softmax`.

    Returns
    -------
    array
        int64 indices (int32 for JAX without ``jax_enable_x64``) in
        ``logits``' library and on its device, of ``logits``' shape without
        ``axis`` (a 0-d array for a single row).

    Raises
    ------
    ValueError
        For a row that holds NaN or has no entry above -inf (it is no
        distribution: the message names the rows; raised when the result is
        computed, for Dask, and inside the callback under ``jax.jit``), an
        empty axis, a negative or NaN temperature, top_k < 1, top_p outside
        (0, 1], a seed outside [0, 2**64), threads < 1, or an axis out of
        range.
    TypeError
        For an axis, top_k, top_p, seed or threads of the wrong type, or a
        dtype that softmax refuses.

    Notes
    -----
    A row with ``+inf`` entries draws uniformly among them (``T = 0``: the
    first of them).  Ties between keys go to the lower index.

    Examples
    --------
    >>> import numpy as np
    >>> import pysoftmax
    >>> logits = np.array([38.0, 20.0, 40.0, 39.0])  # goes, go, went, comes
    >>> int(pysoftmax.sample(logits, temperature=0))
    2
    >>> draws = pysoftmax.sample(np.tile(logits, (100_000, 1)), seed=1)
    >>> np.bincount(draws, minlength=4) / 100_000
    array([0.0894, 0.    , 0.6658, 0.2448])
    >>> bool(np.array_equal(draws, pysoftmax.sample(np.tile(logits, (100_000, 1)), seed=1)))
    True
    """
    x, xp = _api._as_array(logits)
    if array_api_compat.is_torch_array(x):
        x = x.detach()  # a draw has no gradient
    compute_dtype, _ = _api._dtypes(x, xp)
    axis_index = _axis(axis, x.ndim)
    temperature_value = _api._temperature(temperature, xp.finfo(compute_dtype).bits)
    k, p, seed_value = _top_k(top_k), _top_p(top_p), _seed(seed)
    thread_count = _resolve_threads(threads)
    module = _dispatch.select(x, backend)

    if x.ndim == 0:  # one row of one entry
        return xp.reshape(
            sample(
                xp.reshape(x, (1,)), temperature=temperature_value, seed=seed_value, backend=backend
            ),
            (),
        )
    kept_shape = tuple(d for a, d in enumerate(x.shape) if a != axis_index)
    if math.prod(kept_shape) == 0:
        dtype = xp.int64
        if array_api_compat.is_jax_array(x):
            import jax

            dtype = jax.dtypes.canonicalize_dtype(dtype)  # int32 without jax_enable_x64
        return xp.zeros(kept_shape, dtype=dtype, device=array_api_compat.device(x))
    if x.shape[axis_index] == 0:
        raise ValueError(f"logits has no entries along axis {axis}: there is nothing to draw")
    if x.dtype != compute_dtype:
        x = xp.astype(x, compute_dtype)

    name = getattr(module, "NAME", None)
    if name == "dask":
        return _draw_dask(x, axis_index, temperature_value, k, p, seed_value)
    x = mask(x, xp, axis_index, temperature_value, k, p)
    if name == "c":
        return _draw_c(x, axis_index, temperature_value, seed_value, thread_count)
    if name == "torch":
        return _draw_torch(x, xp, axis_index, temperature_value, seed_value, thread_count)
    if name == "jax":
        return _draw_jax(x, axis_index, temperature_value, seed_value)
    return _draw_array_ops(x, xp, axis_index, temperature_value, seed_value)
