"""The C core's kernel variants (baseline, AVX2, AVX-512): each one the processor runs
passes the conformance vectors, and PSM_ISA picks it.

The variant is chosen when the library is loaded, so each runs in a fresh process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("baseline", "avx2", "avx512")


def _active_variant(forced: str | None) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "PSM_ISA"}
    if forced is not None:
        environment["PSM_ISA"] = forced
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pysoftmax._core as c; print(c.ffi.string(c.lib.psm_isa()).decode())",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def test_the_default_is_a_known_variant_and_an_unknown_name_is_ignored():
    default = _active_variant(None)
    assert default in VARIANTS
    assert _active_variant("no-such-isa") == default
    assert _active_variant("baseline") == "baseline"


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_passes_the_conformance_vectors(variant):
    if _active_variant(variant) != variant:
        pytest.skip(f"this processor cannot run the {variant} kernels")
    environment = dict(os.environ, PSM_ISA=variant)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "conformance" / "test_vectors.py"),
            "--backend",
            "c",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert " passed" in completed.stdout


def test_backends_reports_the_variant_in_use():
    import pysoftmax
    from pysoftmax import _core

    isa = _core.ffi.string(_core.lib.psm_isa()).decode()
    info = {b.name: b for b in pysoftmax.backends()}["c"]
    assert info.reason.endswith(f", {isa} kernels")
