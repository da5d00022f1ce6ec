"""Short libFuzzer runs of the C core's fuzz harnesses (csrc/fuzz/README.md).

Builds ``csrc/`` with Clang and ``-DPSM_FUZZ=ON`` (the harnesses, on a copy of the library
built with coverage instrumentation, AddressSanitizer and UndefinedBehaviorSanitizer), then runs
each of ``fuzz_softmax``, ``fuzz_log_softmax``, ``fuzz_logsumexp`` and, for the functions added
in 0.2.0, ``fuzz_general``, ``fuzz_backward`` and ``fuzz_half`` for about 6 s with every kernel
variant this processor runs (``PSM_ISA``), ``fuzz_weighted`` and ``fuzz_sample`` 6 s once, and
``fuzz_status`` for 2 s: about 95 s of fuzzing in all, two runs at a time.  Each run starts
from the committed seed corpus (``csrc/fuzz/corpus``) and the dictionary, and keeps what it
finds in a temporary directory.
A violated invariant, a sanitizer report, a crash or a time-out fails the test with the
fuzzer's report (the input is in it, base64).  ``PSM_FUZZ_SECONDS`` sets the seconds per run.

Skipped, with the reason, where Clang or its fuzzer runtime is missing (Debian:
``apt-get install clang libclang-rt-14-dev``).  The same harnesses run without libFuzzer in
every ctest run of the C tests (``fuzz_replay_*``, driven by ``csrc/fuzz/standalone_main.c``):
the seed corpus and 2000 inputs made from it, with any compiler.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
FUZZ = CSRC / "fuzz"
CORPUS = FUZZ / "corpus"
DICTIONARY = FUZZ / "fuzz.dict"
CMAKE = shutil.which("cmake")

ROW_HARNESSES = ("softmax", "log_softmax", "logsumexp")
# The harnesses of the 0.2.0 functions: the general forms, the backward functions, float16 and
# bfloat16 (run with every kernel variant), and the weighted logsumexp (no variants: once).
NEW_HARNESSES = ("general", "backward", "half")
ISAS = ("avx512", "avx2", "baseline")
SECONDS = float(os.environ.get("PSM_FUZZ_SECONDS", "6"))
STATUS_SECONDS = max(1.0, SECONDS / 3)
FAILURE_MARKERS = (
    "INVARIANT VIOLATED",
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "ERROR: libFuzzer",
    "SUMMARY: ",
)


def _clang_with_libfuzzer(directory: Path) -> tuple[str | None, str]:
    """Return (a clang that links and runs -fsanitize=fuzzer, None) or (None, why not)."""
    candidates = [os.environ.get("PSM_FUZZ_CC", ""), "clang"] + [
        f"clang-{version}" for version in range(20, 13, -1)
    ]
    found = [shutil.which(name) for name in candidates if name]
    compilers = [path for path in found if path]
    if not compilers:
        return None, (
            "clang is not installed: the libFuzzer harnesses need it "
            "(Debian: apt-get install clang libclang-rt-14-dev); the same harnesses still run "
            "without libFuzzer in the ctest runs (fuzz_replay_*)"
        )
    source = directory / "probe.c"
    source.write_text(
        "#include <stddef.h>\n#include <stdint.h>\n"
        "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) "
        "{ (void)d; (void)n; return 0; }\n",
        encoding="utf-8",
    )
    errors = []
    for compiler in dict.fromkeys(compilers):
        program = directory / "probe"
        flags = ["-fsanitize=fuzzer,address,undefined"]
        build = subprocess.run(
            [compiler, *flags, str(source), "-o", str(program)],
            capture_output=True,
            text=True,
            check=False,
        )
        if build.returncode == 0:
            ran = subprocess.run(
                [str(program), "-runs=1"], capture_output=True, text=True, check=False
            )
            if ran.returncode == 0:
                return compiler, ""
            errors.append(f"{compiler}: the probe does not run: {ran.stderr.strip()[-300:]}")
        else:
            errors.append(f"{compiler}: {build.stderr.strip()[-300:]}")
    return None, (
        "no clang here links and runs -fsanitize=fuzzer (Debian: apt-get install "
        "libclang-rt-14-dev for clang 14): " + "; ".join(errors)
    )


@dataclass
class FuzzBuild:
    directory: Path
    compiler: str

    def harness(self, name: str) -> Path:
        return self.directory / f"fuzz_{name}"


# The Debian packages that give clang 14 its libFuzzer runtime.
CLANG_PACKAGES = ("clang", "libclang-rt-14-dev")


def _install_clang() -> str:
    """Install clang and libFuzzer from Debian's packages where that is possible; say what happened.

    CI runs on a fresh machine of the project's kind, which reaches Debian's package registry
    but has no clang: this is how its short fuzz run gets one.  Only as root with apt-get, and
    not with PSM_FUZZ_NO_INSTALL=1; a failure is reported by the skip, never an error.
    """
    if os.environ.get("PSM_FUZZ_NO_INSTALL") == "1":
        return "PSM_FUZZ_NO_INSTALL=1: not installed"
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not root with apt-get: not installed"
    try:
        completed = subprocess.run(
            [apt, "install", "-y", "-q", "--no-install-recommends", *CLANG_PACKAGES],
            capture_output=True,
            text=True,
            timeout=600,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"apt-get install failed: {error}"
    if completed.returncode != 0:
        return f"apt-get install failed: {completed.stderr.strip()[-300:]}"
    return "installed " + " ".join(CLANG_PACKAGES)


@pytest.fixture(scope="module")
def fuzz_build(tmp_path_factory: pytest.TempPathFactory) -> FuzzBuild:
    if CMAKE is None:
        pytest.skip("cmake is not installed")
    scratch = tmp_path_factory.mktemp("fuzz-probe")
    compiler, reason = _clang_with_libfuzzer(scratch)
    if compiler is None:
        installed = _install_clang()
        compiler, reason = _clang_with_libfuzzer(scratch)
        reason = f"{reason} ({installed})"
    if compiler is None:
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("fuzz-build") / "build"
    targets = [
        f"fuzz_{name}" for name in (*ROW_HARNESSES, "status", "sample", *NEW_HARNESSES, "weighted")
    ]
    targets.append("known_defects")
    for command in (
        [
            CMAKE,
            "-S",
            str(CSRC),
            "-B",
            str(directory),
            f"-DCMAKE_C_COMPILER={compiler}",
            "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
            "-DPSM_BUILD_TESTS=OFF",
            "-DPSM_FUZZ=ON",
            "-DPSM_WERROR=ON",
        ],
        [CMAKE, "--build", str(directory), "--parallel", "2", "--target", *targets],
    ):
        completed = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
        )
        if completed.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed:\n{completed.stdout[-10000:]}")
    return FuzzBuild(directory, compiler)


@pytest.fixture(scope="module")
def variants(fuzz_build: FuzzBuild, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The kernel variants this processor runs: PSM_ISA=name, and psm_isa() says name."""
    empty = tmp_path_factory.mktemp("fuzz-empty")
    runnable = []
    for isa in ISAS:
        completed = subprocess.run(
            [str(fuzz_build.harness("status")), "-runs=1", str(empty)],
            env=dict(os.environ, PSM_ISA=isa),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout[-5000:]
        match = re.search(r"fuzz_status: kernels (\w+)", completed.stdout)
        assert match, completed.stdout[-5000:]
        if match.group(1) == isa:
            runnable.append(isa)
    assert "baseline" in runnable
    return runnable


@dataclass
class FuzzRun:
    harness: str
    isa: str
    seconds: float
    process: subprocess.Popen[str]
    log: Path
    started: float
    output: str = ""
    executions: int = 0
    per_second: int = 0


def _start(build: FuzzBuild, harness: str, isa: str, seconds: float, work: Path) -> FuzzRun:
    corpus = work / f"corpus-{harness}-{isa}"
    artifacts = work / f"artifacts-{harness}-{isa}"
    corpus.mkdir()
    artifacts.mkdir()
    log = work / f"{harness}-{isa}.log"
    # a corpus of its own where there is one (status and the 0.2.0 harnesses), else the rows'
    seeds = CORPUS / harness if (CORPUS / harness).is_dir() else CORPUS / "rows"
    command = [
        str(build.harness(harness)),
        f"-max_total_time={max(1, round(seconds))}",
        "-print_final_stats=1",
        "-timeout=30",
        "-rss_limit_mb=3072",
        f"-dict={DICTIONARY}",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
        str(seeds),
    ]
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            command,
            env=dict(os.environ, PSM_ISA=isa),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return FuzzRun(harness, isa, seconds, process, log, time.monotonic())


def _finish(run: FuzzRun) -> FuzzRun:
    try:
        run.process.wait(timeout=run.seconds + 120)
    except subprocess.TimeoutExpired:
        run.process.kill()
        run.process.wait()
    run.output = run.log.read_text(encoding="utf-8", errors="replace")
    executed = re.search(r"stat::number_of_executed_units: (\d+)", run.output)
    speed = re.search(r"stat::average_exec_per_sec:\s+(\d+)", run.output)
    run.executions = int(executed.group(1)) if executed else 0
    run.per_second = int(speed.group(1)) if speed else 0
    return run


def _fuzz(build: FuzzBuild, harness: str, isas: list[str], seconds: float, work: Path) -> None:
    """Run the harness once per variant, two at a time (CI has 2 cores); fail on any report."""
    pending = list(isas)
    running: list[FuzzRun] = []
    finished: list[FuzzRun] = []
    while pending or running:
        while pending and len(running) < 2:
            running.append(_start(build, harness, pending.pop(0), seconds, work))
        finished.append(_finish(running.pop(0)))
    report = []
    for run in finished:
        report.append(
            f"fuzz_{harness} PSM_ISA={run.isa}: {run.executions} executions, "
            f"{run.per_second}/s, exit status {run.process.returncode}"
        )
    sys.stdout.write("\n".join(report) + "\n")
    for run in finished:
        markers = [marker for marker in FAILURE_MARKERS if marker in run.output]
        if run.process.returncode != 0 or markers:
            pytest.fail(
                f"fuzz_{harness} with PSM_ISA={run.isa} failed "
                f"(exit status {run.process.returncode}, {markers}); artifacts in "
                f"{run.log.parent}/artifacts-{harness}-{run.isa}:\n{run.output[-12000:]}",
                pytrace=False,
            )
        assert f"kernels {run.isa}" in run.output, run.output[-3000:]
        assert run.executions >= 50, "\n".join(report)


@pytest.mark.parametrize("harness", ROW_HARNESSES)
def test_a_row_harness_finds_nothing(
    harness: str, fuzz_build: FuzzBuild, variants: list[str], tmp_path: Path
) -> None:
    _fuzz(fuzz_build, harness, variants, SECONDS, tmp_path)


@pytest.mark.parametrize("harness", NEW_HARNESSES)
def test_a_harness_of_the_new_functions_finds_nothing(
    harness: str, fuzz_build: FuzzBuild, variants: list[str], tmp_path: Path
) -> None:
    _fuzz(fuzz_build, harness, variants, SECONDS, tmp_path)


def test_the_weighted_harness_finds_nothing(
    fuzz_build: FuzzBuild, variants: list[str], tmp_path: Path
) -> None:
    # The weighted logsumexp's code has no kernel variants: one run.
    _fuzz(fuzz_build, "weighted", variants[:1], SECONDS, tmp_path)


def test_the_status_harness_finds_nothing(
    fuzz_build: FuzzBuild, variants: list[str], tmp_path: Path
) -> None:
    _fuzz(fuzz_build, "status", variants, STATUS_SECONDS, tmp_path)


def test_the_sample_harness_finds_nothing(
    fuzz_build: FuzzBuild, variants: list[str], tmp_path: Path
) -> None:
    # The sampler's code has no kernel variants: one run (on the rows' seed corpus).
    _fuzz(fuzz_build, "sample", variants[:1], SECONDS, tmp_path)


# The defects the harnesses found (csrc/fuzz/README.md), each shown by csrc/fuzz/known_defects.c
# on the fuzz build, all fixed: they stay as regression tests.  D1: the float32 functions
# converted the temperature to double before switching denormals-are-zero off (a subnormal T
# read as 0 under the caller's DAZ); D2: the same conversion raised FE_INVALID in the caller's
# flags for a signaling-NaN T; D3: the baseline kernels' float64 log_softmax gave NaN where
# |x - max| > 2^996 and (x - max) / T is finite (Veltkamp splitting overflowed).
# D4: float64 log_softmax gave NaN where x - max is finite but TwoSum's (x - max) - x overflowed
# (max near DBL_MAX).  Found by the harnesses of the 0.2.0 functions: D5 the status with bad
# arguments in several arrays was not the first in the documented order; D6 float64 weighted
# logsumexp lost (or dropped as negligible) a term whose weight is far below the row's largest;
# D7 weighted logsumexp near 0 lost its digits to the scale's E ln2; D8 the backward functions
# accepted an invalid T with rows == 0; D9 float64 softmax backward overflowed for |y| past
# 2^211.  Open (float64 backward at the edges of double's range, csrc/fuzz/README.md): D10,
# D11, D12, strict expected failures, so that a fix is noticed.
KNOWN_DEFECTS = ["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9"]
OPEN_DEFECTS = ["D10", "D11", "D12"]


@pytest.mark.parametrize(
    "case",
    [
        *KNOWN_DEFECTS,
        *[pytest.param(case, marks=pytest.mark.xfail(strict=True)) for case in OPEN_DEFECTS],
    ],
)
def test_a_known_defect_is_fixed(case: str, fuzz_build: FuzzBuild) -> None:
    completed = subprocess.run(
        [str(fuzz_build.directory / "known_defects"), case],
        env=dict(os.environ, PSM_ISA="baseline"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if completed.returncode == 77:
        pytest.skip(completed.stdout.strip())
    assert completed.returncode == 0, completed.stdout


def test_the_seed_corpus_is_what_make_corpus_writes(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(FUZZ / "make_corpus.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    kinds = sorted(path.name for path in CORPUS.iterdir())
    assert kinds == ["backward", "general", "half", "rows", "status", "weighted"], kinds
    for kind in kinds:
        made = {path.name: path.read_bytes() for path in (tmp_path / kind).iterdir()}
        committed = {path.name: path.read_bytes() for path in (CORPUS / kind).iterdir()}
        assert made == committed, f"run python3 csrc/fuzz/make_corpus.py ({kind} differs)"
    total = sum(path.stat().st_size for path in CORPUS.rglob("*") if path.is_file())
    assert total < 16 * 1024, f"the seed corpus should stay small: {total} bytes"
