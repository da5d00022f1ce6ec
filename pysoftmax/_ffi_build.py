"""The cffi definition of the C core (out-of-line API mode).

``setup.py`` lists ``ffibuilder`` in ``cffi_modules``; ``pip install`` then
compiles the same C sources as the CMake build into ``pysoftmax._core``.
The declarations are read from the public header itself, so the binding
cannot drift from the ABI: the header keeps each ``PSM_API`` on a line of its
own, and everything cffi must see lies between the ``extern "C"`` guards.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parent.parent
HEADER = ROOT / "csrc" / "include" / "pysoftmax.h"
SOURCES = [
    "arguments.c",
    "backward_f32.c",
    "backward_f64.c",
    "kernel_dispatch.c",
    "kernels_avx2.c",
    "kernels_avx512.c",
    "kernels_baseline.c",
    "kernels_f32.c",
    "kernels_f64.c",
    "kernels_half.c",
    "sampling.c",
    "status.c",
]


def header_declarations(header_text: str) -> str:
    """Return the header's declarations in a form cffi's ``cdef`` accepts.

    Keeps the integer ``PSM_VERSION_*`` macros and everything inside the
    ``extern "C"`` block, without comments, preprocessor lines or ``PSM_API``.
    """
    without_comments = re.sub(r"/\*.*?\*/", "", header_text, flags=re.DOTALL)
    macros = re.findall(
        r"^#define (PSM_VERSION_(?:MAJOR|MINOR|PATCH)) (\d+)$", without_comments, re.M
    )
    body = without_comments.split('extern "C" {', 1)[1].split("#ifdef __cplusplus", 1)[0]
    lines = [
        line
        for line in body.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and line.strip() != "PSM_API"
    ]
    return "\n".join([f"#define {name} {value}" for name, value in macros] + lines)


def _compile_args() -> list[str]:
    if sys.platform == "win32":
        return ["/fp:precise"]
    # -ffp-contract=off: the double-double arithmetic must not be fused into FMAs;
    # -O3 -fno-trapping-math -fno-math-errno: what the kernels need to vectorize
    # (the same flags as the CMake build).
    return [
        "-std=c99",
        "-O3",
        "-ffp-contract=off",
        "-fno-trapping-math",
        "-fno-math-errno",
        "-fvisibility=hidden",
    ]


ffibuilder = FFI()
ffibuilder.cdef(header_declarations(HEADER.read_text(encoding="utf-8")))
ffibuilder.set_source(
    "pysoftmax._core",
    '#include "pysoftmax.h"',
    sources=[str((ROOT / "csrc" / "src" / name).relative_to(ROOT)) for name in SOURCES],
    include_dirs=[str((ROOT / "csrc" / "include").relative_to(ROOT))],
    define_macros=[("PSM_BUILDING_LIBRARY", "1"), ("PSM_STATIC", "1")],
    extra_compile_args=_compile_args(),
    libraries=[] if sys.platform == "win32" else ["m"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
