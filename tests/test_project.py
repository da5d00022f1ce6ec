"""Project-level checks: the example runs, the code is lint-clean, the binding matches the ABI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pysoftmax
from pysoftmax import _core
from pysoftmax._ffi_build import HEADER, header_declarations

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_the_pitfalls_example_runs_and_checks_its_claims():
    completed = run(sys.executable, "-W", "error", "examples/pitfalls.py")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "All pitfalls handled." in completed.stdout


def test_ruff_lint_and_format_are_clean():
    lint = run(sys.executable, "-m", "ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatting = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


def test_the_binding_declares_every_function_of_the_header():
    declared = set(re.findall(r"\b(psm_\w+)\(", header_declarations(HEADER.read_text())))
    assert declared == set(re.findall(r"^\w[\w ]*?\*?(psm_\w+)\(", HEADER.read_text(), re.M))
    assert all(hasattr(_core.lib, name) for name in declared)


def test_versions_agree():
    lib, ffi = _core.lib, _core.ffi
    macros = f"{lib.PSM_VERSION_MAJOR}.{lib.PSM_VERSION_MINOR}.{lib.PSM_VERSION_PATCH}"
    assert ffi.string(lib.psm_version()).decode() == macros == pysoftmax.__version__
    assert lib.psm_version_number() == (
        lib.PSM_VERSION_MAJOR * 10000 + lib.PSM_VERSION_MINOR * 100 + lib.PSM_VERSION_PATCH
    )


def test_every_status_has_its_own_message():
    lib, ffi = _core.lib, _core.ffi
    codes = [
        lib.PSM_OK,
        lib.PSM_E_NULL_POINTER,
        lib.PSM_E_TEMPERATURE,
        lib.PSM_E_SIZE_OVERFLOW,
        lib.PSM_E_OVERLAP,
        lib.PSM_E_STRIDE,
        lib.PSM_E_NO_DISTRIBUTION,
    ]
    messages = [ffi.string(lib.psm_strerror(code)).decode() for code in codes]
    assert len(set(messages)) == len(codes) and "unknown status" not in messages
    assert ffi.string(lib.psm_strerror(12345)).decode() == "unknown status"


def test_the_readme_shows_the_edge_case_table_as_it_is():
    from pysoftmax._edge_rules import markdown

    assert markdown() in (ROOT / "README.md").read_text()


def test_the_c_core_reads_the_current_edge_case_table():
    from pysoftmax._edge_rules import c_header

    committed = (ROOT / "csrc" / "src" / "edge_rules.h").read_text()
    assert committed == c_header(), (
        "run: python -m pysoftmax._edge_rules --c-header > csrc/src/edge_rules.h"
    )


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    test_command = first_block[1].split("#")[0].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_package_type_checks_strictly():
    completed = run(sys.executable, "-m", "mypy")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_readme_bad_input_rows_are_rows_of_the_checked_table():
    import re

    readme = (ROOT / "README.md").read_text().split("## Bad inputs", 1)[1].split("\n## ", 1)[0]
    checked = (ROOT / "docs" / "bad-inputs.md").read_text().splitlines()
    rows = [line for line in readme.splitlines() if re.match(r"^\| `[a-z0-9-]+` \|", line)]
    assert len(rows) >= 10
    for row in rows:
        assert row in checked, f"README row not in docs/bad-inputs.md: {row}"
