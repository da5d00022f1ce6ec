"""The C core's hot loops are vectorized: GCC's own report, for every SIMD variant.

Each loop marked ``hot: must vectorize`` in csrc/src/vector_rows.inc (the forward kernels)
and csrc/src/backward_rows.inc (the backward kernels) must appear in
``-fopt-info-vec-optimized`` as a vectorized loop when kernels_avx2.c and kernels_avx512.c
are compiled with the build's flags; so must those of csrc/src/half_rows.inc (the 16-bit
functions' own loops) in kernels_half.c, compiled for the baseline.  (Measured once: a max
pass the compiler had left scalar cost as much as the whole exp pass.)  GCC only: other
compilers report differently.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pysoftmax._ffi_build import _compile_args

CSRC = Path(__file__).resolve().parent.parent / "csrc"
SOURCES = [CSRC / "src" / "vector_rows.inc", CSRC / "src" / "backward_rows.inc"]
GCC = shutil.which("gcc")


def _is_gcc(path: str) -> bool:
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    return "Free Software Foundation" in version


pytestmark = pytest.mark.skipif(
    GCC is None or not _is_gcc(GCC), reason="reads GCC's vectorization report"
)


def _hot_lines() -> set[tuple[str, int]]:
    """The (file name, line number) of every marked loop."""
    hot = set()
    for source in SOURCES:
        lines = source.read_text().splitlines()
        hot |= {
            (source.name, n) for n, line in enumerate(lines, 1) if "hot: must vectorize" in line
        }
    return hot


def test_the_hot_loops_are_marked():
    hot = _hot_lines()
    forward = {line for name, line in hot if name == "vector_rows.inc"}
    backward = {line for name, line in hot if name == "backward_rows.inc"}
    assert len(forward) >= 19  # every pass of every row and column kernel
    assert len(backward) >= 8  # both passes of both functions, both dtypes
    for name, number in hot:
        source = CSRC / "src" / name
        assert source.read_text().splitlines()[number - 1].lstrip().startswith("for (")


@pytest.mark.parametrize("variant", ["avx2", "avx512"])
def test_every_hot_loop_is_vectorized(variant, tmp_path):
    assert GCC is not None
    completed = subprocess.run(
        [
            GCC,
            *_compile_args(),
            "-I",
            str(CSRC / "include"),
            "-I",
            str(CSRC / "src"),
            "-fopt-info-vec-optimized",
            "-c",
            str(CSRC / "src" / f"kernels_{variant}.c"),
            "-o",
            str(tmp_path / "kernels.o"),
        ],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    vectorized = {
        (name, int(number))
        for name, number in re.findall(
            r"(\w+_rows\.inc):(\d+):\d+: optimized: loop vectorized", completed.stderr
        )
    }
    missing = sorted(_hot_lines() - vectorized)
    assert not missing, f"hot loops at (file, line) {missing} were not vectorized"


def test_the_16_bit_functions_loops_are_vectorized(tmp_path):
    # csrc/src/half_rows.inc (the float16 and bfloat16 functions around the float32 kernels;
    # their conversions are vector_rows.inc's) is compiled once, in kernels_half.c, for the
    # baseline: its marked loops must vectorize there.
    assert GCC is not None
    source = CSRC / "src" / "half_rows.inc"
    lines = source.read_text().splitlines()
    hot = {n for n, line in enumerate(lines, 1) if "hot: must vectorize" in line}
    assert len(hot) >= 2  # the long rows' two shifts
    completed = subprocess.run(
        [
            GCC,
            *_compile_args(),
            "-I",
            str(CSRC / "include"),
            "-I",
            str(CSRC / "src"),
            "-fopt-info-vec-optimized",
            "-c",
            str(CSRC / "src" / "kernels_half.c"),
            "-o",
            str(tmp_path / "kernels_half.o"),
        ],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    vectorized = {
        int(n)
        for n in re.findall(
            r"half_rows\.inc:(\d+):\d+: optimized: loop vectorized", completed.stderr
        )
    }
    missing = sorted(hot - vectorized)
    assert not missing, f"hot loops at half_rows.inc lines {missing} were not vectorized"
