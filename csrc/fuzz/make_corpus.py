"""Write the seed corpus of the fuzz harnesses (csrc/fuzz/corpus/), one small file per case.

    python3 csrc/fuzz/make_corpus.py [DIRECTORY]      # default: csrc/fuzz/corpus

Each seed spells one call in the byte order that fuzz_rows.c reads (see its decoder): a head
byte (bit 0 float64, bit 1 strided), the placement of x and y, rows, n, the strides (strided
only), the temperature (read by softmax and log_softmax; logsumexp reads the same bytes as the
rest of the call, which makes another valid case), the caller's floating-point state, then
one style per row.  corpus/rows/ is shared by the three row harnesses; corpus/status/ holds
status values for fuzz_status; corpus/general/, corpus/weighted/, corpus/backward/ and
corpus/half/ the seeds of fuzz_general.c, fuzz_weighted.c, fuzz_backward.c and fuzz_half.c,
each in its decoder's order (a head byte choosing the function, type and entry point, then
the shape, layouts, placements and modes; the rest of a call, as for every input, from the
PRNG the bytes seed).  The files are rewritten from scratch, so the corpus stays exactly what
this script says.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# fuzz_rows.c's codes.
APART, IN_PLACE, SHIFTED, X_NULL, Y_NULL, BOTH_NULL = 0, 9, 11, 13, 14, 15
RAW, NORMAL, NEAR, SPRINKLED, DEEP, CONSTANT, WIDE, INTEGERS = range(8)


def rows_byte(rows: int) -> bytes:
    """fz_read_rows: 0..9 directly, 16..63 through mode 20."""
    if rows < 10:
        return bytes([rows])
    assert 16 <= rows < 64
    return bytes([20, rows - 16])


def n_byte(n: int) -> bytes:
    """fz_read_n: 0..47 directly, 48..247, 1000..1063 and 4064..4127 through their modes."""
    if n < 48:
        return bytes([n])
    if n < 248:
        return bytes([150, n - 48])
    if 1000 <= n < 1064:
        return bytes([200, n - 1000])
    assert 4064 <= n < 4128
    return bytes([225, n - 4064])


def style(kind: int, scale_exponent: int = 0, center: int = 0, rate: int = 0) -> bytes:
    """fz_read_style: kind, scale 2^(byte % 80 - 40), center index (< 200), special rate."""
    return bytes([kind, (scale_exponent + 40) % 80, center, rate])


def temperature(mode: str, value: float | int = 0) -> bytes:
    """fz_read_temperature: 1, one of the listed values (index), or raw bits."""
    if mode == "one":
        return bytes([0])
    if mode == "listed":
        return bytes([2, int(value)])
    if mode == "raw32":
        return bytes([3]) + struct.pack("<f", value)
    if mode == "raw64":
        return bytes([3]) + struct.pack("<d", value)
    raise ValueError(mode)


LISTED = {
    "0": 0,
    "-0": 1,
    "inf": 2,
    "-inf": 3,
    "nan": 4,
    "0.37": 6,
    "6.5": 7,
    "100": 8,
    "1e-3": 9,
    "1e-30": 10,
    "1e30": 11,
    "min_subnormal32": 16,
    "big": 19,
}


def call(
    *,
    f64: bool,
    strided: bool,
    placement: int = APART,
    rows: int | bytes,
    n: int | bytes,
    strides: bytes = b"",
    temp: bytes = b"\x00",
    environment: int = 0,
    row_styles: list[bytes],
    tail: bytes = b"",
) -> bytes:
    """Return the bytes of one call, in fuzz_rows.c's order."""
    head = bytes([(1 if f64 else 0) | (2 if strided else 0), placement])
    return (
        head
        + (rows if isinstance(rows, bytes) else rows_byte(rows))
        + (n if isinstance(n, bytes) else n_byte(n))
        + (strides if strided else b"")
        + temp
        + bytes([environment])
        + b"".join(row_styles)
        + tail
    )


def raw_row(values: list[float], f64: bool) -> bytes:
    """Return a row style of the given values, bit for bit."""
    return bytes([RAW, 0, 0, 0]) + b"".join(struct.pack("<d" if f64 else "<f", v) for v in values)


def row_seeds() -> dict[str, bytes]:
    """Return the seeds of the row harnesses, by file name."""
    seeds: dict[str, bytes] = {}
    for f64 in (False, True):
        d = "f64" if f64 else "f32"
        big = 1e308 if f64 else 3e38
        seeds[f"{d}-seed-example"] = call(
            f64=f64, strided=False, rows=1, n=4, row_styles=[raw_row([10, 2, 10000, 4], f64)]
        )
        seeds[f"{d}-normal-rows"] = call(
            f64=f64,
            strided=False,
            rows=4,
            n=33,
            row_styles=[style(NORMAL, e) for e in (0, 3, 7, -5)],
        )
        seeds[f"{d}-special-values"] = call(
            f64=f64,
            strided=False,
            rows=6,
            n=5,
            row_styles=[
                raw_row([1, float("nan"), 2, 3, 4], f64),
                raw_row([float("inf"), 1, float("inf"), -1, 0], f64),
                raw_row([float("-inf")] * 5, f64),
                raw_row([float("-inf"), 0, 1, float("-inf"), 2], f64),
                raw_row([big, -big, 0, 1e-45 if not f64 else 5e-324, -0.0], f64),
                raw_row([1, 1, 1, 1, 1], f64),
            ],
        )
        for name, listed in (
            ("zero", "0"),
            ("negative-zero", "-0"),
            ("infinite", "inf"),
            ("nan", "nan"),
            ("negative", "-inf"),
            ("tiny", "1e-30"),
            ("huge", "1e30"),
            ("subnormal", "min_subnormal32"),
        ):
            seeds[f"{d}-temperature-{name}"] = call(
                f64=f64,
                strided=False,
                rows=3,
                n=7,
                temp=temperature("listed", LISTED[listed]),
                row_styles=[style(INTEGERS, 0), style(NORMAL, 2), style(SPRINKLED, 1, 0, 160)],
            )
        seeds[f"{d}-temperature-raw"] = call(
            f64=f64,
            strided=False,
            rows=2,
            n=9,
            temp=temperature("raw64" if f64 else "raw32", 0.37),
            row_styles=[style(NORMAL, 4), style(DEEP)],
        )
        seeds[f"{d}-near-ties"] = call(
            f64=f64, strided=False, rows=3, n=40, row_styles=[style(NEAR, 0, c) for c in (1, 3, 6)]
        )
        seeds[f"{d}-wide-values"] = call(
            f64=f64, strided=False, rows=2, n=20, row_styles=[style(WIDE), style(WIDE, 0, 210)]
        )
        seeds[f"{d}-subnormal-outputs"] = call(
            f64=f64,
            strided=False,
            rows=2,
            n=64,
            temp=temperature("listed", LISTED["6.5"]),
            row_styles=[style(DEEP), style(DEEP)],
        )
        seeds[f"{d}-long-row-1024"] = call(
            f64=f64, strided=False, rows=2, n=1030, row_styles=[style(NORMAL, 3), style(WIDE)]
        )
        seeds[f"{d}-long-row-4096"] = call(
            f64=f64,
            strided=True,
            rows=1,
            n=4100,
            strides=bytes([3, 2, 0]),
            row_styles=[style(NORMAL, 5)],
        )
        seeds[f"{d}-in-place"] = call(
            f64=f64,
            strided=False,
            placement=IN_PLACE,
            rows=3,
            n=17,
            row_styles=[style(NORMAL, 2), style(SPRINKLED, 2, 0, 200), style(CONSTANT, 0, 3)],
        )
        seeds[f"{d}-overlap"] = call(
            f64=f64,
            strided=False,
            placement=SHIFTED,
            rows=2,
            n=8,
            row_styles=[style(NORMAL)] * 2,
        )
        for name, placement in (("x-null", X_NULL), ("y-null", Y_NULL), ("both-null", BOTH_NULL)):
            seeds[f"{d}-{name}"] = call(
                f64=f64, strided=False, placement=placement, rows=2, n=3, row_styles=[]
            )
        seeds[f"{d}-empty-rows"] = call(f64=f64, strided=False, rows=5, n=0, row_styles=[])
        seeds[f"{d}-no-rows"] = call(f64=f64, strided=False, rows=0, n=9, row_styles=[])
        huge = bytes([30]) + struct.pack("<Q", 1 << 40)  # rows = 2^40 (fz_read_rows mode 30)
        seeds[f"{d}-size-overflow"] = call(
            f64=f64,
            strided=False,
            rows=huge,
            n=bytes([255]) + struct.pack("<Q", 1 << 40),
            row_styles=[],
        )
        seeds[f"{d}-huge-empty"] = call(f64=f64, strided=False, rows=huge, n=0, row_styles=[])
        # Strided layouts: (x mode, y mode) of fz_read_x_strides / fz_read_y_strides.
        for name, layout in (
            ("transposed", bytes([1, 1])),  # rows side by side: the kernel across rows
            ("reversed", bytes([2, 2])),
            ("padded", bytes([3, 5, 3, 2])),
            ("random-small", bytes([5, 27, 21, 5, 30, 23])),
            ("broadcast-row", bytes([6, 0])),
            ("broadcast-entry", bytes([7, 0])),
            ("zero-output-stride", bytes([0, 7])),
            ("huge-stride", bytes([10]) + struct.pack("<q", 1 << 61) + bytes([0])),
        ):
            seeds[f"{d}-strided-{name}"] = call(
                f64=f64,
                strided=True,
                rows=20 if name == "transposed" else 4,
                n=12,
                strides=layout,
                row_styles=[style(NORMAL, 3)] * (20 if name == "transposed" else 4),
            )
        seeds[f"{d}-strided-in-place"] = call(
            f64=f64,
            strided=True,
            placement=IN_PLACE,
            rows=3,
            n=6,
            strides=bytes([2, 0]),
            row_styles=[style(NORMAL)] * 3,
        )
        seeds[f"{d}-caller-state"] = call(
            f64=f64,
            strided=False,
            rows=2,
            n=5,
            environment=0x7F,  # every flag raised, flush-to-zero and denormals-are-zero on
            row_styles=[style(DEEP), style(SPRINKLED, 0, 0, 255)],
        )
    return seeds


# ---- the harnesses of the 0.2.0 functions

# fuzz_rows.h's fz_read_layout modes (a byte each; 3 and 4 read one more, 5 two).
CONTIGUOUS, TRANSPOSED, REVERSED, PADDED, BROADCAST_ROW = (
    bytes([0]),
    bytes([1]),
    bytes([2]),
    bytes([3, 2]),
    bytes([6]),
)
# fz_shift_into's 4 bytes: a shift of 3 units from below its partner, so that the array
# overlaps it.
OVERLAPPING = bytes([3, 0, 0, 0])
# fz_read_row_stride modes: 1, -1, 0.
ROW_STRIDE_ONE, ROW_STRIDE_MINUS_ONE, ROW_STRIDE_ZERO = bytes([0]), bytes([2]), bytes([3])


def general_seed(
    *,
    f64: bool,
    function: int,
    rows: int,
    n: int,
    x_layout: bytes = CONTIGUOUS,
    placement: int = APART,
    y_layout: bytes = bytes([0]),
    mask: bytes = bytes([0]),
    temperatures: bytes = ROW_STRIDE_ZERO + bytes([0]),
    environment: int = 0,
    tail: bytes = b"",
) -> bytes:
    """Return the bytes of one fuzz_general.c call.

    In its decoder's order: head, rows, n, x's layout, y's place and layout, the mask, the
    temperatures' stride and place (not for logsumexp), the caller's state, then the rows.
    """
    head = bytes([(1 if f64 else 0) | (function << 1)])
    body = rows_byte(rows) + n_byte(n) + x_layout + bytes([placement])
    if function == 2 or placement not in (IN_PLACE, IN_PLACE + 1):
        body += y_layout
    body += mask
    if function != 2:
        body += temperatures
    return head + body + bytes([environment]) + tail


def general_seeds() -> dict[str, bytes]:
    """Return the seeds of fuzz_general.c, by file name."""
    seeds: dict[str, bytes] = {}
    names = ("softmax", "log-softmax", "logsumexp")
    for f64 in (False, True):
        d = "f64" if f64 else "f32"
        for function, name in enumerate(names):
            # no mask, one temperature: the strided function, bit for bit
            seeds[f"{d}-{name}-plain"] = general_seed(f64=f64, function=function, rows=4, n=17)
            # a random mask of its own (mode 2: layout contiguous), per-row temperatures
            seeds[f"{d}-{name}-masked"] = general_seed(
                f64=f64,
                function=function,
                rows=6,
                n=33,
                mask=bytes([2]) + CONTIGUOUS,
                temperatures=ROW_STRIDE_ONE + bytes([0]),
                tail=style(NORMAL, 2) * 6 + bytes([2, 128]),
            )
        seeds[f"{d}-rows-masked-whole"] = general_seed(
            f64=f64,
            function=0,
            rows=5,
            n=9,
            mask=bytes([3]) + CONTIGUOUS,
            tail=style(SPRINKLED, 1, 0, 200) * 5 + bytes([4]),
        )
        seeds[f"{d}-in-place-transposed"] = general_seed(
            f64=f64, function=1, rows=20, n=12, x_layout=TRANSPOSED, placement=IN_PLACE
        )
        seeds[f"{d}-mask-over-y"] = general_seed(
            f64=f64, function=0, rows=3, n=8, mask=bytes([5]) + CONTIGUOUS + OVERLAPPING
        )
        seeds[f"{d}-temperatures-over-y"] = general_seed(
            f64=f64, function=1, rows=3, n=8, temperatures=ROW_STRIDE_ONE + bytes([5]) + OVERLAPPING
        )
        seeds[f"{d}-temperature-invalid-row"] = general_seed(
            f64=f64,
            function=0,
            rows=7,
            n=5,
            temperatures=ROW_STRIDE_ONE + bytes([0]),
            tail=style(NORMAL) * 7 + bytes([7]),
        )
        seeds[f"{d}-temperatures-null"] = general_seed(
            f64=f64, function=1, rows=2, n=3, temperatures=ROW_STRIDE_ZERO + bytes([7])
        )
        seeds[f"{d}-mask-null-huge-strides"] = general_seed(
            f64=f64, function=2, rows=3, n=6, mask=bytes([1]) + bytes([0xFF] * 16)
        )
        seeds[f"{d}-caller-state"] = general_seed(
            f64=f64,
            function=0,
            rows=2,
            n=20,
            mask=bytes([2]) + CONTIGUOUS,
            environment=0x7F,
            tail=style(DEEP) * 2,
        )
    return seeds


def weighted_seed(
    *,
    f64: bool,
    rows: int,
    n: int,
    x_layout: bytes = CONTIGUOUS,
    b_mode: int = 0,
    out: bytes = ROW_STRIDE_ONE + bytes([0]),
    sign: bytes = bytes([4]) + ROW_STRIDE_ONE,
    environment: int = 0,
    tail: bytes = b"",
) -> bytes:
    """Return the bytes of one fuzz_weighted.c call.

    In its decoder's order: head, rows, n, x's layout, b's mode (0: b's strides x's), out's
    stride and place, sign's mode (0-2: not asked; 3: out's stride) and stride, the state.
    """
    b = bytes([b_mode]) + (bytes([0]) if b_mode != 4 else b"")
    return (
        bytes([1 if f64 else 0])
        + rows_byte(rows)
        + n_byte(n)
        + x_layout
        + b
        + out
        + sign
        + bytes([environment])
        + tail
    )


def weighted_seeds() -> dict[str, bytes]:
    """Return the seeds of fuzz_weighted.c, by file name."""
    seeds: dict[str, bytes] = {}
    for f64 in (False, True):
        d = "f64" if f64 else "f32"
        seeds[f"{d}-signed"] = weighted_seed(
            f64=f64, rows=4, n=13, tail=(style(NORMAL, 2) + bytes([1, 40]) + style(NORMAL)) * 4
        )
        seeds[f"{d}-no-sign"] = weighted_seed(f64=f64, rows=3, n=9, sign=bytes([0]))
        seeds[f"{d}-cancelling"] = weighted_seed(
            f64=f64,
            rows=3,
            n=16,
            tail=(style(NEAR, 0, 1) + bytes([5, 40]) + style(NORMAL)) * 3,
        )
        seeds[f"{d}-weights-of-any-size"] = weighted_seed(
            f64=f64, rows=3, n=8, tail=(style(WIDE) + bytes([6, 0]) + style(NORMAL)) * 3
        )
        # one term each, x tiny (1e-40): out = x, a result near 0 (D7)
        seeds[f"{d}-result-near-zero"] = weighted_seed(
            f64=f64,
            rows=2,
            n=1,
            tail=style(CONSTANT, 0, 9) * 2 + (bytes([0, 40]) + style(NORMAL)) * 2,
        )
        seeds[f"{d}-b-is-x"] = weighted_seed(f64=f64, rows=2, n=7, b_mode=4)
        seeds[f"{d}-b-null"] = weighted_seed(f64=f64, rows=2, n=7, b_mode=6)
        seeds[f"{d}-out-over-x"] = weighted_seed(
            f64=f64, rows=2, n=7, out=ROW_STRIDE_ONE + bytes([6]) + OVERLAPPING
        )
        seeds[f"{d}-sign-over-out"] = weighted_seed(
            f64=f64, rows=2, n=7, sign=bytes([6]) + ROW_STRIDE_ONE + OVERLAPPING
        )
        seeds[f"{d}-out-stride-zero"] = weighted_seed(
            f64=f64, rows=3, n=4, out=ROW_STRIDE_ZERO + bytes([0])
        )
        seeds[f"{d}-transposed-reversed-out"] = weighted_seed(
            f64=f64, rows=20, n=6, x_layout=TRANSPOSED, out=ROW_STRIDE_MINUS_ONE + bytes([0])
        )
    return seeds


# fuzz_backward.c's entry points.
CONTIGUOUS_KIND, STRIDED_KIND, GENERAL_KIND = 0, 1, 2


def backward_seed(
    *,
    f64: bool,
    log: bool,
    kind: int,
    rows: int,
    n: int,
    y_layout: bytes = CONTIGUOUS,
    dy_mode: int = 0,
    dx_mode: int = 0,
    dx_shift: bytes = b"",
    y_null: bool = False,
    temperature: bytes = bytes([0]),
    environment: int = 0,
    tail: bytes = b"",
) -> bytes:
    """Return the bytes of one fuzz_backward.c call.

    In its decoder's order: head (type, function, entry point), rows, n, y's layout, dy's mode
    (5: dy == y) and strides (y's), dx's mode (6: dx == dy, 8: dx == y, 9-10: shifted into
    y's or dy's allocation, by dx_shift) and strides (y's), y NULL or not, the temperature
    (general: the temperatures' stride 0 and own place), the caller's state.
    """
    strided = kind != CONTIGUOUS_KIND
    head = bytes([(1 if f64 else 0) | (2 if log else 0) | (kind << 2)])
    body = rows_byte(rows) + n_byte(n) + (y_layout if strided else b"")
    body += bytes([dy_mode]) + (bytes([0]) if dy_mode != 5 else b"")
    body += bytes([dx_mode]) + (bytes([0]) if dx_mode not in (6, 7, 8) else b"") + dx_shift
    body += bytes([16 if y_null else 1])
    if kind == GENERAL_KIND:
        body += ROW_STRIDE_ZERO + bytes([0])
    else:
        body += temperature
    return head + body + bytes([environment]) + tail


def backward_seeds() -> dict[str, bytes]:
    """Return the seeds of fuzz_backward.c, by file name."""
    seeds: dict[str, bytes] = {}
    for f64 in (False, True):
        d = "f64" if f64 else "f32"
        for log in (False, True):
            name = f"{d}-{'log-softmax' if log else 'softmax'}"
            for kind, kind_name in ((0, "contiguous"), (1, "strided"), (2, "general")):
                seeds[f"{name}-{kind_name}"] = backward_seed(
                    f64=f64, log=log, kind=kind, rows=4, n=21
                )
            seeds[f"{name}-in-place-dy"] = backward_seed(
                f64=f64, log=log, kind=STRIDED_KIND, rows=3, n=9, dx_mode=6
            )
            seeds[f"{name}-long-rows"] = backward_seed(
                f64=f64, log=log, kind=CONTIGUOUS_KIND, rows=2, n=1030
            )
        seeds[f"{d}-in-place-y-transposed"] = backward_seed(
            f64=f64, log=False, kind=STRIDED_KIND, rows=20, n=6, y_layout=TRANSPOSED, dx_mode=8
        )
        seeds[f"{d}-dy-is-y"] = backward_seed(f64=f64, log=True, kind=0, rows=2, n=5, dy_mode=5)
        seeds[f"{d}-dx-over-dy"] = backward_seed(
            f64=f64, log=False, kind=1, rows=2, n=5, dx_mode=10, dx_shift=OVERLAPPING
        )
        seeds[f"{d}-y-null"] = backward_seed(f64=f64, log=False, kind=0, rows=2, n=5, y_null=True)
        seeds[f"{d}-temperature-zero"] = backward_seed(
            f64=f64, log=True, kind=1, rows=2, n=5, temperature=temperature("listed", LISTED["0"])
        )
        seeds[f"{d}-temperature-nan-no-rows"] = backward_seed(
            f64=f64,
            log=False,
            kind=0,
            rows=0,
            n=5,
            temperature=temperature("listed", LISTED["nan"]),
        )
        seeds[f"{d}-caller-state"] = backward_seed(
            f64=f64, log=True, kind=2, rows=3, n=10, environment=0x7F
        )
    return seeds


def half_seed(
    *,
    bf16: bool,
    float_output: bool,
    strided: bool,
    function: int,
    rows: int,
    n: int,
    placement: int = APART,
    layout: bytes = CONTIGUOUS,
    y_layout: bytes = bytes([0]),
    temp: bytes = bytes([0]),
    environment: int = 0,
    tail: bytes = b"",
) -> bytes:
    """Return the bytes of one fuzz_half.c call.

    In its decoder's order: head (format, output, entry point, function), y's place, rows, n,
    x's layout (strided), y's (strided: 0 = x's), the temperature, the state, then the rows.
    """
    head = bytes(
        [(1 if bf16 else 0) | (2 if float_output else 0) | (4 if strided else 0) | (function << 3)]
    )
    body = bytes([placement]) + rows_byte(rows) + n_byte(n)
    if strided:
        body += layout
        if function == 2 or placement not in (IN_PLACE, IN_PLACE + 1):
            body += y_layout
    return head + body + temp + bytes([environment]) + tail


def half_seeds() -> dict[str, bytes]:
    """Return the seeds of fuzz_half.c, by file name."""
    seeds: dict[str, bytes] = {}
    names = ("softmax", "log-softmax", "logsumexp")
    for bf16 in (False, True):
        fmt = "bf16" if bf16 else "f16"
        for float_output in (False, True):
            out = "-f32" if float_output else ""
            for function, name in enumerate(names):
                seeds[f"{fmt}{out}-{name}"] = half_seed(
                    bf16=bf16,
                    float_output=float_output,
                    strided=False,
                    function=function,
                    rows=3,
                    n=40,
                )
            seeds[f"{fmt}{out}-strided-transposed"] = half_seed(
                bf16=bf16,
                float_output=float_output,
                strided=True,
                function=0,
                rows=20,
                n=12,
                layout=TRANSPOSED,
            )
            seeds[f"{fmt}{out}-in-place"] = half_seed(
                bf16=bf16,
                float_output=float_output,
                strided=False,
                function=1,
                rows=2,
                n=9,
                placement=IN_PLACE,
            )
        seeds[f"{fmt}-long-row-4096"] = half_seed(
            bf16=bf16, float_output=False, strided=False, function=0, rows=1, n=4100
        )
        seeds[f"{fmt}-f32-long-row-logsumexp"] = half_seed(
            bf16=bf16, float_output=True, strided=False, function=2, rows=1, n=4100
        )
        seeds[f"{fmt}-raw-patterns"] = half_seed(
            bf16=bf16,
            float_output=False,
            strided=False,
            function=0,
            rows=4,
            n=16,
            tail=bytes([0]) + style(RAW) + bytes([0]) + style(RAW),
        )
        seeds[f"{fmt}-caller-state"] = half_seed(
            bf16=bf16,
            float_output=False,
            strided=True,
            function=1,
            rows=2,
            n=30,
            temp=temperature("listed", LISTED["min_subnormal32"]),
            environment=0x7F,
        )
    return seeds


def status_seeds() -> dict[str, bytes]:
    """Return the seeds of fuzz_status, by file name."""
    values = [0, -1, -2, -3, -4, -5, -6, 1, -99, 2**31 - 1, -(2**31)]
    return {
        "codes": b"".join(struct.pack("<i", v) for v in values),
        "near-codes": bytes([7, 0, 0, 0, 1]),
        "empty": b"",
    }


def write(directory: Path, seeds: dict[str, bytes]) -> None:
    """Replace the files of ``directory`` with ``seeds``."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        old.unlink()
    for name, data in sorted(seeds.items()):
        (directory / name).write_bytes(data)


def main(argv: list[str]) -> None:
    """Write both corpora (under ``argv[1]``, else corpus/ here) and say how large they are."""
    root = Path(argv[1]) if len(argv) > 1 else HERE / "corpus"
    write(root / "rows", row_seeds())
    write(root / "status", status_seeds())
    write(root / "general", general_seeds())
    write(root / "weighted", weighted_seeds())
    write(root / "backward", backward_seeds())
    write(root / "half", half_seeds())
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    count = sum(1 for p in root.rglob("*") if p.is_file())
    print(f"{count} seeds, {total} bytes")


if __name__ == "__main__":
    main(sys.argv)
