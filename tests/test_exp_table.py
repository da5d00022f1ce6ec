"""The float64 kernels' exp table and constants (csrc/src/lane_math.h) against mpmath.

Every entry exactly: ``psm_lane_exp_bits[j]`` is the bit pattern of 2^(j/256) rounded to
double, times 2^600, less j * 2^44 (so that adding the reduced argument's bits makes the
scaled power of two), and ``psm_lane_exp_corrections[j]`` is (2^(j/256) - s_j) / s_j rounded
to double; ln2/256 and its parts are what their comments say, and the split parts multiply
any |k| < 2^19 exactly.  The C test ``test_lane_exp`` measures the exponential built on them.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import mpmath
import pytest

HEADER = Path(__file__).resolve().parents[1] / "csrc" / "src" / "lane_math.h"
BITS = 8
SCALE = 600


def _table(name: str) -> list[str]:
    text = HEADER.read_text()
    match = re.search(rf"{name}\[(\d+)\] = \{{(.*?)\}};", text, re.S)
    assert match is not None, name
    entries = [entry.strip() for entry in match.group(2).split(",") if entry.strip()]
    assert len(entries) == int(match.group(1)) == 1 << BITS
    return entries


def _define(name: str) -> float:
    match = re.search(rf"#define {name} (\S+)", HEADER.read_text())
    assert match is not None, name
    return float.fromhex(match.group(1))


def _bits(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def _from_bits(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits % 2**64))[0]


def _significant_bits(value: float) -> int:
    mantissa = _bits(value) & ((1 << 52) - 1) | (1 << 52)
    return 53 - ((mantissa & -mantissa).bit_length() - 1)


@pytest.fixture(scope="module")
def exact_powers() -> list[mpmath.mpf]:
    with mpmath.workprec(300):
        return [mpmath.power(2, mpmath.mpf(j) / (1 << BITS)) for j in range(1 << BITS)]


def test_every_power_of_two_entry(exact_powers):
    for j, entry in enumerate(_table("psm_lane_exp_bits")):
        stored = int(re.fullmatch(r"UINT64_C\((0x[0-9a-f]{16})\)", entry).group(1), 16)
        value = _from_bits(stored + (j << (52 - BITS)) - (SCALE << 52))
        assert value == float(exact_powers[j]), j


def test_every_correction_entry(exact_powers):
    with mpmath.workprec(300):
        for j, entry in enumerate(_table("psm_lane_exp_corrections")):
            rounded = mpmath.mpf(float(exact_powers[j]))
            assert float.fromhex(entry) == float((exact_powers[j] - rounded) / rounded), j


def test_the_reduction_constants():
    with mpmath.workprec(300):
        step = mpmath.log(2) / (1 << BITS)
        whole = _define("PSM_LANE_LN2_256")
        assert whole == float(step)
        assert _define("PSM_LANE_LN2_256_LO") == float(step - mpmath.mpf(whole))
        head, tail = _define("PSM_LANE_LN2_256_HEAD"), _define("PSM_LANE_LN2_256_TAIL")
        assert head + tail == whole and mpmath.mpf(head) + mpmath.mpf(tail) == whole
    # k * head and k * tail exact for |k| < 2^19 (z down to -1000: |k| < 369,400)
    assert _significant_bits(head) <= 53 - 19
    assert _significant_bits(tail) <= 53 - 19
    # the multiplier that finds k: 256/ln2, as written in psm_lane_exp_scaled
    source = HEADER.read_text()
    multiplier = re.search(r"PSM_MULTIPLY_ADD\(z_hi, (0x[0-9a-fp.+-]+), shifter\)", source)
    assert multiplier is not None
    with mpmath.workprec(300):
        assert float.fromhex(multiplier.group(1)) == float((1 << BITS) / mpmath.log(2))
