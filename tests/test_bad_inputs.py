"""docs/bad-inputs.md is true: every row of its tables is checked here.

Each row names a case; this module has a check for each case, for the C ABI (through the
cffi module ``pysoftmax._core``, so that NULL pointers, overlapping and strided outputs and
impossible sizes can be passed) and for the Python functions.  The test reads the table, and
for every row asserts that the C calls of its case return the status the row's C column names
(and that an error wrote nothing), and that the Python calls of its case raise the exception
the Python column names (or none), with the argument it names in the message.  A row whose
column says "—" has no check on that side, and every check has its row.
"""

from __future__ import annotations

import decimal
import fractions
import math
import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.exceptions import AxisError

import pysoftmax

try:
    from pysoftmax import _core
except ImportError:  # pragma: no cover - the extension is built by pip install
    _core = None  # type: ignore[assignment]

try:
    import ml_dtypes

    BFLOAT16: Any = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover
    BFLOAT16 = None

TABLE = Path(__file__).resolve().parent.parent / "docs" / "bad-inputs.md"
PTRDIFF_MAX = 2**63 - 1
PTRDIFF_MIN = -(2**63)
SENTINEL = -12345.6875


# ---------------------------------------------------------------- the table


def table_rows() -> list[tuple[str, str, str, str]]:
    """(case, input, C column, Python column) of every row of the tables."""
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([a-z0-9-]+)` \|", line)
        if not match:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 4, f"a row of docs/bad-inputs.md has {len(cells)} cells: {line}"
        rows.append((match.group(1), cells[1], cells[2], cells[3]))
    return rows


def expected_c(cell: str) -> str | None:
    """The status name (PSM_OK, PSM_E_...) or '"unknown status"' a C cell names; None for —."""
    if cell.startswith("—"):
        return None
    if '"unknown status"' in cell:
        return '"unknown status"'
    match = re.search(r"`(PSM_(?:OK|E_[A-Z_]+))`", cell)
    assert match, f"no status in the C cell {cell!r}"
    return match.group(1)


def expected_python(cell: str) -> tuple[str, str | None] | None:
    """("no error" or an exception name, the argument it names) a Python cell says; None: —."""
    if cell.startswith("—"):
        return None
    if cell.startswith("no error"):
        return "no error", None
    match = re.match(r"`(\w+Error)`", cell)
    assert match, f"no exception in the Python cell {cell!r}"
    named = re.search(r"names `([^`]+)`", cell)
    return match.group(1), named.group(1) if named else None


# ---------------------------------------------------------------- C calls

Status = int | str


def _lib() -> Any:
    if _core is None:
        pytest.skip("the C extension pysoftmax._core is not built")
    return _core.lib


def _ffi() -> Any:
    assert _core is not None
    return _core.ffi


class Buffer:
    """A C array of `count` elements of `kind`, filled with a sentinel.

    `kind` is "float" or "double" (the sentinel SENTINEL), or "uint16_t" (16-bit patterns,
    sentinel 0xABCD) or "unsigned char" (mask bytes, sentinel 0xA7), whose values are ints.
    """

    def __init__(self, kind: str, count: int, values: list[Any] | None = None) -> None:
        self.kind = kind
        self.array = _ffi().new(f"{kind}[]", max(count, 1))
        sentinel: Any = {"uint16_t": 0xABCD, "unsigned char": 0xA7}.get(kind, SENTINEL)
        for i in range(max(count, 1)):
            self.array[i] = sentinel
        for i, value in enumerate(values or []):
            self.array[i] = value

    def at(self, offset: int) -> Any:
        return self.array + offset

    def snapshot(self) -> bytes:
        return bytes(_ffi().buffer(self.array))


def _suffixes() -> list[tuple[str, str]]:
    return [("f32", "float"), ("f64", "double")]


def _unchanged_on_error(status: int, buffers: list[Buffer], before: list[bytes]) -> int:
    if status != 0:
        after = [b.snapshot() for b in buffers]
        assert after == before, f"status {status}, but memory was written"
    return status


def normalize(
    function: str,
    suffix: str,
    x: Any,
    y: Any,
    rows: int,
    n: int,
    temperature: float,
    buffers: list[Buffer],
    strides: tuple[int, int, int, int] | None = None,
) -> int:
    """psm_<function>[_strided]_<suffix>; asserts that an error wrote nothing."""
    lib = _lib()
    before = [b.snapshot() for b in buffers]
    if strides is None:
        status = getattr(lib, f"psm_{function}_{suffix}")(x, y, rows, n, temperature)
    else:
        xrs, xs, yrs, ys = strides
        status = getattr(lib, f"psm_{function}_strided_{suffix}")(
            x, xrs, xs, y, yrs, ys, rows, n, temperature
        )
    return _unchanged_on_error(status, buffers, before)


def logsumexp(
    suffix: str,
    x: Any,
    out: Any,
    rows: int,
    n: int,
    buffers: list[Buffer],
    strides: tuple[int, int, int] | None = None,
) -> int:
    lib = _lib()
    before = [b.snapshot() for b in buffers]
    if strides is None:
        status = getattr(lib, f"psm_logsumexp_{suffix}")(x, out, rows, n)
    else:
        xrs, xs, out_stride = strides
        status = getattr(lib, f"psm_logsumexp_strided_{suffix}")(
            x, xrs, xs, out, out_stride, rows, n
        )
    return _unchanged_on_error(status, buffers, before)


def c_call(name: str, *args: Any, buffers: list[Buffer]) -> int:
    """lib.<name>(*args); asserts that an error wrote nothing to `buffers`."""
    before = [b.snapshot() for b in buffers]
    return _unchanged_on_error(getattr(_lib(), name)(*args), buffers, before)


def _every_normalize(
    call: Callable[[str, str, str], list[int]],
) -> list[Status]:
    statuses: list[Status] = []
    for function in ("softmax", "log_softmax"):
        for suffix, kind in _suffixes():
            statuses.extend(call(function, suffix, kind))
    return statuses


def _signaling_nan() -> float:
    return float(struct.unpack("<d", struct.pack("<Q", 0x7FF4000000000000))[0])


def c_temperature(values: list[float]) -> Callable[[], list[Status]]:
    def check() -> list[Status]:
        def calls(function: str, suffix: str, kind: str) -> list[int]:
            out = []
            for t in values:
                x, y = Buffer(kind, 6, [1, 2, 3, 4, 5, 6]), Buffer(kind, 6)
                out.append(normalize(function, suffix, x.array, y.array, 2, 3, t, [x, y]))
                out.append(
                    normalize(
                        function, suffix, x.array, y.array, 2, 3, t, [x, y], strides=(3, 1, 3, 1)
                    )
                )
            return out

        return _every_normalize(calls)

    return check


def c_negative_zero() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x = Buffer(kind, 4, [1, 3, 3, 2])
        y, z = Buffer(kind, 4), Buffer(kind, 4)
        status = normalize(function, suffix, x.array, y.array, 1, 4, -0.0, [x, y])
        normalize(function, suffix, x.array, z.array, 1, 4, 0.0, [x, z])
        assert y.snapshot() == z.snapshot(), "T = -0.0 is not the T = 0 limit"
        return [status]

    return _every_normalize(calls)


def c_null_non_empty() -> list[Status]:
    ffi = _ffi()

    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x, y = Buffer(kind, 3, [1, 2, 3]), Buffer(kind, 3)
        return [
            normalize(function, suffix, ffi.NULL, y.array, 1, 3, 1.0, [y]),
            normalize(function, suffix, x.array, ffi.NULL, 1, 3, 1.0, [x]),
            normalize(function, suffix, ffi.NULL, y.array, 1, 3, 1.0, [y], (3, 1, 3, 1)),
        ]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        x, out = Buffer(kind, 3, [1, 2, 3]), Buffer(kind, 1)
        statuses.append(logsumexp(suffix, ffi.NULL, out.array, 1, 3, [out]))
        statuses.append(logsumexp(suffix, x.array, ffi.NULL, 1, 3, [x]))
        statuses.append(logsumexp(suffix, x.array, ffi.NULL, 1, 3, [x], (3, 1, 1)))
    return statuses


def c_null_empty() -> list[Status]:
    ffi = _ffi()

    def calls(function: str, suffix: str, kind: str) -> list[int]:
        return [
            normalize(function, suffix, ffi.NULL, ffi.NULL, 0, 3, 1.0, []),
            normalize(function, suffix, ffi.NULL, ffi.NULL, 2, 0, 1.0, []),
            normalize(function, suffix, ffi.NULL, ffi.NULL, 0, 0, 1.0, [], (3, 1, 3, 1)),
        ]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        out = Buffer(kind, 2)
        statuses.append(logsumexp(suffix, ffi.NULL, out.array, 2, 0, [out]))
        assert list(out.array[0:2]) == [-math.inf, -math.inf]
        statuses.append(logsumexp(suffix, ffi.NULL, ffi.NULL, 0, 5, []))
    return statuses


def c_size_overflow() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x, y = Buffer(kind, 4), Buffer(kind, 4)
        size = 4 if kind == "float" else 8
        return [
            normalize(function, suffix, x.array, y.array, 2**62, 2**62, 1.0, [x, y]),
            normalize(function, suffix, x.array, y.array, 2**63 // size, 1, 1.0, [x, y]),
            normalize(function, suffix, x.array, y.array, 1, 2**64 - 1, 1.0, [x, y]),
        ]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        x, out = Buffer(kind, 4), Buffer(kind, 4)
        statuses.append(logsumexp(suffix, x.array, out.array, 2**62, 2**62, [x, out]))
        statuses.append(logsumexp(suffix, x.array, out.array, 2**62, 0, [x, out]))
    return statuses


def c_strided_span_overflow() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x, y = Buffer(kind, 4), Buffer(kind, 4)
        past_half = 2**62 // (4 if kind == "float" else 8) + 1  # elements: PTRDIFF_MAX / 2 bytes
        cases = [
            (2, 1, PTRDIFF_MAX, 1, 1, 1),  # rows PTRDIFF_MAX elements apart: beyond the range
            (2, 2, PTRDIFF_MIN, 1, 2, 1),  # the most negative stride
            (1, 3, 4, 2**61, 3, 1),  # entries 2^61 elements apart: beyond PTRDIFF_MAX bytes
            (2, 1, past_half, 1, 1, 1),  # conservative: the span fits, one extent past half
            (1, 1, PTRDIFF_MIN, 1, 1, 1),  # conservative: one row, stride PTRDIFF_MIN
            (2**62, 0, 1, 1, 1, 1),  # conservative: an empty array of 2^62 rows
        ]
        return [
            normalize(function, suffix, x.array, y.array, rows, n, 1.0, [x, y], (xrs, xs, yrs, ys))
            for rows, n, xrs, xs, yrs, ys in cases
        ]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        x, out = Buffer(kind, 4), Buffer(kind, 4)
        statuses.append(logsumexp(suffix, x.array, out.array, 2, 2, [x, out], (PTRDIFF_MAX, 1, 1)))
        statuses.append(logsumexp(suffix, x.array, out.array, 2, 1, [x, out], (1, 1, 2**62)))
    return statuses


def c_overlap() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        shared = Buffer(kind, 12, list(range(12)))
        return [
            normalize(function, suffix, shared.at(0), shared.at(1), 2, 3, 1.0, [shared]),
            normalize(function, suffix, shared.at(5), shared.at(0), 2, 3, 1.0, [shared]),
        ]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        shared = Buffer(kind, 12, list(range(12)))
        statuses.append(logsumexp(suffix, shared.at(0), shared.at(1), 2, 3, [shared]))
        statuses.append(logsumexp(suffix, shared.at(0), shared.at(5), 2, 3, [shared]))
    return statuses


def c_strided_overlap() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        shared = Buffer(kind, 16, list(range(16)))
        s = shared
        return [
            # the same start, other strides
            normalize(function, suffix, s.at(0), s.at(0), 2, 3, 1.0, [s], (3, 1, 6, 2)),
            # interleaved: x on the even elements, y on the odd ones (no element shared)
            normalize(function, suffix, s.at(0), s.at(1), 2, 3, 1.0, [s], (6, 2, 6, 2)),
            # y's span inside x's
            normalize(function, suffix, s.at(0), s.at(4), 2, 2, 1.0, [s], (8, 1, 1, 2)),
        ]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        s = Buffer(kind, 16, list(range(16)))
        statuses.append(logsumexp(suffix, s.at(0), s.at(1), 2, 3, [s], (6, 2, 2)))
        statuses.append(logsumexp(suffix, s.at(0), s.at(0), 2, 3, [s], (3, 1, 1)))
    return statuses


def c_in_place() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        values = [1, 5, 2, 8, 3, 3]
        apart_x, apart_y = Buffer(kind, 6, values), Buffer(kind, 6)
        normalize(function, suffix, apart_x.array, apart_y.array, 2, 3, 0.5, [apart_x, apart_y])
        own = Buffer(kind, 6, values)
        contiguous = normalize(function, suffix, own.array, own.array, 2, 3, 0.5, [own])
        assert own.snapshot() == apart_y.snapshot(), "in place is not the same as apart"
        strided_own = Buffer(kind, 6, values)
        strided = normalize(
            function,
            suffix,
            strided_own.at(5),
            strided_own.at(5),
            2,
            3,
            0.5,
            [strided_own],
            (-3, -1, -3, -1),
        )
        return [contiguous, strided]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        x = Buffer(kind, 6, [1, 5, 2, 8, 3, 3])
        statuses.append(logsumexp(suffix, x.array, x.array, 2, 3, [x]))
    return statuses


def c_strided_logsumexp_in_place() -> list[Status]:
    statuses: list[Status] = []
    for suffix, kind in _suffixes():
        x = Buffer(kind, 3, [1, 2, 3])
        statuses.append(logsumexp(suffix, x.array, x.array, 3, 1, [x], (1, 0, 1)))
        assert list(x.array[0:3]) == [1, 2, 3]  # logsumexp of a row of one is its entry
    return statuses


def c_output_stride_shared() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x, y = Buffer(kind, 6, list(range(6))), Buffer(kind, 12)
        return [
            normalize(function, suffix, x.array, y.array, 2, 3, 1.0, [x, y], strides)
            for strides in ((3, 1, 3, 0), (3, 1, 0, 1), (3, 1, 1, 1), (3, 1, 2, 1))
        ]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        x, out = Buffer(kind, 6, list(range(6))), Buffer(kind, 2)
        statuses.append(logsumexp(suffix, x.array, out.array, 2, 3, [x, out], (3, 1, 0)))
    return statuses


def c_output_stride_interleaved() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x, y = Buffer(kind, 4, [1, 2, 3, 4]), Buffer(kind, 8)
        # outputs at 0, 2 (row 0) and 3, 5 (row 1): distinct, but interleaved
        return [normalize(function, suffix, x.array, y.array, 2, 2, 1.0, [x, y], (2, 1, 3, 2))]

    return _every_normalize(calls)


def c_input_stride_zero() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x, y = Buffer(kind, 3, [1, 2, 3]), Buffer(kind, 6)
        return [
            normalize(function, suffix, x.array, y.array, 2, 3, 1.0, [x, y], (0, 1, 3, 1)),
            normalize(function, suffix, x.array, y.array, 2, 3, 1.0, [x, y], (1, 0, 3, 1)),
        ]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        x, out = Buffer(kind, 3, [1, 2, 3]), Buffer(kind, 2)
        statuses.append(logsumexp(suffix, x.array, out.array, 2, 3, [x, out], (0, 1, 1)))
    return statuses


def c_several_errors() -> list[Status]:
    ffi = _ffi()

    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x = Buffer(kind, 6, list(range(6)))
        return [
            # NULL before the temperature
            normalize(function, suffix, x.array, ffi.NULL, 2, 3, math.nan, [x]),
            normalize(function, suffix, x.array, ffi.NULL, 2, 3, math.nan, [x], (3, 1, 3, 1)),
            # NULL before the strides and the overlap
            normalize(function, suffix, x.array, ffi.NULL, 2, 3, 1.0, [x], (3, 1, 3, 0)),
        ]

    statuses = _every_normalize(calls)
    assert all(status == _lib().PSM_E_NULL_POINTER for status in statuses)
    # and the rest of the order, returned as their own statuses (checked here, not by the row)
    lib = _lib()
    for function in ("softmax", "log_softmax"):
        for suffix, kind in _suffixes():
            x, y = Buffer(kind, 6, list(range(6))), Buffer(kind, 6)
            s = Buffer(kind, 12, list(range(12)))
            assert (
                normalize(function, suffix, ffi.NULL, y.array, 2**62, 2**62, math.nan, [y])
                == lib.PSM_E_SIZE_OVERFLOW
            )
            assert (
                normalize(function, suffix, s.at(0), s.at(1), 2, 3, math.nan, [s], (3, 1, 3, 0))
                == lib.PSM_E_STRIDE
            )
            assert (
                normalize(function, suffix, s.at(0), s.at(1), 2, 3, math.nan, [s], (3, 1, 3, 1))
                == lib.PSM_E_OVERLAP
            )
            assert (
                normalize(function, suffix, x.array, y.array, 2, 3, math.nan, [x, y])
                == lib.PSM_E_TEMPERATURE
            )
    return statuses


def c_unknown_status() -> list[Status]:
    ffi, lib = _ffi(), _lib()
    return [
        ffi.string(lib.psm_strerror(v)).decode() for v in (1, -7, 7, 12345, -(2**31), 2**31 - 1)
    ]


def c_special_values() -> list[Status]:
    values = [math.nan, math.inf, -math.inf, 5e-324, -0.0, 1.0]

    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x, y = Buffer(kind, 6, values), Buffer(kind, 6)
        return [normalize(function, suffix, x.array, y.array, 3, 2, 1.0, [x, y])]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        x, out = Buffer(kind, 6, values), Buffer(kind, 3)
        statuses.append(logsumexp(suffix, x.array, out.array, 3, 2, [x, out]))
    return statuses


def c_empty_rows() -> list[Status]:
    def calls(function: str, suffix: str, kind: str) -> list[int]:
        x, y = Buffer(kind, 1), Buffer(kind, 1)
        before = y.snapshot()
        status = normalize(function, suffix, x.array, y.array, 3, 0, 1.0, [x, y])
        assert y.snapshot() == before, "n == 0 wrote to the output"
        return [status]

    statuses = _every_normalize(calls)
    for suffix, kind in _suffixes():
        x, out = Buffer(kind, 1), Buffer(kind, 3)
        statuses.append(logsumexp(suffix, x.array, out.array, 3, 0, [x, out]))
        assert list(out.array[0:3]) == [-math.inf] * 3
    return statuses


def c_where_overlaps_output() -> list[Status]:
    lib, ffi = _lib(), _ffi()
    y = ffi.new("double[6]")
    t = ffi.new("double[1]", [1.0])
    x = ffi.new("double[6]", [1, 2, 3, 4, 5, 6])
    mask = ffi.cast("unsigned char *", y)
    return [
        lib.psm_softmax_general_f64(x, 3, 1, mask, 3, 1, t, 0, y, 3, 1, 2, 3),
        lib.psm_softmax_general_f64(x, 3, 1, ffi.NULL, 0, 0, y + 4, 0, y, 3, 1, 2, 3),
        lib.psm_logsumexp_general_f64(x, 3, 1, mask, 3, 1, y, 1, 2, 3),
    ]


def c_temperatures_negative() -> list[Status]:
    lib, ffi = _lib(), _ffi()
    x = ffi.new("float[6]", [1, 2, 3, 4, 5, 6])
    y = ffi.new("float[6]", [-7.0] * 6)
    statuses: list[Status] = []
    for bad in (-1.0, math.nan, -math.inf):
        t = ffi.new("float[2]", [1.0, bad])
        statuses.append(
            lib.psm_log_softmax_general_f32(x, 3, 1, ffi.NULL, 0, 0, t, 1, y, 3, 1, 2, 3)
        )
    assert list(y) == [-7.0] * 6, "written after an error"
    return statuses


def c_temperatures_null() -> list[Status]:
    lib, ffi = _lib(), _ffi()
    x = ffi.new("double[6]")
    y = ffi.new("double[6]")
    return [lib.psm_softmax_general_f64(x, 3, 1, ffi.NULL, 0, 0, ffi.NULL, 0, y, 3, 1, 2, 3)]


def c_weighted_outputs_overlap() -> list[Status]:
    lib, ffi = _lib(), _ffi()
    x = ffi.new("double[6]", [1, 2, 3, 4, 5, 6])
    b = ffi.new("double[6]", [1] * 6)
    out = ffi.new("double[2]")
    sign = ffi.new("double[2]")
    return [
        lib.psm_logsumexp_weighted_f64(x, 3, 1, b, 3, 1, b + 1, 1, sign, 1, 2, 3),
        lib.psm_logsumexp_weighted_f64(x, 3, 1, b, 3, 1, out, 1, x + 2, 1, 2, 3),
        lib.psm_logsumexp_weighted_f64(x, 3, 1, b, 3, 1, out, 1, out + 1, 1, 2, 3),
    ]


def c_half_float_output_overlap() -> list[Status]:
    lib, ffi = _lib(), _ffi()
    x = ffi.new("uint16_t[8]", [0x3C00, 0x4000, 0x4200, 0x4400] * 2)  # float16 1, 2, 3, 4
    as_floats = ffi.cast("float *", x)
    before = list(x)
    statuses = [
        lib.psm_softmax_f16_f32(x, as_floats, 1, 4, 1.0),
        lib.psm_log_softmax_bf16_f32(x + 2, as_floats, 1, 4, 1.0),
        lib.psm_logsumexp_f16_f32(x, as_floats, 2, 4),
        lib.psm_softmax_strided_bf16_f32(x, 4, 1, as_floats, 4, 1, 1, 4, 1.0),
        lib.psm_logsumexp_strided_bf16_f32(x, 4, 1, as_floats + 1, 1, 2, 4),
    ]
    assert list(x) == before, "written after an error"
    return statuses


# ---------------------------------------------------------------- C calls: the 0.2.0 functions
#
# The rows above, for the functions added in 0.2.0 too: the backward functions (contiguous,
# strided, general), the general forms, the weighted logsumexp and the float16/bfloat16
# functions (16-bit and float outputs).  Each `*_more` check returns its row's statuses for
# them; C_CHECKS joins them to the forward functions' (`_joined`).

HALF_FORMATS = ("f16", "bf16")
HALF_ONE = {"f16": 0x3C00, "bf16": 0x3F80}  # 1.0
HALF_NAN = {"f16": 0x7E00, "bf16": 0x7FC0}
HALF_INFINITY = {"f16": 0x7C00, "bf16": 0x7F80}
HALF_NEGATIVE_INFINITY = {"f16": 0xFC00, "bf16": 0xFF80}
Y_VALUES = [0.2, 0.3, 0.5, 0.1, 0.1, 0.8]  # two rows of softmax outputs (log: any y <= 0 too)
DY_VALUES = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def _backward(function: str, variant: str, suffix: str) -> str:
    """psm_<function>_backward[_strided|_general]_<suffix>."""
    return f"psm_{function}_backward{variant}_{suffix}"


def _half(function: str, fmt: str, out_kind: str, strided: bool = False) -> str:
    """psm_<function>[_strided]_<fmt>[_f32] (out_kind "float": the float output)."""
    strided_part = "_strided" if strided else ""
    return f"psm_{function}{strided_part}_{fmt}{'_f32' if out_kind == 'float' else ''}"


def _every_half(call_row: Callable[[str, str, str], list[int]]) -> list[Status]:
    """The statuses of call_row(function, format, output kind) for every 16-bit function."""
    statuses: list[Status] = []
    for function in ("softmax", "log_softmax", "logsumexp"):
        for fmt in HALF_FORMATS:
            for out_kind in ("uint16_t", "float"):
                statuses.extend(call_row(function, fmt, out_kind))
    return statuses


def _half_call(
    function: str,
    fmt: str,
    out_kind: str,
    x: Any,
    y: Any,
    rows: int,
    n: int,
    t: float,
    buffers: list[Buffer],
    strides: tuple[int, int, int, int] | None = None,
) -> int:
    """A 16-bit function (logsumexp: out with stride strides[2]; no temperature)."""
    name = _half(function, fmt, out_kind, strides is not None)
    if function == "logsumexp":
        if strides is None:
            return c_call(name, x, y, rows, n, buffers=buffers)
        return c_call(name, x, strides[0], strides[1], y, strides[2], rows, n, buffers=buffers)
    if strides is None:
        return c_call(name, x, y, rows, n, t, buffers=buffers)
    return c_call(name, x, *strides[:2], y, *strides[2:], rows, n, t, buffers=buffers)


def _joined(*checks: Callable[[], list[Status]]) -> Callable[[], list[Status]]:
    def check() -> list[Status]:
        return [status for one in checks for status in one()]

    return check


def c_temperature_more(values: list[float]) -> Callable[[], list[Status]]:
    def check() -> list[Status]:
        def backward(function: str, suffix: str, kind: str) -> list[int]:
            out = []
            for t in values:
                y, dy, dx = Buffer(kind, 6, Y_VALUES), Buffer(kind, 6, DY_VALUES), Buffer(kind, 6)
                b = [y, dy, dx]
                out.append(
                    c_call(
                        _backward(function, "", suffix),
                        y.array,
                        dy.array,
                        dx.array,
                        2,
                        3,
                        t,
                        buffers=b,
                    )
                )
                out.append(
                    c_call(
                        _backward(function, "_strided", suffix),
                        y.array,
                        3,
                        1,
                        dy.array,
                        3,
                        1,
                        dx.array,
                        3,
                        1,
                        2,
                        3,
                        t,
                        buffers=b,
                    )
                )
            return out

        def half(function: str, fmt: str, out_kind: str) -> list[int]:
            out = []
            for t in values if function != "logsumexp" else []:
                x, y = Buffer("uint16_t", 6, [HALF_ONE[fmt]] * 6), Buffer(out_kind, 6)
                out.append(_half_call(function, fmt, out_kind, x.array, y.array, 2, 3, t, [x, y]))
                out.append(
                    _half_call(
                        function, fmt, out_kind, x.array, y.array, 2, 3, t, [x, y], (3, 1, 3, 1)
                    )
                )
            return out

        return _every_normalize(backward) + _every_half(half)

    return check


def c_negative_zero_more() -> list[Status]:
    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy = Buffer(kind, 4, Y_VALUES[:4]), Buffer(kind, 4, DY_VALUES[:4])
        dx, dz = Buffer(kind, 4), Buffer(kind, 4)
        name = _backward(function, "", suffix)
        status = c_call(name, y.array, dy.array, dx.array, 1, 4, -0.0, buffers=[y, dy, dx])
        c_call(name, y.array, dy.array, dz.array, 1, 4, 0.0, buffers=[y, dy, dz])
        assert dx.snapshot() == dz.snapshot(), "T = -0.0 is not the T = 0 limit"
        return [status]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        if function == "logsumexp":
            return []
        x = Buffer("uint16_t", 4, [HALF_ONE[fmt], 0x4200, 0x4200, 0x4000])
        y, z = Buffer(out_kind, 4), Buffer(out_kind, 4)
        status = _half_call(function, fmt, out_kind, x.array, y.array, 1, 4, -0.0, [x, y])
        _half_call(function, fmt, out_kind, x.array, z.array, 1, 4, 0.0, [x, z])
        assert y.snapshot() == z.snapshot(), "T = -0.0 is not the T = 0 limit"
        return [status]

    return _every_normalize(backward) + _every_half(half)


def c_null_non_empty_more() -> list[Status]:
    ffi = _ffi()

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy, dx = Buffer(kind, 3, Y_VALUES[:3]), Buffer(kind, 3, DY_VALUES[:3]), Buffer(kind, 3)
        t = Buffer(kind, 1, [1.0])
        contiguous, strided = (
            _backward(function, "", suffix),
            _backward(function, "_strided", suffix),
        )
        return [
            c_call(contiguous, ffi.NULL, dy.array, dx.array, 1, 3, 1.0, buffers=[dy, dx]),
            c_call(contiguous, y.array, ffi.NULL, dx.array, 1, 3, 1.0, buffers=[y, dx]),
            c_call(contiguous, y.array, dy.array, ffi.NULL, 1, 3, 1.0, buffers=[y, dy]),
            c_call(
                strided, y.array, 3, 1, ffi.NULL, 3, 1, dx.array, 3, 1, 1, 3, 1.0, buffers=[y, dx]
            ),
            c_call(
                _backward(function, "_general", suffix),
                y.array,
                3,
                1,
                dy.array,
                3,
                1,
                t.array,
                0,
                ffi.NULL,
                3,
                1,
                1,
                3,
                buffers=[y, dy, t],
            ),
        ]

    def general(function: str, suffix: str, kind: str) -> list[int]:
        x, y, t = Buffer(kind, 3, [1, 2, 3]), Buffer(kind, 3), Buffer(kind, 1, [1.0])
        name = f"psm_{function}_general_{suffix}"
        return [
            c_call(
                name,
                ffi.NULL,
                3,
                1,
                ffi.NULL,
                0,
                0,
                t.array,
                0,
                y.array,
                3,
                1,
                1,
                3,
                buffers=[y, t],
            ),
            c_call(
                name,
                x.array,
                3,
                1,
                ffi.NULL,
                0,
                0,
                t.array,
                0,
                ffi.NULL,
                3,
                1,
                1,
                3,
                buffers=[x, t],
            ),
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        x, y = Buffer("uint16_t", 3, [HALF_ONE[fmt]] * 3), Buffer(out_kind, 3)
        return [
            _half_call(function, fmt, out_kind, ffi.NULL, y.array, 1, 3, 1.0, [y]),
            _half_call(function, fmt, out_kind, x.array, ffi.NULL, 1, 3, 1.0, [x]),
            _half_call(function, fmt, out_kind, ffi.NULL, y.array, 1, 3, 1.0, [y], (3, 1, 3, 1)),
        ]

    statuses = _every_normalize(backward) + _every_normalize(general) + _every_half(half)
    for suffix, kind in _suffixes():
        x, b, out = Buffer(kind, 3, [1, 2, 3]), Buffer(kind, 3, [1, -1, 1]), Buffer(kind, 1)
        weighted = f"psm_logsumexp_weighted_{suffix}"
        statuses += [
            c_call(
                weighted,
                ffi.NULL,
                3,
                1,
                b.array,
                3,
                1,
                out.array,
                1,
                ffi.NULL,
                0,
                1,
                3,
                buffers=[b, out],
            ),
            c_call(
                weighted,
                x.array,
                3,
                1,
                ffi.NULL,
                3,
                1,
                out.array,
                1,
                ffi.NULL,
                0,
                1,
                3,
                buffers=[x, out],
            ),
            c_call(
                weighted,
                x.array,
                3,
                1,
                b.array,
                3,
                1,
                ffi.NULL,
                1,
                ffi.NULL,
                0,
                1,
                3,
                buffers=[x, b],
            ),
            c_call(
                f"psm_logsumexp_general_{suffix}",
                x.array,
                3,
                1,
                ffi.NULL,
                0,
                0,
                ffi.NULL,
                1,
                1,
                3,
                buffers=[x],
            ),
        ]
    return statuses


def c_null_empty_more() -> list[Status]:
    ffi = _ffi()
    null = ffi.NULL

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        t = Buffer(kind, 2, [1.0, 1.0])
        return [
            c_call(_backward(function, "", suffix), null, null, null, 0, 3, 1.0, buffers=[]),
            c_call(_backward(function, "", suffix), null, null, null, 2, 0, 1.0, buffers=[]),
            c_call(
                _backward(function, "_strided", suffix),
                null,
                3,
                1,
                null,
                3,
                1,
                null,
                3,
                1,
                0,
                0,
                1.0,
                buffers=[],
            ),
            # no rows: no temperature either
            c_call(
                _backward(function, "_general", suffix),
                null,
                3,
                1,
                null,
                3,
                1,
                null,
                1,
                null,
                3,
                1,
                0,
                3,
                buffers=[],
            ),
            # rows without entries: their temperatures are still read (and checked)
            c_call(
                _backward(function, "_general", suffix),
                null,
                0,
                1,
                null,
                0,
                1,
                t.array,
                1,
                null,
                0,
                1,
                2,
                0,
                buffers=[t],
            ),
        ]

    def general(function: str, suffix: str, kind: str) -> list[int]:
        t = Buffer(kind, 2, [1.0, 1.0])
        name = f"psm_{function}_general_{suffix}"
        return [
            c_call(name, null, 3, 1, null, 0, 0, null, 1, null, 3, 1, 0, 3, buffers=[]),
            c_call(name, null, 0, 1, null, 0, 0, t.array, 1, null, 0, 1, 2, 0, buffers=[t]),
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        if function == "logsumexp":
            out = Buffer(out_kind, 2)
            status = _half_call(function, fmt, out_kind, null, out.array, 2, 0, 1.0, [out])
            want = -math.inf if out_kind == "float" else HALF_NEGATIVE_INFINITY[fmt]
            assert list(out.array[0:2]) == [want, want], list(out.array[0:2])
            return [status, _half_call(function, fmt, out_kind, null, null, 0, 5, 1.0, [])]
        return [
            _half_call(function, fmt, out_kind, null, null, 0, 3, 1.0, []),
            _half_call(function, fmt, out_kind, null, null, 2, 0, 1.0, [], (0, 1, 0, 1)),
        ]

    statuses = _every_normalize(backward) + _every_normalize(general) + _every_half(half)
    for suffix, kind in _suffixes():
        out, sign = Buffer(kind, 2), Buffer(kind, 2)
        weighted = f"psm_logsumexp_weighted_{suffix}"
        statuses.append(
            c_call(weighted, null, 0, 1, null, 0, 1, null, 1, null, 1, 0, 3, buffers=[])
        )
        statuses.append(
            c_call(
                weighted,
                null,
                0,
                1,
                null,
                0,
                1,
                out.array,
                1,
                sign.array,
                1,
                2,
                0,
                buffers=[out, sign],
            )
        )
        assert list(out.array[0:2]) == [-math.inf] * 2 and list(sign.array[0:2]) == [0.0] * 2
        statuses.append(
            c_call(
                f"psm_logsumexp_general_{suffix}", null, 3, 1, null, 0, 0, null, 1, 0, 3, buffers=[]
            )
        )
    return statuses


def c_size_overflow_more() -> list[Status]:
    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy, dx = Buffer(kind, 4), Buffer(kind, 4), Buffer(kind, 4)
        size = 4 if kind == "float" else 8
        name = _backward(function, "", suffix)
        return [
            c_call(name, y.array, dy.array, dx.array, 2**62, 2**62, 1.0, buffers=[y, dy, dx]),
            c_call(name, y.array, dy.array, dx.array, 2**63 // size, 1, 1.0, buffers=[y, dy, dx]),
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        x, y = Buffer("uint16_t", 4), Buffer(out_kind, 4)
        statuses = [
            _half_call(function, fmt, out_kind, x.array, y.array, 2**62, 2**62, 1.0, [x, y])
        ]
        if function != "logsumexp":
            # 2^62 16-bit values fit in 2^63 - 1 bytes no more: SIZE_OVERFLOW
            statuses.append(
                _half_call(function, fmt, out_kind, x.array, y.array, 2**62, 1, 1.0, [x, y])
            )
            if out_kind == "float":  # 2^61 of them fit, but not 2^61 floats
                statuses.append(
                    _half_call(function, fmt, out_kind, x.array, y.array, 2**61, 1, 1.0, [x, y])
                )
        else:  # one output per row: 2^62 rows, 2^62 outputs of 2 or 4 bytes
            statuses.append(
                _half_call(function, fmt, out_kind, x.array, y.array, 2**62, 0, 1.0, [x, y])
            )
        return statuses

    return _every_normalize(backward) + _every_half(half)


def c_strided_span_overflow_more() -> list[Status]:
    ffi = _ffi()

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy, dx, t = Buffer(kind, 4), Buffer(kind, 4), Buffer(kind, 4), Buffer(kind, 2, [1, 1])
        b = [y, dy, dx, t]
        strided, general = (
            _backward(function, "_strided", suffix),
            _backward(function, "_general", suffix),
        )
        return [
            c_call(
                strided,
                y.array,
                PTRDIFF_MAX,
                1,
                dy.array,
                1,
                1,
                dx.array,
                1,
                1,
                2,
                1,
                1.0,
                buffers=b,
            ),
            c_call(
                strided, y.array, 3, 1, dy.array, 3, 1, dx.array, 4, 2**61, 1, 3, 1.0, buffers=b
            ),
            c_call(
                general,
                y.array,
                1,
                1,
                dy.array,
                1,
                1,
                t.array,
                PTRDIFF_MAX,
                dx.array,
                1,
                1,
                2,
                1,
                buffers=b,
            ),
        ]

    def general(function: str, suffix: str, kind: str) -> list[int]:
        x, y, t = Buffer(kind, 4, [1, 2, 3, 4]), Buffer(kind, 4), Buffer(kind, 2, [1, 1])
        mask = Buffer("unsigned char", 4, [1, 1, 1, 1])
        name = f"psm_{function}_general_{suffix}"
        return [
            # the mask's span (in bytes, its elements) beyond PTRDIFF_MAX
            c_call(
                name,
                x.array,
                2,
                1,
                mask.array,
                PTRDIFF_MAX,
                1,
                t.array,
                0,
                y.array,
                2,
                1,
                2,
                2,
                buffers=[x, mask, t, y],
            ),
            # the temperatures' span
            c_call(
                name,
                x.array,
                2,
                1,
                ffi.NULL,
                0,
                0,
                t.array,
                PTRDIFF_MAX,
                y.array,
                2,
                1,
                2,
                2,
                buffers=[x, t, y],
            ),
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        x, y = Buffer("uint16_t", 4), Buffer(out_kind, 4)
        return [
            # rows 2^62 16-bit elements apart: 2^63 bytes
            _half_call(
                function, fmt, out_kind, x.array, y.array, 2, 1, 1.0, [x, y], (2**62, 1, 1, 1)
            ),
        ]

    statuses = _every_normalize(backward) + _every_normalize(general) + _every_half(half)
    for suffix, kind in _suffixes():
        x, b = Buffer(kind, 4, [1, 2, 3, 4]), Buffer(kind, 4, [1, 1, 1, 1])
        out, sign = Buffer(kind, 2), Buffer(kind, 2)
        weighted = f"psm_logsumexp_weighted_{suffix}"
        buffers = [x, b, out, sign]
        statuses += [
            c_call(
                weighted,
                x.array,
                2,
                1,
                b.array,
                PTRDIFF_MAX,
                1,
                out.array,
                1,
                sign.array,
                1,
                2,
                2,
                buffers=buffers,
            ),
            c_call(
                weighted,
                x.array,
                2,
                1,
                b.array,
                2,
                1,
                out.array,
                1,
                sign.array,
                2**62,
                2,
                2,
                buffers=buffers,
            ),
        ]
    return statuses


def c_overlap_more() -> list[Status]:
    def backward(function: str, suffix: str, kind: str) -> list[int]:
        shared = Buffer(kind, 12, Y_VALUES + DY_VALUES)
        dy = Buffer(kind, 6, DY_VALUES)
        name = _backward(function, "", suffix)
        return [
            # dx one element past y, and one element past dy: overlapping, not in place
            c_call(name, shared.at(0), dy.array, shared.at(1), 2, 3, 1.0, buffers=[shared, dy]),
            c_call(name, dy.array, shared.at(6), shared.at(5), 2, 3, 1.0, buffers=[shared, dy]),
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        if out_kind == "float":
            return []  # half-float-output-overlap's row
        shared = Buffer("uint16_t", 12, [HALF_ONE[fmt]] * 12)
        return [
            _half_call(function, fmt, out_kind, shared.at(0), shared.at(1), 2, 3, 1.0, [shared])
        ]

    return _every_normalize(backward) + _every_half(half)


def c_strided_overlap_more() -> list[Status]:
    ffi = _ffi()

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        s, y = Buffer(kind, 16, DY_VALUES), Buffer(kind, 6, Y_VALUES)
        name = _backward(function, "_strided", suffix)
        # dx at dy's start with other strides
        return [
            c_call(name, y.array, 3, 1, s.at(0), 3, 1, s.at(0), 6, 2, 2, 3, 1.0, buffers=[s, y])
        ]

    def general(function: str, suffix: str, kind: str) -> list[int]:
        s, t = Buffer(kind, 16, list(range(16))), Buffer(kind, 1, [1.0])
        name = f"psm_{function}_general_{suffix}"
        return [
            c_call(
                name, s.at(0), 3, 1, ffi.NULL, 0, 0, t.array, 0, s.at(0), 6, 2, 2, 3, buffers=[s, t]
            )
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        if out_kind == "float" or function == "logsumexp":
            return []
        s = Buffer("uint16_t", 16, [HALF_ONE[fmt]] * 16)
        return [_half_call(function, fmt, out_kind, s.at(0), s.at(0), 2, 3, 1.0, [s], (3, 1, 6, 2))]

    return _every_normalize(backward) + _every_normalize(general) + _every_half(half)


def c_in_place_more() -> list[Status]:
    def backward(function: str, suffix: str, kind: str) -> list[int]:
        statuses = []
        y, dy, apart = Buffer(kind, 6, Y_VALUES), Buffer(kind, 6, DY_VALUES), Buffer(kind, 6)
        name = _backward(function, "", suffix)
        c_call(name, y.array, dy.array, apart.array, 2, 3, 0.5, buffers=[y, dy, apart])
        own_dy, own_y = Buffer(kind, 6, DY_VALUES), Buffer(kind, 6, Y_VALUES)
        # dx == dy, then dx == y (strided, same strides)
        statuses.append(
            c_call(name, y.array, own_dy.array, own_dy.array, 2, 3, 0.5, buffers=[y, own_dy])
        )
        statuses.append(
            c_call(
                _backward(function, "_strided", suffix),
                own_y.array,
                3,
                1,
                dy.array,
                3,
                1,
                own_y.array,
                3,
                1,
                2,
                3,
                0.5,
                buffers=[own_y, dy],
            )
        )
        assert own_dy.snapshot() == apart.snapshot() == own_y.snapshot(), "in place differs"
        return statuses

    def general(function: str, suffix: str, kind: str) -> list[int]:
        values = [1, 5, 2, 8, 3, 3]
        x, apart, own = Buffer(kind, 6, values), Buffer(kind, 6), Buffer(kind, 6, values)
        t = Buffer(kind, 2, [0.5, 2.0])
        mask = Buffer("unsigned char", 6, [1, 0, 1, 1, 1, 0])
        name = f"psm_{function}_general_{suffix}"
        c_call(
            name,
            x.array,
            3,
            1,
            mask.array,
            3,
            1,
            t.array,
            1,
            apart.array,
            3,
            1,
            2,
            3,
            buffers=[x, mask, t, apart],
        )
        status = c_call(
            name,
            own.array,
            3,
            1,
            mask.array,
            3,
            1,
            t.array,
            1,
            own.array,
            3,
            1,
            2,
            3,
            buffers=[own, mask, t],
        )
        assert own.snapshot() == apart.snapshot(), "in place is not the same as apart"
        return [status]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        if out_kind == "float":
            return []  # in place means nothing across element sizes: an overlap
        values = [HALF_ONE[fmt], 0x4000, 0x3800, 0x4400, 0x3C00, 0x3C00]
        x, apart, own = (
            Buffer("uint16_t", 6, values),
            Buffer("uint16_t", 6),
            Buffer("uint16_t", 6, values),
        )
        _half_call(function, fmt, out_kind, x.array, apart.array, 2, 3, 0.5, [x, apart])
        status = _half_call(function, fmt, out_kind, own.array, own.array, 2, 3, 0.5, [own])
        rows = 1 if function == "logsumexp" else 3
        assert list(own.array[0 : 2 * rows]) == list(apart.array[0 : 2 * rows]), "in place differs"
        return [status]

    return _every_normalize(backward) + _every_normalize(general) + _every_half(half)


def c_output_stride_shared_more() -> list[Status]:
    ffi = _ffi()

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy, dx, t = (
            Buffer(kind, 6, Y_VALUES),
            Buffer(kind, 6, DY_VALUES),
            Buffer(kind, 12),
            Buffer(kind, 1, [1]),
        )
        b = [y, dy, dx, t]
        return [
            c_call(
                _backward(function, "_strided", suffix),
                y.array,
                3,
                1,
                dy.array,
                3,
                1,
                dx.array,
                3,
                0,
                2,
                3,
                1.0,
                buffers=b,
            ),
            c_call(
                _backward(function, "_general", suffix),
                y.array,
                3,
                1,
                dy.array,
                3,
                1,
                t.array,
                0,
                dx.array,
                0,
                1,
                2,
                3,
                buffers=b,
            ),
        ]

    def general(function: str, suffix: str, kind: str) -> list[int]:
        x, y, t = Buffer(kind, 6, list(range(6))), Buffer(kind, 12), Buffer(kind, 1, [1])
        return [
            c_call(
                f"psm_{function}_general_{suffix}",
                x.array,
                3,
                1,
                ffi.NULL,
                0,
                0,
                t.array,
                0,
                y.array,
                3,
                0,
                2,
                3,
                buffers=[x, y, t],
            )
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        x, y = Buffer("uint16_t", 6, [HALF_ONE[fmt]] * 6), Buffer(out_kind, 12)
        strides = (3, 1, 0, 0) if function == "logsumexp" else (3, 1, 3, 0)
        return [_half_call(function, fmt, out_kind, x.array, y.array, 2, 3, 1.0, [x, y], strides)]

    statuses = _every_normalize(backward) + _every_normalize(general) + _every_half(half)
    for suffix, kind in _suffixes():
        x, b = Buffer(kind, 6, list(range(6))), Buffer(kind, 6, [1] * 6)
        out, sign = Buffer(kind, 2), Buffer(kind, 2)
        weighted = f"psm_logsumexp_weighted_{suffix}"
        buffers = [x, b, out, sign]
        statuses += [
            c_call(
                weighted,
                x.array,
                3,
                1,
                b.array,
                3,
                1,
                out.array,
                0,
                sign.array,
                1,
                2,
                3,
                buffers=buffers,
            ),
            c_call(
                weighted,
                x.array,
                3,
                1,
                b.array,
                3,
                1,
                out.array,
                1,
                sign.array,
                0,
                2,
                3,
                buffers=buffers,
            ),
            c_call(
                f"psm_logsumexp_general_{suffix}",
                x.array,
                3,
                1,
                ffi.NULL,
                0,
                0,
                out.array,
                0,
                2,
                3,
                buffers=[x, out],
            ),
        ]
    return statuses


def c_input_stride_zero_more() -> list[Status]:
    ffi = _ffi()

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy, dx = Buffer(kind, 3, Y_VALUES[:3]), Buffer(kind, 3, DY_VALUES[:3]), Buffer(kind, 6)
        return [
            c_call(
                _backward(function, "_strided", suffix),
                y.array,
                0,
                1,
                dy.array,
                1,
                0,
                dx.array,
                3,
                1,
                2,
                3,
                1.0,
                buffers=[y, dy, dx],
            )
        ]

    def general(function: str, suffix: str, kind: str) -> list[int]:
        x, y, t = Buffer(kind, 3, [1, 2, 3]), Buffer(kind, 6), Buffer(kind, 1, [1.0])
        mask = Buffer("unsigned char", 1, [1])
        return [
            c_call(
                f"psm_{function}_general_{suffix}",
                x.array,
                0,
                1,
                mask.array,
                0,
                0,
                t.array,
                0,
                y.array,
                3,
                1,
                2,
                3,
                buffers=[x, mask, t, y],
            )
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        x, y = Buffer("uint16_t", 3, [HALF_ONE[fmt]] * 3), Buffer(out_kind, 6)
        strides = (0, 1, 1, 0) if function == "logsumexp" else (0, 1, 3, 1)
        return [_half_call(function, fmt, out_kind, x.array, y.array, 2, 3, 1.0, [x, y], strides)]

    statuses = _every_normalize(backward) + _every_normalize(general) + _every_half(half)
    for suffix, kind in _suffixes():
        x, b, out = Buffer(kind, 3, [1, 2, 3]), Buffer(kind, 1, [2.0]), Buffer(kind, 2)
        statuses.append(
            c_call(
                f"psm_logsumexp_weighted_{suffix}",
                x.array,
                0,
                1,
                b.array,
                0,
                0,
                out.array,
                1,
                ffi.NULL,
                0,
                2,
                3,
                buffers=[x, b, out],
            )
        )
    return statuses


def c_special_values_more() -> list[Status]:
    values = [math.nan, math.inf, -math.inf, 5e-324, -0.0, 1.0]

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy, dx = Buffer(kind, 6, values), Buffer(kind, 6, values[::-1]), Buffer(kind, 6)
        return [
            c_call(
                _backward(function, "", suffix),
                y.array,
                dy.array,
                dx.array,
                3,
                2,
                1.0,
                buffers=[y, dy, dx],
            )
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        patterns = [
            HALF_NAN[fmt],
            HALF_INFINITY[fmt],
            HALF_NEGATIVE_INFINITY[fmt],
            1,
            0x8000,
            HALF_ONE[fmt],
        ]
        x, y = Buffer("uint16_t", 6, patterns), Buffer(out_kind, 6)
        return [_half_call(function, fmt, out_kind, x.array, y.array, 3, 2, 1.0, [x, y])]

    statuses = _every_normalize(backward) + _every_half(half)
    for suffix, kind in _suffixes():
        x, b = Buffer(kind, 6, values), Buffer(kind, 6, [1.0, -1.0, math.inf, 0.0, -2.0, math.nan])
        out, sign = Buffer(kind, 3), Buffer(kind, 3)
        statuses.append(
            c_call(
                f"psm_logsumexp_weighted_{suffix}",
                x.array,
                2,
                1,
                b.array,
                2,
                1,
                out.array,
                1,
                sign.array,
                1,
                3,
                2,
                buffers=[x, b, out, sign],
            )
        )
    return statuses


def c_empty_rows_more() -> list[Status]:
    ffi = _ffi()

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy, dx = Buffer(kind, 1), Buffer(kind, 1), Buffer(kind, 1)
        before = dx.snapshot()
        status = c_call(
            _backward(function, "", suffix),
            y.array,
            dy.array,
            dx.array,
            3,
            0,
            1.0,
            buffers=[y, dy, dx],
        )
        assert dx.snapshot() == before, "n == 0 wrote to dx"
        return [status]

    def general(function: str, suffix: str, kind: str) -> list[int]:
        x, y, t = Buffer(kind, 1), Buffer(kind, 1), Buffer(kind, 3, [1, 1, 1])
        before = y.snapshot()
        status = c_call(
            f"psm_{function}_general_{suffix}",
            x.array,
            0,
            1,
            ffi.NULL,
            0,
            0,
            t.array,
            1,
            y.array,
            0,
            1,
            3,
            0,
            buffers=[x, t, y],
        )
        assert y.snapshot() == before, "n == 0 wrote to y"
        return [status]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        x, y = Buffer("uint16_t", 1), Buffer(out_kind, 3)
        status = _half_call(function, fmt, out_kind, x.array, y.array, 3, 0, 1.0, [x, y])
        if function == "logsumexp":
            want = -math.inf if out_kind == "float" else HALF_NEGATIVE_INFINITY[fmt]
            assert list(y.array[0:3]) == [want] * 3
        return [status]

    statuses = _every_normalize(backward) + _every_normalize(general) + _every_half(half)
    for suffix, kind in _suffixes():
        x, b, out, sign = Buffer(kind, 1), Buffer(kind, 1), Buffer(kind, 3), Buffer(kind, 3)
        statuses.append(
            c_call(
                f"psm_logsumexp_weighted_{suffix}",
                x.array,
                0,
                1,
                b.array,
                0,
                1,
                out.array,
                1,
                sign.array,
                1,
                3,
                0,
                buffers=[x, b, out, sign],
            )
        )
        assert list(out.array[0:3]) == [-math.inf] * 3 and list(sign.array[0:3]) == [0.0] * 3
        statuses.append(
            c_call(
                f"psm_logsumexp_general_{suffix}",
                x.array,
                0,
                1,
                ffi.NULL,
                0,
                0,
                out.array,
                1,
                3,
                0,
                buffers=[x, out],
            )
        )
        assert list(out.array[0:3]) == [-math.inf] * 3
    return statuses


def c_temperatures_null_more() -> list[Status]:
    ffi = _ffi()

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy, dx = Buffer(kind, 6, Y_VALUES), Buffer(kind, 6, DY_VALUES), Buffer(kind, 6)
        return [
            c_call(
                _backward(function, "_general", suffix),
                y.array,
                3,
                1,
                dy.array,
                3,
                1,
                ffi.NULL,
                0,
                dx.array,
                3,
                1,
                2,
                3,
                buffers=[y, dy, dx],
            )
        ]

    return _every_normalize(backward)


def c_temperatures_negative_more() -> list[Status]:
    def backward(function: str, suffix: str, kind: str) -> list[int]:
        statuses = []
        for bad in (-1.0, math.nan, -math.inf):
            y, dy, dx = Buffer(kind, 6, Y_VALUES), Buffer(kind, 6, DY_VALUES), Buffer(kind, 6)
            t = Buffer(kind, 2, [1.0, bad])
            statuses.append(
                c_call(
                    _backward(function, "_general", suffix),
                    y.array,
                    3,
                    1,
                    dy.array,
                    3,
                    1,
                    t.array,
                    1,
                    dx.array,
                    3,
                    1,
                    2,
                    3,
                    buffers=[y, dy, dx, t],
                )
            )
        return statuses

    return _every_normalize(backward)


def c_temperature_no_rows() -> list[Status]:
    def forward(function: str, suffix: str, kind: str) -> list[int]:
        x, y = Buffer(kind, 3), Buffer(kind, 3)
        return [
            normalize(function, suffix, x.array, y.array, 0, 3, t, [x, y], strides)
            for t in (-1.0, math.nan)
            for strides in (None, (3, 1, 3, 1))
        ]

    def backward(function: str, suffix: str, kind: str) -> list[int]:
        y, dy, dx = Buffer(kind, 3), Buffer(kind, 3), Buffer(kind, 3)
        return [
            status
            for t in (-1.0, math.nan)
            for status in (
                c_call(
                    _backward(function, "", suffix),
                    y.array,
                    dy.array,
                    dx.array,
                    0,
                    3,
                    t,
                    buffers=[y, dy, dx],
                ),
                c_call(
                    _backward(function, "_strided", suffix),
                    y.array,
                    3,
                    1,
                    dy.array,
                    3,
                    1,
                    dx.array,
                    3,
                    1,
                    0,
                    3,
                    t,
                    buffers=[y, dy, dx],
                ),
            )
        ]

    def half(function: str, fmt: str, out_kind: str) -> list[int]:
        if function == "logsumexp":
            return []
        x, y = Buffer("uint16_t", 3), Buffer(out_kind, 3)
        return [_half_call(function, fmt, out_kind, x.array, y.array, 0, 3, -1.0, [x, y])]

    return _every_normalize(forward) + _every_normalize(backward) + _every_half(half)


def c_backward_inputs_overlap() -> list[Status]:
    def backward(function: str, suffix: str, kind: str) -> list[int]:
        shared, dx = Buffer(kind, 8, [*Y_VALUES, 0.4, 0.6]), Buffer(kind, 6)
        return [
            # dy two entries into y's array, and dy == y
            c_call(
                _backward(function, "", suffix),
                shared.at(0),
                shared.at(2),
                dx.array,
                2,
                3,
                1.0,
                buffers=[shared, dx],
            ),
            c_call(
                _backward(function, "_strided", suffix),
                shared.at(0),
                3,
                1,
                shared.at(0),
                1,
                3,
                dx.array,
                3,
                1,
                2,
                3,
                1.0,
                buffers=[shared, dx],
            ),
        ]

    return _every_normalize(backward)


def c_where_null_strides() -> list[Status]:
    ffi = _ffi()

    def general(function: str, suffix: str, kind: str) -> list[int]:
        x, y, z, t = (
            Buffer(kind, 6, [1, 2, 3, 4, 5, 6]),
            Buffer(kind, 6),
            Buffer(kind, 6),
            Buffer(kind, 1, [1.0]),
        )
        name = f"psm_{function}_general_{suffix}"
        status = c_call(
            name,
            x.array,
            3,
            1,
            ffi.NULL,
            PTRDIFF_MIN,
            PTRDIFF_MAX,
            t.array,
            0,
            y.array,
            3,
            1,
            2,
            3,
            buffers=[x, t, y],
        )
        c_call(
            name, x.array, 3, 1, ffi.NULL, 0, 0, t.array, 0, z.array, 3, 1, 2, 3, buffers=[x, t, z]
        )
        assert y.snapshot() == z.snapshot(), "the strides of a NULL mask changed the result"
        return [status]

    statuses = _every_normalize(general)
    for suffix, kind in _suffixes():
        x, out = Buffer(kind, 6, [1, 2, 3, 4, 5, 6]), Buffer(kind, 2)
        statuses.append(
            c_call(
                f"psm_logsumexp_general_{suffix}",
                x.array,
                3,
                1,
                ffi.NULL,
                PTRDIFF_MAX,
                PTRDIFF_MIN,
                out.array,
                1,
                2,
                3,
                buffers=[x, out],
            )
        )
    return statuses


def c_weighted_sign_null() -> list[Status]:
    ffi = _ffi()
    statuses: list[Status] = []
    for suffix, kind in _suffixes():
        x, b, out = Buffer(kind, 4, [1, 2, 3, 4]), Buffer(kind, 4, [1, -2, 1, 1]), Buffer(kind, 2)
        # sign not asked: its stride does not count; the negative sum (row 0) gives NaN
        statuses.append(
            c_call(
                f"psm_logsumexp_weighted_{suffix}",
                x.array,
                2,
                1,
                b.array,
                2,
                1,
                out.array,
                1,
                ffi.NULL,
                PTRDIFF_MIN,
                2,
                2,
                buffers=[x, b, out],
            )
        )
        assert math.isnan(out.array[0]) and math.isfinite(out.array[1]), list(out.array)
    return statuses


def c_several_errors_across_arrays() -> list[Status]:
    ffi, lib = _ffi(), _lib()
    statuses: list[Status] = []
    for suffix, kind in _suffixes():
        x, y, b = Buffer(kind, 6, [1, 2, 3, 4, 5, 6]), Buffer(kind, 6, Y_VALUES), Buffer(kind, 6)
        # the temperatures NULL (x's check finds y overlapping x): NULL_POINTER first
        for function in ("softmax", "log_softmax"):
            statuses.append(
                c_call(
                    f"psm_{function}_general_{suffix}",
                    x.at(0),
                    3,
                    1,
                    ffi.NULL,
                    0,
                    0,
                    ffi.NULL,
                    0,
                    x.at(1),
                    3,
                    1,
                    2,
                    3,
                    buffers=[x],
                )
            )
            statuses.append(
                c_call(
                    _backward(function, "_general", suffix),
                    y.array,
                    3,
                    1,
                    x.array,
                    3,
                    1,
                    ffi.NULL,
                    0,
                    y.at(1),
                    3,
                    1,
                    2,
                    3,
                    buffers=[x, y],
                )
            )
        # weighted: b NULL, out inside x
        statuses.append(
            c_call(
                f"psm_logsumexp_weighted_{suffix}",
                x.array,
                3,
                1,
                ffi.NULL,
                3,
                1,
                x.at(1),
                1,
                ffi.NULL,
                0,
                2,
                3,
                buffers=[x],
            )
        )
        # and the order's first, SIZE_OVERFLOW (the mask's span) before y's STRIDE
        mask = Buffer("unsigned char", 6, [1] * 6)
        t = Buffer(kind, 1, [1.0])
        assert (
            c_call(
                f"psm_softmax_general_{suffix}",
                x.array,
                3,
                1,
                mask.array,
                PTRDIFF_MAX,
                1,
                t.array,
                0,
                b.array,
                0,
                1,
                2,
                3,
                buffers=[x, mask, b],
            )
            == lib.PSM_E_SIZE_OVERFLOW
        )
    return statuses


C_CHECKS: dict[str, Callable[[], list[Status]]] = {
    "temperature-negative": _joined(
        c_temperature([-1.0, -math.inf, -1e-40, -1e30]),
        c_temperature_more([-1.0, -math.inf, -1e-40, -1e30]),
    ),
    "temperature-nan": _joined(
        c_temperature([math.nan, -math.nan, _signaling_nan()]),
        c_temperature_more([math.nan, -math.nan, _signaling_nan()]),
    ),
    "temperature-negative-zero": _joined(c_negative_zero, c_negative_zero_more),
    "temperature-no-rows": c_temperature_no_rows,
    "null-non-empty": _joined(c_null_non_empty, c_null_non_empty_more),
    "null-empty": _joined(c_null_empty, c_null_empty_more),
    "size-overflow": _joined(c_size_overflow, c_size_overflow_more),
    "strided-span-overflow": _joined(c_strided_span_overflow, c_strided_span_overflow_more),
    "overlap": _joined(c_overlap, c_overlap_more),
    "strided-overlap": _joined(c_strided_overlap, c_strided_overlap_more),
    "in-place": _joined(c_in_place, c_in_place_more),
    "strided-logsumexp-in-place": c_strided_logsumexp_in_place,
    "output-stride-shared": _joined(c_output_stride_shared, c_output_stride_shared_more),
    "output-stride-interleaved": c_output_stride_interleaved,
    "input-stride-zero": _joined(c_input_stride_zero, c_input_stride_zero_more),
    "backward-inputs-overlap": c_backward_inputs_overlap,
    "several-errors": c_several_errors,
    "several-errors-across-arrays": c_several_errors_across_arrays,
    "unknown-status": c_unknown_status,
    "special-values": _joined(c_special_values, c_special_values_more),
    "empty-rows": _joined(c_empty_rows, c_empty_rows_more),
    "where-overlaps-output": c_where_overlaps_output,
    "where-null-strides": c_where_null_strides,
    "temperatures-negative": _joined(c_temperatures_negative, c_temperatures_negative_more),
    "temperatures-null": _joined(c_temperatures_null, c_temperatures_null_more),
    "weighted-outputs-overlap": c_weighted_outputs_overlap,
    "weighted-sign-null": c_weighted_sign_null,
    "half-float-output-overlap": c_half_float_output_overlap,
}


# ---------------------------------------------------------------- Python calls

X = np.arange(6.0).reshape(2, 3)
X32 = X.astype(np.float32)
Outcome = BaseException | None


def _outcome(call: Callable[[], Any]) -> Outcome:
    try:
        call()
    except Exception as error:  # the table says which; anything else fails the row
        return error
    return None


def _calls(*calls: Callable[[], Any]) -> Callable[[], list[Outcome]]:
    def check() -> list[Outcome]:
        return [_outcome(call) for call in calls]

    return check


def _normalizing(x: Any, **kwargs: Any) -> list[Callable[[], Any]]:
    return [
        lambda: pysoftmax.softmax(x, **kwargs),
        lambda: pysoftmax.log_softmax(x, **kwargs),
    ]


def _every_function(x: Any, **kwargs: Any) -> list[Callable[[], Any]]:
    return [*_normalizing(x, **kwargs), lambda: pysoftmax.logsumexp(x, **kwargs)]


def _with_environment(name: str, value: str, call: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(name, value)
            return call()

    return run


def _foreign_backend() -> str:
    """An available backend that takes no numpy arrays (torch, jax or dask: test extras)."""
    for info in pysoftmax.backends():
        if info.available and info.name in ("torch", "jax", "dask"):
            return info.name
    pytest.skip("no backend that refuses numpy arrays is installed (torch, jax, dask)")


_NARROW = [X32, X.astype(np.float16)] + ([X.astype(BFLOAT16)] if BFLOAT16 is not None else [])
NOT_ARRAYS: list[Any] = [
    None,
    {},
    {1.0, 2.0},
    object(),
    [[1.0, 2.0], [3.0]],
    [None, 1.0],
    [2**70, 1],
]
BAD_DTYPES: list[Any] = [
    np.ones(3, bool),
    np.ones(3, complex),
    np.array(["a", "b"]),
    np.array([b"a"]),
    np.array([1.0], dtype=object),
    np.array(["2020-01-01"], dtype="datetime64[D]"),
    np.array([1], dtype="timedelta64[s]"),
    np.zeros(3, dtype=[("a", "f8")]),
    np.zeros(3, dtype="V8"),
    np.ones(3, np.longdouble),
]


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


PY_CHECKS: dict[str, Callable[[], list[Outcome]]] = {
    "b-shape": _calls(
        lambda: pysoftmax.logsumexp(X, b=np.ones(2)),
        lambda: pysoftmax.logsumexp(X, b=np.ones((3, 2, 3))),
    ),
    "b-dtype": _calls(
        lambda: pysoftmax.logsumexp(X, b=np.ones(3) * 1j),
        lambda: pysoftmax.logsumexp(X, b=["a", "b", "c"]),
    ),
    "return-sign-type": _calls(
        lambda: pysoftmax.logsumexp(X, return_sign=1),  # type: ignore[arg-type]
        lambda: pysoftmax.logsumexp(X, return_sign=None),  # type: ignore[arg-type]
    ),
    "where-dtype": _calls(
        *[
            call
            for w in ([1, 0, 1], np.ones(3), np.array(["a", "b", "c"]))
            for call in _normalizing(X, where=w)
        ],
        lambda: pysoftmax.logsumexp(X, where=[1, 0, 1]),
    ),
    "where-shape": _calls(
        *_normalizing(X, where=np.ones(2, bool)),
        *_normalizing(X, where=np.ones((3, 3), bool)),
        lambda: pysoftmax.logsumexp(X, where=np.ones((1, 2, 3, 1), bool)),
    ),
    "temperatures-shape": _calls(
        *_normalizing(X, temperature=np.ones((2, 3))),
        *_normalizing(X, temperature=np.ones((3, 1))),
        *_normalizing(X, axis=0, temperature=np.ones((2, 1))),
    ),
    "temperatures-negative": _calls(
        *_normalizing(X, temperature=np.array([[1.0], [-1.0]])),
        *_normalizing(X, temperature=[[math.nan], [1.0]]),
    ),
    "out-shape": _calls(
        lambda: pysoftmax.softmax(X, out=np.empty((3, 2))),
        lambda: pysoftmax.logsumexp(X, out=np.empty((2, 1))),
    ),
    "out-dtype": _calls(
        lambda: pysoftmax.softmax(X, out=np.empty((2, 3), np.float32)),
        lambda: pysoftmax.log_softmax(X32, out=np.empty((2, 3))),
    ),
    "out-library": _calls(
        lambda: pysoftmax.softmax(X, out=[[0.0] * 3] * 2),
        lambda: pysoftmax.softmax(X, out=np.empty((2, 3)).tolist()),
    ),
    "out-read-only": _calls(lambda: pysoftmax.softmax(X, out=_read_only(np.empty((2, 3))))),
    "dtype-not-floating": _calls(
        *[
            call
            for d in (np.int32, np.bool_, np.complex128, "nope")
            for call in _normalizing(X, dtype=d)
        ],
        lambda: pysoftmax.logsumexp(X, dtype=np.int64),
    ),
    "temperature-negative": _calls(
        *_normalizing(X, temperature=-1.0),
        *_normalizing(X, temperature=-math.inf),
        *_normalizing(X32, temperature=-1e-40),
        *_normalizing(X, temperature=decimal.Decimal("-2")),
    ),
    "temperature-nan": _calls(
        *_normalizing(X, temperature=math.nan),
        *_normalizing(X32, temperature=np.float32("nan")),
        *_normalizing(X, temperature=decimal.Decimal("NaN")),
        *_normalizing(X, temperature=decimal.Decimal("sNaN")),
    ),
    "temperature-negative-zero": _calls(*_normalizing(X, temperature=-0.0)),
    "temperature-no-rows": _calls(
        *_normalizing(np.zeros((0, 3)), temperature=-1.0),
        *_normalizing(np.zeros((0, 3), np.float16), temperature=math.nan),
    ),
    "temperature-rounds-away": _calls(
        *[call for x in _NARROW for t in (1e-50, 1e50) for call in _normalizing(x, temperature=t)]
    ),
    "temperature-not-a-number": _calls(
        *[
            call
            for t in ("1", None, True, 1j, ["a"], np.array(["1.0"]), np.datetime64("2020"))
            for call in _normalizing(X, temperature=t)
        ]
    ),
    "temperature-beyond-float": _calls(
        *_normalizing(X, temperature=10**400),
        *_normalizing(X, temperature=fractions.Fraction(1, 10**400)),
    ),
    "temperature-text-array": _calls(
        *_normalizing(X, temperature=np.array("2")),
        *_normalizing(X, temperature=np.array("2", dtype=object)),
        *_normalizing(X, temperature=np.array(b"2")),
    ),
    "input-stride-zero": _calls(*_every_function(np.broadcast_to(np.arange(3.0), (4, 3)))),
    "special-values": _calls(
        *_every_function(np.array([[np.nan, 1.0], [np.inf, np.inf], [-np.inf, -np.inf]])),
        *_every_function(np.array([5e-324, -0.0, 1e308], dtype=np.float64)),
    ),
    "empty-rows": _calls(*_every_function(np.zeros((2, 0))), *_every_function(np.zeros(0))),
    "x-not-an-array": _calls(*[c for x in NOT_ARRAYS for c in _every_function(x)]),
    "x-dtype": _calls(*[c for x in BAD_DTYPES for c in _every_function(x)]),
    "x-masked": _calls(*_every_function(np.ma.array([1.0, 2.0], mask=[False, True]))),
    "axis-out-of-range": _calls(
        *[c for axis in (2, -3, 10**30, (0, 2)) for c in _every_function(X, axis=axis)]
    ),
    "axis-repeated": _calls(
        *[c for axis in ((0, 0), (1, -1)) for c in _every_function(X, axis=axis)]
    ),
    "axis-type": _calls(
        *[c for axis in (1.0, "0", [0], True, (0, 1.5)) for c in _every_function(X, axis=axis)]
    ),
    "threads-type": _calls(
        *[c for t in (True, 2.0, "2", [2]) for c in _every_function(X, threads=t)]
    ),
    "threads-range": _calls(
        *[c for t in (0, -1, -(10**30)) for c in _every_function(X, threads=t)]
    ),
    "keepdims-type": _calls(
        *[lambda k=k: pysoftmax.logsumexp(X, keepdims=k) for k in (1, None, np.True_, "yes")]
    ),
    "backend-unknown": _calls(
        *[c for b in ("nope", "", "C", 5) for c in _every_function(X, backend=b)]
    ),
    "backend-cannot-take": lambda: _calls(*_every_function(X, backend=_foreign_backend()))(),
    "unknown-keyword": _calls(
        lambda: pysoftmax.logsumexp(X, temperature=2.0),  # type: ignore[call-arg]
    ),
    "env-threads": _calls(
        *[
            _with_environment("PYSOFTMAX_NUM_THREADS", value, call)
            for value in ("0", "two", "-1", " ", "1.5")
            for call in _every_function(X)
        ]
    ),
    "env-backend": _calls(
        *[
            _with_environment("PYSOFTMAX_BACKEND", value, call)
            for value in ("nope", "C ")
            for call in _every_function(X)
        ]
    ),
}

# The unknown-keyword row names `temperature`; softmax(keepdims=...) names its keyword too.
EXTRA_KEYWORD_CHECKS = [
    (lambda: pysoftmax.softmax(X, keepdims=True), "keepdims"),  # type: ignore[call-arg]
    (lambda: pysoftmax.log_softmax(X, output=None), "output"),  # type: ignore[call-arg]
]


# ---------------------------------------------------------------- the tests

EXCEPTIONS: dict[str, type[BaseException]] = {
    "TypeError": TypeError,
    "ValueError": ValueError,
    "AxisError": AxisError,
}


def _case_ids() -> list[str]:
    return [case for case, *_ in table_rows()]


def test_the_table_has_rows_and_every_check_has_its_row() -> None:
    cases = _case_ids()
    assert len(cases) >= 30
    assert len(set(cases)) == len(cases), "a case appears twice in docs/bad-inputs.md"
    assert set(C_CHECKS) <= set(cases), set(C_CHECKS) - set(cases)
    assert set(PY_CHECKS) <= set(cases), set(PY_CHECKS) - set(cases)


@pytest.mark.parametrize("case", _case_ids())
def test_a_row_of_the_table_is_true(case: str) -> None:
    (_, what, c_cell, python_cell) = next(row for row in table_rows() if row[0] == case)
    status_name = expected_c(c_cell)
    if status_name is None:
        assert case not in C_CHECKS, f"{case}: the C column says — but there is a C check"
    else:
        assert case in C_CHECKS, f"{case}: no C check for {what!r}"
        statuses = C_CHECKS[case]()
        assert statuses
        if status_name == '"unknown status"':
            assert set(statuses) == {"unknown status"}, statuses
        else:
            code = getattr(_lib(), status_name)
            assert all(s == code for s in statuses), f"{case}: {statuses}, expected {code}"
    python = expected_python(python_cell)
    if python is None:
        assert case not in PY_CHECKS, f"{case}: the Python column says — but there is a check"
        return
    assert case in PY_CHECKS, f"{case}: no Python check for {what!r}"
    outcomes = PY_CHECKS[case]()
    assert outcomes
    expected, named = python
    for outcome in outcomes:
        if expected == "no error":
            assert outcome is None, f"{case}: raised {outcome!r}"
            continue
        assert isinstance(outcome, EXCEPTIONS[expected]), f"{case}: {outcome!r}, not {expected}"
        if named is not None:
            assert re.search(rf"(?<![\w]){re.escape(named)}(?![\w])", str(outcome)), (
                f"{case}: {outcome!r} does not name {named}"
            )


def test_an_unknown_keyword_is_named() -> None:
    for call, keyword in EXTRA_KEYWORD_CHECKS:
        with pytest.raises(TypeError, match=repr(keyword)):
            call()
