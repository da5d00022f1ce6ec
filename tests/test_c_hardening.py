"""The C tests under valgrind and under ThreadSanitizer.

valgrind (memcheck): a RelWithDebInfo build of ``csrc/`` with the default C compiler, and a
selection of the C test programs run under ``valgrind --error-exitcode=1 --leak-check=full``:
the ABI, strided, ISA, golden-vector and regression tests, the thread stress test (one
iteration: valgrind runs threads one at a time), the fuzz harnesses through their standalone
driver (the seed corpus and 4000 inputs made from it; 2000 for the four harnesses of the 0.2.0
functions: general, weighted, backward, half) and the consumer example
(``csrc/tests/consumer/consumer.c``), once per kernel variant valgrind runs.  valgrind 3.19
does not emulate AVX-512 (it hides it, and the library then picks avx2), so the variants are
those for which ``PSM_ISA`` is honoured under valgrind: avx2 and baseline on an x86-64 with
AVX2.  Left out, because their references need what valgrind does not give: test_accuracy,
test_special_values and the overflowing_difference regression compute their expected values
in x87 long double, which valgrind emulates in double precision (they fail there for no fault
of the library; the fuzz harnesses notice that and check statuses, memory and the
floating-point state only); test_threads (a minute under valgrind; test_stress covers it).
About 40 s on 2 cores, besides the build (20 s).

ThreadSanitizer: a build with ``-DPSM_TSAN=ON`` (``-fsanitize=thread``, library and tests),
then test_stress (8 threads calling every function at once, bit for bit against one thread)
and test_threads with every kernel variant; any ThreadSanitizer report fails.  The library
picks its kernels in a load-time constructor and keeps no other state, so it must be clean.

Each part is skipped, with the reason, where its tool is missing.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import mpmath
import numpy as np
import pytest
import test_c_library as c_library

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
CORPUS = CSRC / "fuzz" / "corpus"
VECTORS = ROOT / "conformance" / "vectors"
CMAKE = shutil.which("cmake")
VALGRIND = shutil.which("valgrind")
ISAS = ("avx512", "avx2", "baseline")


CC = c_library.CC  # the C compiler CMake would pick first

pytestmark = pytest.mark.skipif(
    CMAKE is None or CC is None, reason="needs cmake and a C compiler on PATH"
)


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    if completed.returncode != 0:
        pytest.fail(
            f"{shlex.join(command)} failed ({completed.returncode}):\n{completed.stdout[-10000:]}",
            pytrace=False,
        )
    return completed.stdout


def _build(directory: Path, options: list[str], targets: list[str]) -> Path:
    assert CMAKE is not None
    _run([CMAKE, "-S", str(CSRC), "-B", str(directory), *options])
    _run([CMAKE, "--build", str(directory), "--parallel", "2", "--target", *targets])
    return directory


@dataclass
class Job:
    """One program run: what it is, its command line and environment."""

    name: str
    command: list[str]
    env: dict[str, str]


@dataclass
class Outcome:
    job: Job
    returncode: int
    output: str
    seconds: float


def _run_two_at_a_time(jobs: list[Job], timeout: float) -> list[Outcome]:
    """Run the jobs, two at a time (CI has 2 cores), and return their outcomes in order."""
    outcomes: list[Outcome] = []
    pending = list(jobs)
    running: list[tuple[Job, subprocess.Popen[str], float]] = []
    while pending or running:
        while pending and len(running) < 2:
            job = pending.pop(0)
            process = subprocess.Popen(
                job.command,
                env=job.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            running.append((job, process, time.monotonic()))
        job, process, started = running.pop(0)
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            output += f"\n(killed after {timeout} s)"
        outcomes.append(Outcome(job, process.returncode, output, time.monotonic() - started))
    return outcomes


def _report(outcomes: list[Outcome]) -> str:
    return "\n".join(f"  {o.seconds:6.1f} s  rc {o.returncode:3d}  {o.job.name}" for o in outcomes)


# ---------------------------------------------------------------- valgrind

VALGRIND_TARGETS = [
    "test_abi",
    "test_strided",
    "test_isa",
    "test_golden",
    "test_regressions",
    "test_stress",
    "replay_softmax",
    "replay_log_softmax",
    "replay_logsumexp",
    "replay_status",
    "test_sampling",
    "replay_sample",
    *[f"replay_{harness}" for harness in ("general", "weighted", "backward", "half")],
]


def _valgrind_programs(build: Path, consumer: Path) -> list[tuple[str, list[str]]]:
    rows, status = str(CORPUS / "rows"), str(CORPUS / "status")
    programs = [
        ("test_abi", [str(build / "test_abi")]),
        ("test_strided", [str(build / "test_strided")]),
        ("test_isa", [str(build / "test_isa")]),
        ("test_golden", [str(build / "test_golden"), "--skip-missing", str(VECTORS)]),
        ("test_stress 1", [str(build / "test_stress"), "1"]),
        ("consumer", [str(consumer)]),
    ]
    for case in ("nan_temperature_flags", "huge_temperature", "subnormal_temperature"):
        programs.append((f"test_regressions {case}", [str(build / "test_regressions"), case]))
    for harness in ("softmax", "log_softmax", "logsumexp"):
        programs.append(
            (f"replay_{harness}", [str(build / f"replay_{harness}"), "-runs=4000", rows])
        )
    programs.append(("replay_status", [str(build / "replay_status"), "-runs=3000", status]))
    programs.append(("test_sampling", [str(build / "test_sampling")]))
    programs.append(("replay_sample", [str(build / "replay_sample"), "-runs=2000"]))
    for harness in ("general", "weighted", "backward", "half"):
        command = [str(build / f"replay_{harness}"), "-runs=2000", str(CORPUS / harness)]
        programs.append((f"replay_{harness}", command))
    return programs


def _valgrind_command(program: list[str]) -> list[str]:
    assert VALGRIND is not None
    return [VALGRIND, "-q", "--error-exitcode=1", "--leak-check=full", *program]


@pytest.fixture(scope="module")
def valgrind_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if VALGRIND is None:
        pytest.skip("valgrind is not installed")
    assert CC is not None
    build = _build(
        tmp_path_factory.mktemp("valgrind") / "build",
        ["-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
        VALGRIND_TARGETS,
    )
    consumer = build / "consumer"
    _run(
        [
            *CC,
            "-std=c99",
            "-g",
            f"-I{CSRC / 'include'}",
            str(CSRC / "tests" / "consumer" / "consumer.c"),
            f"-L{build}",
            "-lpysoftmax",
            f"-Wl,-rpath,{build}",
            "-o",
            str(consumer),
        ]
    )
    return build, consumer


def _variants_under_valgrind(build: Path) -> list[str]:
    """The kernel variants PSM_ISA selects under valgrind (its CPUID hides AVX-512)."""
    honoured = []
    for isa in ISAS:
        output = _run(
            _valgrind_command([str(build / "replay_status"), "-runs=1"]),
            env=dict(os.environ, PSM_ISA=isa),
        )
        match = re.search(r"fuzz_status: kernels (\w+)", output)
        assert match, output
        if match.group(1) == isa:
            honoured.append(isa)
    return honoured


def test_the_c_tests_pass_under_valgrind(valgrind_build: tuple[Path, Path]) -> None:
    build, consumer = valgrind_build
    variants = _variants_under_valgrind(build)
    assert "baseline" in variants, variants
    jobs = [
        Job(f"{name} (PSM_ISA={isa})", _valgrind_command(program), dict(os.environ, PSM_ISA=isa))
        for isa in variants
        for name, program in _valgrind_programs(build, consumer)
    ]
    outcomes = _run_two_at_a_time(jobs, timeout=300)
    print(f"valgrind, variants {variants}:\n{_report(outcomes)}")
    failed = [o for o in outcomes if o.returncode != 0]
    assert not failed, "\n\n".join(
        f"{o.job.name} failed under valgrind (exit status {o.returncode}):\n{o.output[-6000:]}"
        for o in failed
    )
    for outcome in outcomes:
        assert "ERROR SUMMARY" not in outcome.output or "0 errors" in outcome.output
        assert "definitely lost" not in outcome.output, outcome.output[-6000:]
    # The harnesses know that valgrind's long double is not 80-bit and say so.
    replays = [o for o in outcomes if o.job.name.startswith("replay_softmax")]
    assert all("values are not checked" in o.output for o in replays), replays[0].output


# ---------------------------------------------------------------- ThreadSanitizer


def _thread_sanitizer_unavailable(directory: Path) -> str | None:
    """Why -fsanitize=thread cannot build and run a threaded program here, or None."""
    return c_library.probe_unavailable(
        directory,
        "#include <pthread.h>\n"
        "static void *work(void *p) { return p; }\n"
        "int main(void) { pthread_t t; if (pthread_create(&t, 0, work, 0)) return 1;\n"
        "  return pthread_join(t, 0); }\n",
        ["-fsanitize=thread", "-pthread"],
    )


def test_the_thread_tests_are_clean_under_thread_sanitizer(tmp_path: Path) -> None:
    reason = _thread_sanitizer_unavailable(tmp_path)
    if reason:
        pytest.skip(reason)
    build = _build(
        tmp_path / "tsan",
        ["-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DPSM_TSAN=ON", "-DPSM_WERROR=ON"],
        ["test_stress", "test_threads"],
    )
    flags = (build / "CMakeFiles" / "test_stress.dir" / "flags.make").read_text(encoding="utf-8")
    assert "-fsanitize=thread" in flags, flags
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1")
    jobs = [
        Job(f"{program} (PSM_ISA={isa})", [str(build / program)], dict(env, PSM_ISA=isa))
        for isa in ISAS
        for program in ("test_stress", "test_threads")
    ]
    outcomes = _run_two_at_a_time(jobs, timeout=300)
    print(f"ThreadSanitizer:\n{_report(outcomes)}")
    for outcome in outcomes:
        assert outcome.returncode == 0, f"{outcome.job.name}:\n{outcome.output[-10000:]}"
        assert "ThreadSanitizer" not in outcome.output, outcome.output[-10000:]
        assert "checks passed" in outcome.output, outcome.output[-3000:]


def test_thread_sanitizer_and_the_address_sanitizer_build_exclude_each_other(
    tmp_path: Path,
) -> None:
    assert CMAKE is not None
    completed = subprocess.run(
        [CMAKE, "-S", str(CSRC), "-B", str(tmp_path), "-DPSM_TSAN=ON", "-DPSM_SANITIZE=ON"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    assert "PSM_TSAN and PSM_SANITIZE cannot be combined" in completed.stdout


def test_short_rows_side_by_side_give_the_row_paths_bits():
    """Rows under 3 entries take the scalar method in every layout (found by fuzz_half: a
    log_softmax of -0 across rows where the row path gives +0)."""
    from pysoftmax import _core

    ffi, lib = _core.ffi, _core.lib
    temperature = float.fromhex("0x1.0004p-123")
    x = np.array([0.0, -2.0], np.float32)
    along = np.empty(2, np.float32)
    lib.psm_log_softmax_f32(
        ffi.from_buffer("float[]", x), ffi.from_buffer("float[]", along), 1, 2, temperature
    )
    across = np.empty((2, 32), np.float32)  # 32 rows side by side: row r's entries at [i, r]
    columns = np.ascontiguousarray(np.repeat(x[:, None], 32, axis=1))
    lib.psm_log_softmax_strided_f32(
        ffi.from_buffer("float[]", columns),
        1,
        32,
        ffi.from_buffer("float[]", across),
        1,
        32,
        32,
        2,
        temperature,
    )
    assert np.array_equal(
        across.view(np.uint32), np.repeat(along[:, None], 32, axis=1).view(np.uint32)
    )


def test_a_softmax_backward_sum_beyond_double_is_rescaled_not_infinite():
    """dy near 2^895 times y near 2^167 overflows the sum; dx itself is finite (fuzz_backward)."""
    from pysoftmax import _core

    ffi, lib = _core.ffi, _core.lib
    y = np.array([-float.fromhex("0xd.1adfffba90228p+163")])
    dy = np.array([-float.fromhex("0xd.a947bdd870d7p+891")])
    dx = np.zeros(1)
    temperature = float.fromhex("0x8.3043be352e24p+377")
    pointer = lambda a: ffi.from_buffer("double[]", a)  # noqa: E731
    assert (
        lib.psm_softmax_backward_f64(pointer(y), pointer(dy), pointer(dx), 1, 1, temperature) == 0
    )
    mpmath.mp.dps = 50
    exact = (
        mpmath.mpf(y[0])
        * (mpmath.mpf(dy[0]) - mpmath.mpf(dy[0]) * mpmath.mpf(y[0]))
        / mpmath.mpf(temperature)
    )
    assert dx[0] == float(exact)
