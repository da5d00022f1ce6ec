"""Build hook: compiles the C core into ``pysoftmax._core`` with cffi.

The version comes from the C header's PSM_VERSION_* macros, the one place
it is written.  The wheel also carries the CUDA kernel source and the C
core's internal headers it includes (``pysoftmax/_csrc``), which the CuPy
backend compiles at run time with NVRTC: the same files, not a copy kept
in the repository.
"""

import re
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
# What NVRTC reads: the kernels and every header they include.
CUDA_SOURCES = [
    "cuda/row_kernels.cu",
    "src/portability.h",
    "src/double_double.h",
    "src/row_numerics.h",
    "src/edge_rules.h",
]


class BuildPyWithKernelSources(build_py):
    """build_py, then copy the CUDA kernel sources into the built package."""

    def run(self):
        """Build the package as usual, then add ``_csrc``."""
        super().run()
        for name in CUDA_SOURCES:
            target = Path(self.build_lib) / "pysoftmax" / "_csrc" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / "csrc" / name, target)


HEADER = (ROOT / "csrc" / "include" / "pysoftmax.h").read_text()
VERSION = ".".join(
    re.search(rf"^#define PSM_VERSION_{part} (\d+)$", HEADER, re.M).group(1)
    for part in ("MAJOR", "MINOR", "PATCH")
)

setup(
    version=VERSION,
    cffi_modules=["pysoftmax/_ffi_build.py:ffibuilder"],
    cmdclass={"build_py": BuildPyWithKernelSources},
)
