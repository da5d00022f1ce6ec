"""The C core's hot loops are vectorized: GCC's own report, for every SIMD variant.

Each loop marked ``hot: must vectorize`` in csrc/src/vector_rows.inc must appear in
``-fopt-info-vec-optimized`` as a vectorized loop when kernels_avx2.c and kernels_avx512.c
are compiled with the build's flags (the 16-bit conversions included); so must those of
csrc/src/half_rows.inc (the 16-bit functions' own loops) in kernels_half.c, compiled for the
baseline.
(Measured once: a max pass the compiler had left scalar cost as much as the whole exp pass.)
GCC only: other compilers report differently.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pysoftmax._ffi_build import _compile_args

CSRC = Path(__file__).resolve().parent.parent / "csrc"
SOURCE = CSRC / "src" / "vector_rows.inc"
GCC = shutil.which("gcc")


def _is_gcc(path: str) -> bool:
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    return "Free Software Foundation" in version


pytestmark = pytest.mark.skipif(
    GCC is None or not _is_gcc(GCC), reason="reads GCC's vectorization report"
)


def _hot_lines(source: Path = SOURCE) -> set[int]:
    lines = source.read_text().splitlines()
    return {number for number, line in enumerate(lines, 1) if "hot: must vectorize" in line}


def _vectorized_lines(unit: str, source: Path, tmp_path: Path) -> set[int]:
    """The lines of ``source`` where GCC reports a vectorized loop, compiling ``unit``."""
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
            str(CSRC / "src" / unit),
            "-o",
            str(tmp_path / "kernels.o"),
        ],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    pattern = re.escape(source.name) + r":(\d+):\d+: optimized: loop vectorized"
    return {int(number) for number in re.findall(pattern, completed.stderr)}


def test_the_16_bit_conversion_loops_are_vectorized(tmp_path):
    source = CSRC / "src" / "half_rows.inc"
    hot = _hot_lines(source)
    assert len(hot) >= 2  # the long rows' two shifts (the conversions are vector_rows.inc's)
    missing = sorted(hot - _vectorized_lines("kernels_half.c", source, tmp_path))
    assert not missing, f"hot loops at half_rows.inc lines {missing} were not vectorized"


def test_the_hot_loops_are_marked():
    hot = _hot_lines()
    assert len(hot) >= 19  # every pass of every row and column kernel
    for number in hot:
        assert SOURCE.read_text().splitlines()[number - 1].lstrip().startswith("for (")


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
        int(number)
        for number in re.findall(
            r"vector_rows\.inc:(\d+):\d+: optimized: loop vectorized", completed.stderr
        )
    }
    missing = sorted(_hot_lines() - vectorized)
    assert not missing, f"hot loops at vector_rows.inc lines {missing} were not vectorized"
