"""Build hook: compiles the C core into ``pysoftmax._core`` with cffi.

The version comes from the C header's PSM_VERSION_* macros, the one place
it is written.
"""

import re
from pathlib import Path

from setuptools import setup

HEADER = (Path(__file__).parent / "csrc" / "include" / "pysoftmax.h").read_text()
VERSION = ".".join(
    re.search(rf"^#define PSM_VERSION_{part} (\d+)$", HEADER, re.M).group(1)
    for part in ("MAJOR", "MINOR", "PATCH")
)

setup(version=VERSION, cffi_modules=["pysoftmax/_ffi_build.py:ffibuilder"])
