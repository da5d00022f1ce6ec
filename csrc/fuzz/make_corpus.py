"""Write the seed corpus of the fuzz harnesses (csrc/fuzz/corpus/), one small file per case.

    python3 csrc/fuzz/make_corpus.py [DIRECTORY]      # default: csrc/fuzz/corpus

Each seed spells one call in the byte order that fuzz_rows.c reads (see its decoder): a head
byte (bit 0 float64, bit 1 strided), the placement of x and y, rows, n, the strides (strided
only), the temperature (read by softmax and log_softmax; logsumexp reads the same bytes as the
rest of the call, which makes another valid case), the caller's floating-point state, then
one style per row.  corpus/rows/ is shared by the three row harnesses; corpus/status/ holds
status values for fuzz_status.  The files are rewritten from scratch, so the corpus stays
exactly what this script says.
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
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    count = sum(1 for p in root.rglob("*") if p.is_file())
    print(f"{count} seeds, {total} bytes")


if __name__ == "__main__":
    main(sys.argv)
