"""The other-language examples against the installed C library, and the C API reference.

The library is built and installed once per session (``test_c_library``'s
Release build, ``cmake --install`` to a temporary prefix); then:

- ``examples/c``: built with every C compiler found, through pkg-config (shared
  and static), warning-free under ``-std=c99 -Wall -Wextra -Wpedantic -Werror``;
- ``examples/cpp``: the same with every C++ compiler under ``-std=c++17``, and
  as a CMake project through ``find_package(pysoftmax CONFIG REQUIRED)``
  linking ``pysoftmax::pysoftmax`` and ``pysoftmax::pysoftmax_static``;
- ``examples/rust``: ``cargo test --offline --locked`` (its ``build.rs`` finds
  the library with ``pkg-config``; the seed's examples, the golden vectors'
  edge cases bit for bit and the other cases within 2 ULP, the bindings
  against the header) and ``cargo run`` of its example, shared and static,
  with ``CARGO_TARGET_DIR`` in a temporary directory.

Every example prints the seed tutorial's examples as ``label = [values]``
lines with every digit; they are checked here against mpmath
(``conformance.reference``, correctly rounded) and the tutorial's own digits.
The examples run without ``LD_LIBRARY_PATH``: they find the shared library
through the RPATH their build gives them.

``docs/c-api.md`` is checked against the header (every function, status and
version macro), the edge-case table and the C example, which it embeds
verbatim.  Tests skip with the reason when cmake, pkg-config, a C or C++
compiler, or cargo is missing.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import test_c_library as c_library
from test_c_library import (
    CMAKE,
    assert_no_warnings,
    header_functions,
    header_version,
    installed_libdir,
    run,
    shared_prefix,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
C_EXAMPLE = EXAMPLES / "c" / "softmax_example.c"
CPP_EXAMPLE = EXAMPLES / "cpp"
RUST_CRATE = EXAMPLES / "rust"
DOC = ROOT / "docs" / "c-api.md"
HEADER = c_library.HEADER
VECTORS = ROOT / "conformance" / "vectors"

PKG_CONFIG = shutil.which("pkg-config")
CARGO = shutil.which("cargo")
ELF = sys.platform.startswith("linux") and shutil.which("readelf") is not None


def _compilers(variable: str, names: tuple[str, ...]) -> list[list[str]]:
    """$variable (if set), then each of names on PATH; one per distinct executable."""
    found: list[list[str]] = []
    seen: set[str] = set()
    candidates = [shlex.split(os.environ.get(variable, ""))] + [[name] for name in names]
    for command in candidates:
        path = shutil.which(command[0]) if command else None
        if path and os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            found.append([path, *command[1:]])
    return found


C_COMPILERS = _compilers("CC", ("cc", "gcc", "clang"))
CXX_COMPILERS = _compilers("CXX", ("c++", "g++", "clang++"))

needs_cmake = pytest.mark.skipif(
    CMAKE is None or c_library.CTEST is None or c_library.CC is None,
    reason="building the C library needs cmake, ctest and a C compiler on PATH",
)
needs_pkg_config = pytest.mark.skipif(PKG_CONFIG is None, reason="pkg-config is not installed")


def _compiler_params(compilers: list[list[str]], what: str) -> list[object]:
    if not compilers:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no {what} compiler on PATH"))]
    return [pytest.param(c, id=Path(c[0]).name) for c in compilers]


@pytest.fixture(scope="module")
def prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_prefix(tmp_path_factory)


def pkg_config_environment(prefix: Path) -> dict[str, str]:
    return dict(os.environ, PKG_CONFIG_PATH=str(installed_libdir(prefix) / "pkgconfig"))


def pkg_config_flags(prefix: Path, *arguments: str) -> list[str]:
    assert PKG_CONFIG is not None
    output = run([PKG_CONFIG, *arguments, "pysoftmax"], env=pkg_config_environment(prefix))
    return shlex.split(output)


def without_library_path() -> dict[str, str]:
    """The environment without LD_LIBRARY_PATH: the RPATH must find the library."""
    env = dict(os.environ)
    env.pop("LD_LIBRARY_PATH", None)
    env.pop("DYLD_LIBRARY_PATH", None)
    return env


def needed_libraries(program: Path) -> str:
    return run([shutil.which("readelf") or "readelf", "-d", str(program)])


# ---------------------------------------------------------------- the seed's examples, checked


def _values(text: str) -> list[float]:
    return [float(v) for v in text.split(",")] if text.strip() else []


def parse_example_output(output: str) -> dict[str, list[float]]:
    """The ``label = [v, ...]`` lines (and the logsumexp line) of an example's output."""
    results: dict[str, list[float]] = {}
    for line in output.splitlines():
        match = re.fullmatch(r"(\S.*?) = \[(.*)\]", line)
        if match is None:
            match = re.fullmatch(r"(logsumexp\(\[1000, 1000\]\)) = (\S+)\s.*", line)
        if match:
            label, values = match.groups()
            assert label not in results, f"{label!r} printed twice:\n{output}"
            results[label] = _values(values)
    return results


def reference(function: str, row: list[float], temperature: float, dtype: type) -> list[float]:
    """The correctly rounded exact values (mpmath at 256 bits)."""
    from conformance import reference as exact

    row = [float(dtype(v)) for v in row]
    temperature = float(dtype(temperature))
    if function == "softmax":
        values = exact.softmax(row, temperature)
    else:
        values = exact.log_softmax(row, temperature)
    return [exact.round_to_dtype(v, dtype) for v in values]


def assert_within_2_ulp(got: list[float], want: list[float], dtype: type, what: str) -> None:
    from conformance import reference as exact

    assert len(got) == len(want), f"{what}: {got} vs {want}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        distance = exact.ulp_distance(float(dtype(g)), w, dtype)
        assert distance <= 2, f"{what}[{i}] = {g!r}: {distance} ULP from the exact {w!r}"


LOGITS = [38.0, 20.0, 40.0, 39.0]  # goes, go, went, comes
# The tutorial's table, to the digits it prints.
SEED_TABLE = {
    "0.001": ["0.0000", "0.0000", "1.0000", "0.0000"],
    "1": ["0.0900", "0.0000", "0.6652", "0.2447"],
    "100": ["0.2587", "0.2161", "0.2639", "0.2613"],
}


def check_seed_output(output: str) -> None:
    """Check an example's printed results against independent values."""
    pytest.importorskip("mpmath")
    from conformance import reference as exact

    assert output.rstrip().endswith("example: OK"), output
    assert "CLAIM DOES NOT HOLD" not in output, output
    results = parse_example_output(output)
    f64, f32 = np.float64, np.float32

    # 1. No overflow: exactly [0, 0, 1, 0] (and that is the correct rounding).
    overflow = results["softmax([10, 2, 10000, 4])"]
    assert overflow == [0.0, 0.0, 1.0, 0.0], output
    assert overflow == reference("softmax", [10, 2, 10000, 4], 1.0, f64)

    # 2. The max shift: within 2 ULP, and x + 1e6 (exact) changes no bit.
    shifted = results["softmax([10, 2, 40, 4] + 1e6)"]
    plain = results["softmax([10, 2, 40, 4])"]
    assert_within_2_ulp(plain, reference("softmax", [10, 2, 40, 4], 1.0, f64), f64, "shift")
    assert [v.hex() for v in shifted] == [v.hex() for v in plain], output
    assert reference("softmax", [1e6 + 10, 1e6 + 2, 1e6 + 40, 1e6 + 4], 1.0, f64) == reference(
        "softmax", [10, 2, 40, 4], 1.0, f64
    )
    assert [f"{v:.4e}" for v in plain] == ["9.3576e-14", "3.1391e-17", "1.0000e+00", "2.3195e-16"]

    # 3. log_softmax in float32 keeps -9.358e-14 where log(softmax) gives 0.
    small = results["log_softmax(float32 [0, -30, -40])"]
    assert_within_2_ulp(small, reference("log_softmax", [0, -30, -40], 1.0, f32), f32, "log")
    assert f"{small[0]:.3e}" == "-9.358e-14", output

    # 4. logsumexp([1000, 1000]) = 1000 + ln 2.
    (lse,) = results["logsumexp([1000, 1000])"]
    value, scale = exact.logsumexp([1000.0, 1000.0])
    assert abs(lse - exact.round_to_dtype(value, f64)) <= 2 * exact.ulp(float(scale), f64)
    assert abs(lse - (1000 + math.log(2))) <= 2 * exact.ulp(1000.0, f64), output

    # 5. Temperature: the exact softmax of x / T, the tutorial's digits, and the limits.
    for label, digits in SEED_TABLE.items():
        p = results[f"softmax([38, 20, 40, 39], T={label})"]
        assert_within_2_ulp(p, reference("softmax", LOGITS, float(label), f64), f64, f"T={label}")
        assert [f"{v:.4f}" for v in p] == digits, f"T = {label}: {p}"
    # The limits by their rule (argmax; uniform over the entries that are not -inf).
    assert results["softmax([38, 20, 40, 39], T=0)"] == [0.0, 0.0, 1.0, 0.0], output
    assert results["softmax([38, 20, 40, 39], T=inf)"] == [0.25] * 4, output

    # 6. Down the columns of [[1, 2, 3], [4, 5, 6]]: every column is softmax([1, 4]).
    column = reference("softmax", [1, 4], 1.0, f64)
    columns = results["softmax([[1, 2, 3], [4, 5, 6]], axis=0)"]
    assert_within_2_ulp(columns, [column[0]] * 3 + [column[1]] * 3, f64, "columns")


# ---------------------------------------------------------------- C


@needs_cmake
@needs_pkg_config
@pytest.mark.parametrize("compiler", _compiler_params(C_COMPILERS, "C"))
def test_the_c_example_builds_with_pkg_config_and_prints_the_seed_examples(
    compiler: list[str], prefix: Path, tmp_path: Path
) -> None:
    libdir = installed_libdir(prefix)
    warnings = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
    program = tmp_path / "softmax_example"
    flags = pkg_config_flags(prefix, "--cflags", "--libs")
    # As its comment says: nothing but pkg-config's flags (no -lm of its own).
    run([*compiler, *warnings, str(C_EXAMPLE), *flags, f"-Wl,-rpath,{libdir}", "-o", str(program)])
    output = run([str(program)], env=without_library_path())
    check_seed_output(output)
    assert f"pysoftmax {header_version()} (header {header_version()})" in output, output
    quoted = set(doc_sample_output()) - set(output.splitlines())
    assert not quoted, f"docs/c-api.md quotes lines the example does not print: {quoted}"

    static = tmp_path / "softmax_example_static"
    static_flags = [str(libdir / "libpysoftmax.a"), *pkg_config_flags(prefix, "--static", "--libs")]
    static_flags = [f for f in static_flags if f != "-lpysoftmax"]
    cflags = pkg_config_flags(prefix, "--cflags")
    run([*compiler, *warnings, str(C_EXAMPLE), *cflags, *static_flags, "-o", str(static)])
    check_seed_output(run([str(static)], env=without_library_path()))
    if ELF:
        major = header_version().split(".")[0]
        assert f"[libpysoftmax.so.{major}]" in needed_libraries(program)
        assert "libpysoftmax" not in needed_libraries(static)


# ---------------------------------------------------------------- C++


@needs_cmake
@needs_pkg_config
@pytest.mark.parametrize("compiler", _compiler_params(CXX_COMPILERS, "C++"))
def test_the_cpp_example_builds_with_pkg_config(
    compiler: list[str], prefix: Path, tmp_path: Path
) -> None:
    libdir = installed_libdir(prefix)
    program = tmp_path / "softmax_example"
    warnings = ["-std=c++17", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
    flags = pkg_config_flags(prefix, "--cflags", "--libs")
    source = CPP_EXAMPLE / "softmax_example.cpp"
    run([*compiler, *warnings, str(source), *flags, f"-Wl,-rpath,{libdir}", "-o", str(program)])
    check_seed_output(run([str(program)], env=without_library_path()))


@needs_cmake
@pytest.mark.skipif(not CXX_COMPILERS, reason="no C++ compiler on PATH")
def test_the_cpp_example_builds_with_find_package(prefix: Path, tmp_path: Path) -> None:
    build = tmp_path / "cpp-build"
    log = run(
        [
            str(CMAKE),
            "-S",
            str(CPP_EXAMPLE),
            "-B",
            str(build),
            f"-DCMAKE_PREFIX_PATH={prefix}",
            "-DCMAKE_BUILD_TYPE=Release",
            "-DCMAKE_CXX_FLAGS=-Werror",
        ]
    )
    log += run([str(CMAKE), "--build", str(build), "--parallel", "2"])
    assert_no_warnings(log, "the C++ example")
    assert f"pysoftmax {header_version()} found" in log, log
    for name in ("softmax_example", "softmax_example_static"):
        check_seed_output(run([str(build / name)], env=without_library_path()))
    if ELF:
        major = header_version().split(".")[0]
        assert f"[libpysoftmax.so.{major}]" in needed_libraries(build / "softmax_example")
        assert "libpysoftmax" not in needed_libraries(build / "softmax_example_static")


# ---------------------------------------------------------------- Rust


def cargo(subcommand: str) -> list[str]:
    """cargo SUBCOMMAND, offline, with the committed Cargo.lock as it is."""
    assert CARGO is not None
    return [CARGO, subcommand, "--offline", "--locked"]


def vector_counts() -> dict[str, tuple[int, int]]:
    """(cases, edge cases) of each vector file, counted here from its `case` lines."""
    counts = {}
    for path in sorted(VECTORS.glob("*.txt")):
        names = re.findall(r"^case (\S+)$", path.read_text(encoding="utf-8"), re.M)
        counts[path.name] = (len(names), sum(name.startswith("edge_") for name in names))
    return counts


def test_the_rust_crate_has_no_dependencies() -> None:
    # Nothing to download: Cargo.lock holds the crate alone, and it is committed
    # so that `--locked` never rewrites it.
    lock = (RUST_CRATE / "Cargo.lock").read_text(encoding="utf-8")
    assert re.findall(r'^name = "(.*)"$', lock, re.M) == ["pysoftmax"], lock
    manifest = (RUST_CRATE / "Cargo.toml").read_text(encoding="utf-8")
    dependencies = re.search(r"^\[dependencies\]\n(.*?)(^\[|\Z)", manifest, re.M | re.S)
    assert dependencies is not None
    body = [line for line in dependencies.group(1).splitlines() if line.strip()]
    assert all(line.lstrip().startswith("#") for line in body), body
    assert "dependencies]" not in manifest.replace("[dependencies]", ""), manifest
    # What cargo builds never lands in the repository.
    assert "/target/" in (RUST_CRATE / ".gitignore").read_text(encoding="utf-8").split()


@needs_cmake
@needs_pkg_config
@pytest.mark.skipif(CARGO is None, reason="cargo is not installed")
def test_the_rust_crate_builds_with_pkg_config_and_its_tests_pass(
    prefix: Path, tmp_path: Path
) -> None:
    assert CARGO is not None
    lock_before = (RUST_CRATE / "Cargo.lock").read_bytes()
    env = dict(
        without_library_path(),
        PKG_CONFIG_PATH=str(installed_libdir(prefix) / "pkgconfig"),
        CARGO_TARGET_DIR=str(tmp_path / "target"),
        CARGO_TERM_COLOR="never",
    )
    env.pop("PYSOFTMAX_STATIC", None)
    env.pop("PSM_VECTORS", None)
    output = run([*cargo("test"), "--", "--show-output"], cwd=RUST_CRATE, env=env)
    passed = re.findall(r"^test result: ok\. (\d+) passed; 0 failed", output, re.M)
    assert "FAILED" not in output, output
    assert sum(map(int, passed)) >= 30, output  # api, golden, seed, doc tests
    # The golden vectors were all read: the crate's counts are the files' counts.
    for name, (cases, edge) in vector_counts().items():
        match = re.search(rf"^{re.escape(name)}: (\d+) cases \((\d+) edge cases", output, re.M)
        assert match, f"no summary for {name}:\n{output}"
        assert (int(match.group(1)), int(match.group(2))) == (cases, edge), match.group(0)

    shared = run([*cargo("run"), "--quiet"], cwd=RUST_CRATE, env=env)
    check_seed_output(shared)
    static_env = dict(env, PYSOFTMAX_STATIC="1", CARGO_TARGET_DIR=str(tmp_path / "static"))
    static = run([*cargo("run"), "--quiet"], cwd=RUST_CRATE, env=static_env)
    check_seed_output(static)
    if ELF:
        binary = "softmax_example"
        major = header_version().split(".")[0]
        shared_binary = tmp_path / "target" / "debug" / binary
        assert f"[libpysoftmax.so.{major}]" in needed_libraries(shared_binary)
        assert "libpysoftmax" not in needed_libraries(tmp_path / "static" / "debug" / binary)
    assert (RUST_CRATE / "Cargo.lock").read_bytes() == lock_before


# ---------------------------------------------------------------- docs/c-api.md


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def _normalized(text: str) -> str:
    return " ".join(text.split())


def test_the_doc_embeds_the_c_example_verbatim() -> None:
    source = C_EXAMPLE.read_text(encoding="utf-8")
    assert f"```c\n{source}```\n" in doc_text(), (
        "docs/c-api.md must hold examples/c/softmax_example.c verbatim in a ```c block"
    )


def doc_sample_output() -> list[str]:
    """The lines of the example's output that docs/c-api.md quotes (its ```text block)."""
    blocks = re.findall(r"```text\n(.*?)```", doc_text(), re.S)
    assert len(blocks) == 1, "docs/c-api.md should have one ```text block: the sample output"
    return blocks[0].splitlines()


def test_the_doc_covers_every_function_status_and_macro() -> None:
    doc = doc_text()
    header = HEADER.read_text(encoding="utf-8")
    for name in sorted(header_functions()):
        assert f"`{name}`" in doc or f"{name}(" in doc, f"{name} is not in docs/c-api.md"
    # Every declaration, as the header writes it (whitespace aside).
    code = re.sub(r"/\*.*?\*/", "", header, flags=re.S).replace("PSM_API\n", "")
    declarations = [d for d in code.split(";") if re.search(r"\bpsm_\w+\s*\(", d)]
    doc_code = _normalized(" ".join(re.findall(r"```c\n(.*?)```", doc, re.S)))
    for declaration in declarations:
        assert _normalized(declaration) + ";" in doc_code, f"not in the doc: {declaration}"
    # Every status, with its value and its message.
    from pysoftmax import _core

    for name, value in re.findall(r"^\s+(PSM_(?:OK|E_\w+)) = (-?\d+)", header, re.M):
        message = _core.ffi.string(_core.lib.psm_strerror(int(value))).decode()
        row = f"| `{name}` | {value} | {message} |"
        assert row in doc, f"no row {row!r} in the status table of docs/c-api.md"
    # The version macros as the header defines them, and the rest of what the issue lists.
    for line in re.findall(r"^#define PSM_VERSION_\w+ .*$", header, re.M):
        assert line in doc, f"{line!r} is not in docs/c-api.md"
    for topic in ("PSM_ISA", "psm_isa()", "thread", "in place", "2 ULP", "SONAME", "PSM_STATIC"):
        assert topic in doc, f"{topic!r} is not in docs/c-api.md"
    assert "csrc/exported_symbols.txt" in doc


def test_the_doc_shows_the_edge_case_table_as_it_is() -> None:
    from pysoftmax._edge_rules import markdown

    assert markdown() in doc_text(), "run: python -m pysoftmax._edge_rules --markdown"


# ---------------------------------------------------------------- under valgrind and sanitizers

VALGRIND = shutil.which("valgrind")


@needs_cmake
@needs_pkg_config
@pytest.mark.skipif(VALGRIND is None, reason="valgrind is not installed")
@pytest.mark.parametrize(
    "source", [C_EXAMPLE, CPP_EXAMPLE / "softmax_example.cpp"], ids=["c", "cpp"]
)
def test_the_examples_run_clean_under_valgrind(source: Path, prefix: Path, tmp_path: Path) -> None:
    compilers = C_COMPILERS if source.suffix == ".c" else CXX_COMPILERS
    if not compilers:
        pytest.skip("no compiler for this example")
    libdir = installed_libdir(prefix)
    program = tmp_path / "example"
    flags = pkg_config_flags(prefix, "--cflags", "--libs")
    standard = ["-std=c99"] if source.suffix == ".c" else ["-std=c++17"]
    command = [*compilers[0], *standard, "-g", str(source), *flags, f"-Wl,-rpath,{libdir}"]
    run([*command, "-o", str(program)])
    # valgrind does not emulate AVX-512: the AVX2 kernels, then the baseline ones.
    for isa in ("avx2", "baseline"):
        environment = dict(without_library_path(), PSM_ISA=isa)
        output = run(
            [VALGRIND, "--error-exitcode=99", "--leak-check=full", "-q", str(program)],
            env=environment,
        )
        check_seed_output(output)


@needs_cmake
@needs_pkg_config
@pytest.mark.parametrize(
    "source", [C_EXAMPLE, CPP_EXAMPLE / "softmax_example.cpp"], ids=["c", "cpp"]
)
def test_the_examples_run_clean_under_asan_and_ubsan(
    source: Path, prefix: Path, tmp_path: Path
) -> None:
    compilers = C_COMPILERS if source.suffix == ".c" else CXX_COMPILERS
    if not compilers:
        pytest.skip("no compiler for this example")
    libdir = installed_libdir(prefix)
    program = tmp_path / "example"
    sanitizers = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    static_flags = [str(libdir / "libpysoftmax.a"), *pkg_config_flags(prefix, "--static", "--libs")]
    static_flags = [f for f in static_flags if f != "-lpysoftmax"]
    cflags = pkg_config_flags(prefix, "--cflags")
    standard = ["-std=c99"] if source.suffix == ".c" else ["-std=c++17"]
    command = [*compilers[0], *standard, *sanitizers, str(source), *cflags, *static_flags]
    run([*command, "-o", str(program)])
    check_seed_output(run([str(program)], env=without_library_path()))
