"""The standalone C library: CMake build, C tests, installation, exported symbols.

Drives ``csrc/CMakeLists.txt`` from scratch in temporary directories:

- a Release build with ``-DPSM_WERROR=ON``, its C tests (ctest), no warnings;
- ``cmake --install`` to a prefix, then a program outside the project built
  against it through pkg-config and through ``find_package(pysoftmax)``
  (shared and static);
- the exported symbols of the shared library (against the header and the
  committed list csrc/exported_symbols.txt) and its SONAME;
- a build with ``-DPSM_SANITIZE=ON`` (AddressSanitizer + UBSan) and its tests.

The whole module is skipped when cmake or a C compiler is missing.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
HEADER = CSRC / "include" / "pysoftmax.h"
CONSUMER = CSRC / "tests" / "consumer"
EXPORTED_SYMBOLS = CSRC / "exported_symbols.txt"

CMAKE = shutil.which("cmake")
CTEST = shutil.which("ctest")


def _c_compiler() -> list[str] | None:
    """The C compiler CMake would pick first: $CC, else cc, gcc or clang."""
    from_environment = shlex.split(os.environ.get("CC", ""))
    if from_environment and shutil.which(from_environment[0]):
        return from_environment
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return [path]
    return None


CC = _c_compiler()

pytestmark = pytest.mark.skipif(
    CMAKE is None or CTEST is None or CC is None,
    reason="the C library tests need cmake, ctest and a C compiler on PATH",
)

# What a toolchain may export from a shared library besides our functions.
TOOLCHAIN_SYMBOLS = {
    "_init",
    "_fini",
    "_edata",
    "_end",
    "__bss_start",
    "_DYNAMIC",
    "_GLOBAL_OFFSET_TABLE_",
    "__data_start",
    "data_start",
    "_IO_stdin_used",
}

SEED_EXAMPLE_LINE = "softmax([10, 2, 10000, 4]) = [0, 0, 1, 0]"


def run(
    command: list[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> str:
    """Run a command; return its output (stdout and stderr), fail the test with it on error."""
    completed = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(
            f"command failed with exit status {completed.returncode}:\n"
            f"  {shlex.join(command)}\n  (in {cwd or Path.cwd()})\n"
            f"{completed.stdout[-20000:]}",
            pytrace=False,
        )
    return completed.stdout


def header_version() -> str:
    text = HEADER.read_text(encoding="utf-8")
    parts = [
        re.search(rf"^#define PSM_VERSION_{part} (\d+)$", text, re.M)
        for part in ("MAJOR", "MINOR", "PATCH")
    ]
    assert all(parts), "PSM_VERSION_* macros not found in the header"
    return ".".join(match.group(1) for match in parts if match)


def header_functions() -> set[str]:
    without_comments = re.sub(r"/\*.*?\*/", "", HEADER.read_text(encoding="utf-8"), flags=re.S)
    return set(re.findall(r"\b(psm_\w+)\s*\(", without_comments))


def assert_no_warnings(output: str, what: str) -> None:
    lines = [line for line in output.splitlines() if "warning:" in line.lower()]
    assert not lines, f"{what} has warnings:\n" + "\n".join(lines) + "\n\n" + output[-10000:]
    for marker in ("CMake Warning", "CMake Deprecation Warning"):
        assert marker not in output, f"{what} has a {marker}:\n{output[-10000:]}"


class Build:
    """A configured and built CMake tree of csrc/."""

    def __init__(self, directory: Path, log: str) -> None:
        self.directory = directory
        self.log = log

    def ctest(self, env: dict[str, str] | None = None) -> str:
        return run(
            [str(CTEST), "--output-on-failure", "-V", "-j2"],
            cwd=self.directory,
            env=env,
        )


def cmake_build(directory: Path, *options: str, env: dict[str, str] | None = None) -> Build:
    log = run([str(CMAKE), "-S", str(CSRC), "-B", str(directory), *options], env=env)
    log += run([str(CMAKE), "--build", str(directory), "--parallel", "2"], env=env)
    return Build(directory, log)


# The Release build and its installation, made once per test session:
# tests/test_examples.py builds the examples against the same prefix.
_SESSION: dict[str, Build | Path] = {}


def shared_release_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The Release build of csrc/ with -DPSM_WERROR=ON (built on first use)."""
    if "build" not in _SESSION:
        _SESSION["build"] = cmake_build(
            tmp_path_factory.mktemp("build") / "release",
            "-DCMAKE_BUILD_TYPE=Release",
            "-DPSM_WERROR=ON",
        )
    build = _SESSION["build"]
    assert isinstance(build, Build)
    return build


def shared_prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where ``cmake --install`` put that build (installed on first use)."""
    if "prefix" not in _SESSION:
        build = shared_release_build(tmp_path_factory)
        destination = tmp_path_factory.mktemp("install") / "prefix"
        run([str(CMAKE), "--install", str(build.directory), "--prefix", str(destination)])
        _SESSION["prefix"] = destination
    prefix = _SESSION["prefix"]
    assert isinstance(prefix, Path)
    return prefix


@pytest.fixture(scope="module")
def release_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return shared_release_build(tmp_path_factory)


@pytest.fixture(scope="module")
def prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_prefix(tmp_path_factory)


def installed_libdir(prefix: Path) -> Path:
    """The prefix's library directory (lib, lib64 or lib/<multiarch>)."""
    found = sorted(prefix.glob("**/pkgconfig/pysoftmax.pc"))
    assert found, f"no pkgconfig/pysoftmax.pc under {prefix}"
    return found[0].parent.parent


def shared_library(directory: Path) -> Path:
    if sys.platform == "darwin":
        return directory / "libpysoftmax.dylib"
    return directory / "libpysoftmax.so"


def runtime_environment(libdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    variable = "DYLD_LIBRARY_PATH" if sys.platform == "darwin" else "LD_LIBRARY_PATH"
    env[variable] = os.pathsep.join(filter(None, [str(libdir), env.get(variable, "")]))
    return env


# ---------------------------------------------------------------- build and C tests


def test_the_build_is_warning_free(release_build: Build) -> None:
    assert_no_warnings(release_build.log, "the Release build with -DPSM_WERROR=ON")
    assert shared_library(release_build.directory).exists()
    assert (release_build.directory / "libpysoftmax.a").exists()


def test_the_c_tests_pass(release_build: Build) -> None:
    output = release_build.ctest()
    assert "100% tests passed" in output, output[-10000:]
    # The accuracy test reports its worst errors; they must be there.
    assert "worst error in ULP" in output, output[-10000:]


# ---------------------------------------------------------------- installation


def test_the_installation_has_every_piece(prefix: Path) -> None:
    libdir = installed_libdir(prefix)
    version = header_version()
    assert (prefix / "include" / "pysoftmax.h").read_bytes() == HEADER.read_bytes()
    assert (libdir / "libpysoftmax.a").is_file()
    assert shared_library(libdir).exists()
    if sys.platform.startswith("linux"):
        major = version.split(".")[0]
        assert (libdir / f"libpysoftmax.so.{major}").is_symlink()
        assert (libdir / f"libpysoftmax.so.{version}").is_file()
    cmake_dir = libdir / "cmake" / "pysoftmax"
    for name in ("pysoftmaxConfig.cmake", "pysoftmaxConfigVersion.cmake", "pysoftmaxTargets.cmake"):
        assert (cmake_dir / name).is_file(), f"{name} not installed in {cmake_dir}"
    pc = (libdir / "pkgconfig" / "pysoftmax.pc").read_text(encoding="utf-8")
    assert re.search(rf"^Version: {re.escape(version)}$", pc, re.M), pc
    assert re.search(r"^Libs\.private:.*-lm\b", pc, re.M), pc


@pytest.mark.skipif(shutil.which("pkg-config") is None, reason="pkg-config is not installed")
def test_a_program_builds_against_the_installation_with_pkg_config(
    prefix: Path, tmp_path: Path
) -> None:
    assert CC is not None
    libdir = installed_libdir(prefix)
    env = dict(os.environ, PKG_CONFIG_PATH=str(libdir / "pkgconfig"))
    pkg_config = shutil.which("pkg-config") or "pkg-config"
    assert run([pkg_config, "--modversion", "pysoftmax"], env=env).strip() == header_version()
    assert "-lm" in run([pkg_config, "--static", "--libs", "pysoftmax"], env=env).split()
    flags = shlex.split(run([pkg_config, "--cflags", "--libs", "pysoftmax"], env=env))
    program = tmp_path / "consumer"
    warnings = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
    run([*CC, *warnings, str(CONSUMER / "consumer.c"), "-o", str(program), *flags], env=env)
    output = run([str(program)], env=runtime_environment(libdir))
    assert SEED_EXAMPLE_LINE in output, output
    assert "consumer: OK" in output, output


@pytest.mark.skipif(shutil.which("pkg-config") is None, reason="pkg-config is not installed")
def test_the_speed_of_light_benchmark_builds_and_runs(prefix: Path, tmp_path: Path) -> None:
    """benchmarks/speed_of_light.c (the performance issue's floor) stays buildable."""
    assert CC is not None
    libdir = installed_libdir(prefix)
    env = dict(os.environ, PKG_CONFIG_PATH=str(libdir / "pkgconfig"))
    pkg_config = shutil.which("pkg-config") or "pkg-config"
    flags = shlex.split(run([pkg_config, "--cflags", "--libs", "pysoftmax"], env=env))
    program = tmp_path / "speed_of_light"
    source = Path(__file__).resolve().parent.parent / "benchmarks" / "speed_of_light.c"
    warnings = ["-std=c99", "-D_POSIX_C_SOURCE=199309L", "-Wall", "-Wextra", "-Wpedantic"]
    run([*CC, "-O2", *warnings, "-Werror", str(source), "-o", str(program), *flags, "-lm"], env=env)
    output = run([str(program)], env=runtime_environment(libdir))
    rows = [line for line in output.splitlines() if line.startswith("| float32 ")]
    assert len(rows) == 3, output
    for row in rows:  # three timings, none zero (a program that skipped a contender)
        times = [float(cell.split()[0]) for cell in row.strip("|").split("|")[1:]]
        assert len(times) == 3 and all(t > 0 for t in times), row


def test_a_cmake_project_finds_the_installed_package(prefix: Path, tmp_path: Path) -> None:
    build = tmp_path / "consumer-build"
    log = run(
        [
            str(CMAKE),
            "-S",
            str(CONSUMER),
            "-B",
            str(build),
            f"-DCMAKE_PREFIX_PATH={prefix}",
            "-DCMAKE_BUILD_TYPE=Release",
        ]
    )
    log += run([str(CMAKE), "--build", str(build), "--parallel", "2"])
    assert_no_warnings(log, "the consumer project")
    assert f"pysoftmax {header_version()} found" in log, log
    # No LD_LIBRARY_PATH: the shared one runs through the build RPATH.
    for program in ("consumer_shared", "consumer_static"):
        output = run([str(build / program)])
        assert SEED_EXAMPLE_LINE in output, output
        assert "consumer: OK" in output, output
    readelf = shutil.which("readelf")
    if readelf and sys.platform.startswith("linux"):
        major = header_version().split(".")[0]
        needed_shared = run([readelf, "-d", str(build / "consumer_shared")])
        needed_static = run([readelf, "-d", str(build / "consumer_static")])
        assert f"[libpysoftmax.so.{major}]" in needed_shared, needed_shared
        assert "libpysoftmax" not in needed_static, needed_static


# ---------------------------------------------------------------- the shared library itself


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("nm") is None,
    reason="needs an ELF platform with nm",
)
def test_only_the_header_functions_are_exported(release_build: Build) -> None:
    library = shared_library(release_build.directory)
    listing = run([shutil.which("nm") or "nm", "-D", "--defined-only", str(library)])
    exported = set()
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            exported.add(fields[-1].split("@")[0])
    declared = header_functions()
    # The parse found the header's functions (new ones may be added).
    assert {"psm_softmax_f32", "psm_logsumexp_f64", "psm_strerror", "psm_version"} <= declared
    assert {name for name in exported if name.startswith("psm_")} == declared, listing
    others = {name for name in exported if not name.startswith("psm_")}
    assert others <= TOOLCHAIN_SYMBOLS, f"unexpected exports: {sorted(others - TOOLCHAIN_SYMBOLS)}"
    # The committed ABI: a function removed or renamed in the header and the
    # library together still fails here.  Only additions are allowed, and they
    # are added to the list (one name a line, sorted).
    committed = committed_symbols()
    assert sorted(declared) == committed, (
        f"the ABI changed: removed {sorted(set(committed) - declared)}, "
        f"added {sorted(declared - set(committed))}; a removal or a rename needs a new major "
        f"version, an addition a line in {EXPORTED_SYMBOLS.relative_to(ROOT)}"
    )


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("nm") is None,
    reason="needs an ELF platform with nm",
)
def test_the_static_library_defines_only_prefixed_symbols(release_build: Build) -> None:
    """A program linking libpysoftmax.a gets no global name outside psm_ (the header says so)."""
    archive = release_build.directory / "libpysoftmax.a"
    listing = run([shutil.which("nm") or "nm", "-g", "--defined-only", str(archive)])
    defined = {fields[2] for fields in map(str.split, listing.splitlines()) if len(fields) == 3}
    assert header_functions() <= defined, listing
    assert all(name.startswith("psm_") for name in defined), sorted(
        name for name in defined if not name.startswith("psm_")
    )


def committed_symbols() -> list[str]:
    """csrc/exported_symbols.txt: the names, checked to be one a line, sorted, unique."""
    lines = EXPORTED_SYMBOLS.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(set(lines)), f"{EXPORTED_SYMBOLS} is not sorted and unique"
    assert all(re.fullmatch(r"psm_\w+", line) for line in lines), f"{EXPORTED_SYMBOLS}: {lines}"
    return lines


def test_the_committed_symbol_list_is_the_headers() -> None:
    # No build needed: the header and the committed list agree.
    assert committed_symbols() == sorted(header_functions())


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("readelf") is None,
    reason="needs an ELF platform with readelf",
)
def test_the_soname_carries_the_major_version(release_build: Build) -> None:
    major = header_version().split(".")[0]
    library = shared_library(release_build.directory)
    dynamic = run([shutil.which("readelf") or "readelf", "-d", str(library)])
    assert f"Library soname: [libpysoftmax.so.{major}]" in dynamic, dynamic
    assert library.resolve().name == f"libpysoftmax.so.{header_version()}"


# ---------------------------------------------------------------- sanitizers


def probe_unavailable(directory: Path, source_text: str, flags: list[str]) -> str | None:
    """Why a C program cannot be built with ``flags`` and run here, or None if it can."""
    assert CC is not None
    source = directory / "probe.c"
    source.write_text(source_text, encoding="utf-8")
    program = directory / "probe"
    for command in ([*CC, *flags, str(source), "-o", str(program)], [str(program)]):
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            return (
                f"the compiler cannot build and run {' '.join(flags)} here "
                f"({shlex.join(command)}: {(completed.stdout + completed.stderr).strip()[:300]})"
            )
    return None


def sanitizers_unavailable(directory: Path) -> str | None:
    """Why -fsanitize=address,undefined cannot be used here, or None if it can."""
    return probe_unavailable(
        directory,
        "#include <stdlib.h>\n"
        "int main(void) { int *p = malloc(sizeof *p); *p = 0; int r = *p; free(p); return r; }\n",
        ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"],
    )


def test_the_c_tests_pass_under_asan_and_ubsan(tmp_path: Path) -> None:
    reason = sanitizers_unavailable(tmp_path)
    if reason:
        pytest.skip(reason)
    env = dict(
        os.environ,
        ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
    )
    build = cmake_build(
        tmp_path / "asan",
        "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
        "-DPSM_WERROR=ON",
        "-DPSM_SANITIZE=ON",
        env=env,
    )
    assert_no_warnings(build.log, "the sanitizer build")
    assert _flags_in_build_files(tmp_path / "asan"), "PSM_SANITIZE=ON did not add -fsanitize"
    output = build.ctest(env=env)
    assert "100% tests passed" in output, output[-10000:]
    for marker in ("runtime error", "AddressSanitizer", "LeakSanitizer"):
        assert marker not in output, output[-20000:]


def _flags_in_build_files(directory: Path) -> bool:
    """Whether -fsanitize=address,undefined appears in the generated build rules."""
    for path in directory.rglob("flags.make"):
        if "-fsanitize=address,undefined" in path.read_text(encoding="utf-8", errors="replace"):
            return True
    for path in directory.glob("build.ninja"):
        if "-fsanitize=address,undefined" in path.read_text(encoding="utf-8", errors="replace"):
            return True
    return False
