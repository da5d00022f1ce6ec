"""The command line (pysoftmax/_cli.py): in-process through main(argv), and as a process.

Results are checked against mpmath (conformance.reference: the exact values, correctly
rounded) and their printed digits against the bits pysoftmax computes; every error path
exits with status 2 and one line naming the argument. The bench and conformance commands
run on a tiny subset here (the benchmark's cases patched small, the vectors subset), once
each for real in a process only where that is quick.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pysoftmax
from conformance import reference as exact
from pysoftmax import _cli

ROOT = Path(__file__).resolve().parent.parent


def cli(*argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    """Run main(argv) in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = _cli.main(list(argv))
    finally:
        sys.stdin = saved
    return status, out.getvalue(), err.getvalue()


def environment() -> dict[str, str]:
    """This process's environment, with this checkout first on PYTHONPATH."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def process(*argv: str, stdin: bytes = b"", cwd: Path | None = None) -> tuple[int, str, str]:
    """Run ``python -m pysoftmax argv`` as a process: (status, stdout, stderr)."""
    completed = subprocess.run(
        [sys.executable, "-m", "pysoftmax", *argv],
        input=stdin,
        capture_output=True,
        env=environment(),
        cwd=cwd,
        check=False,
        timeout=120,
    )
    return completed.returncode, completed.stdout.decode(), completed.stderr.decode()


def parse_csv(text: str, dtype: type) -> np.ndarray:
    rows = [[dtype(float(v)) for v in line.split(",")] for line in text.splitlines()]
    return np.array(rows, dtype=dtype)


def exact_rows(function: str, x: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """mpmath's values, correctly rounded to x's dtype, along the last axis of a 2-d x."""
    dtype = x.dtype
    rows = np.atleast_2d(x).astype(np.float64)
    t = float(dtype.type(temperature))
    if function == "logsumexp":
        return np.array([exact.round_to_dtype(exact.logsumexp(row)[0], dtype) for row in rows])
    method = exact.softmax if function == "softmax" else exact.log_softmax
    return np.array([[exact.round_to_dtype(v, dtype) for v in method(row, t)] for row in rows])


def assert_within_2_ulp(got: np.ndarray, want: np.ndarray, dtype: type) -> None:
    assert got.shape == want.shape, (got.shape, want.shape)
    for g, w in zip(got.ravel(), want.ravel(), strict=True):
        assert exact.ulp_distance(float(g), float(w), dtype) <= 2, (g, w)


def assert_logsumexp_within_2_ulp(got: np.ndarray, x: np.ndarray) -> None:
    for g, row in zip(np.ravel(got), np.atleast_2d(x).astype(np.float64), strict=True):
        value, scale = exact.logsumexp(row)
        error = abs(float(g) - float(value)) / exact.ulp(float(scale), x.dtype)
        assert error <= 2, (g, value, error)


# ---- softmax, log_softmax, logsumexp: values ------------------------------------------------


def test_the_readme_example_in_a_process():
    status, out, err = process("softmax", "10", "2", "10000", "4", "--temperature", "0.5")
    assert (status, err) == (0, "")
    x = np.array([10, 2, 10000, 4], dtype=np.float64)
    got = parse_csv(out, np.float64)
    assert_within_2_ulp(got, exact_rows("softmax", x, 0.5), np.float64)
    assert got.tolist() == [[0.0, 0.0, 1.0, 0.0]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("temperature", [1.0, 0.37, 6.5])
def test_values_against_mpmath_and_the_printed_digits_round_trip(dtype, function, temperature):
    x = (np.random.default_rng(8).normal(size=9) * 20).astype(dtype)
    numbers = [str(v) for v in x]
    status, out, err = cli(function, *numbers, "--dtype", dtype, "--temperature", str(temperature))
    assert (status, err) == (0, "")
    got = parse_csv(out, np.dtype(dtype).type)
    assert_within_2_ulp(got, exact_rows(function, x, temperature), np.dtype(dtype).type)
    # The printed text reads back to exactly the bits the library computes.
    computed = getattr(pysoftmax, function)(x, temperature=temperature)
    assert got[0].tobytes() == computed.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_against_mpmath(dtype):
    x = (np.random.default_rng(9).normal(size=(3, 7)) * 30).astype(dtype)
    csv = "\n".join(",".join(str(v) for v in row) for row in x).encode()
    status, out, err = cli("logsumexp", "-", "--dtype", dtype, stdin=csv)
    assert (status, err) == (0, "")
    got = parse_csv(out, np.dtype(dtype).type)
    assert got.shape == (1, 3)  # one value per row, as the API's shape (3,): one CSV line
    assert_logsumexp_within_2_ulp(got, x)
    status, out, _ = cli("logsumexp", "-", "--dtype", dtype, "--keepdims", stdin=csv)
    assert parse_csv(out, np.dtype(dtype).type).shape == (3, 1)


def test_logsumexp_of_numbers_is_one_value():
    status, out, err = cli("logsumexp", "1000", "1000")
    assert (status, err) == (0, "")
    assert float(out) == pytest.approx(1000 + math.log(2), rel=1e-16)
    assert_logsumexp_within_2_ulp(np.array([float(out)]), np.array([1000.0, 1000.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_printed_values_round_trip_bit_for_bit(dtype):
    """Every finite value, subnormals and extremes included, and the special ones."""
    unsigned = np.uint32 if dtype is np.float32 else np.uint64
    bits = np.random.default_rng(3).integers(0, np.iinfo(unsigned).max, 3000, dtype=unsigned)
    values = bits.view(dtype)
    extremes = [0.0, -0.0, np.inf, -np.inf, np.finfo(dtype).max, np.finfo(dtype).smallest_subnormal]
    values = np.concatenate([values[np.isfinite(values)], np.array(extremes, dtype=dtype)])
    back = parse_csv("".join(_cli.csv_lines(values)), dtype)[0]
    assert back.tobytes() == values.tobytes()
    assert list(_cli.csv_lines(np.array([np.nan], dtype=dtype))) == ["nan\n"]


def test_special_values_and_the_temperature_limits():
    status, out, _ = cli("softmax", "1", "3", "-inf", "3", "--temperature", "0")
    assert (status, out) == (0, "0.0,0.5,0.0,0.5\n")
    status, out, _ = cli("softmax", "1", "3", "-inf", "2", "--temperature", "inf")
    assert (status, out) == (0, "0.3333333333333333,0.3333333333333333,0.0,0.3333333333333333\n")
    status, out, _ = cli("log_softmax", "nan", "1")
    assert (status, out) == (0, "nan,nan\n")


def test_numbers_in_every_form_are_positionals():
    """-1e5, -inf, -.5 and hexadecimal floats: not options, whatever argparse would say."""
    status, out, err = cli("softmax", "-1e5", "-inf", "-.5", "-0x1p+1", "0X1.8P1", "--axis", "-1")
    assert (status, err) == (0, "")
    x = np.array([-1e5, -np.inf, -0.5, -2.0, 3.0])
    expected = np.exp(x - 3.0) / np.exp(x - 3.0).sum()  # numpy: fine on this row
    np.testing.assert_allclose(parse_csv(out, np.float64)[0], expected, rtol=1e-15)


def test_float32_text_is_rounded_to_float32_and_printed_as_float32():
    # logsumexp of one entry is the entry: float32 prints the float32 number's shortest text.
    assert cli("logsumexp", "0.1000000001", "--dtype", "float32") == (0, "0.1\n", "")
    assert cli("logsumexp", "0.1000000001") == (0, "0.1000000001\n", "")


# ---- input: files, stdin, CSV forms, .npy, axes ---------------------------------------------


def test_a_csv_file_is_one_row_per_line(tmp_path):
    path = tmp_path / "logits.csv"
    path.write_text("# logits\n1, 2, 3\n\n4 5 6\n7,8,9\n")
    status, out, err = cli("softmax", str(path))
    assert (status, err) == (0, "")
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=np.float64)
    assert_within_2_ulp(parse_csv(out, np.float64), exact_rows("softmax", x), np.float64)


@pytest.mark.parametrize("axis", ["0", "none", "0,1"])
def test_other_axes(tmp_path, axis):
    x = np.random.default_rng(4).normal(size=(4, 3))
    path = tmp_path / "x.npy"
    np.save(path, x)
    status, out, err = cli("log_softmax", str(path), "--axis", axis)
    assert (status, err) == (0, "")
    got = parse_csv(out, np.float64)
    if axis == "0":
        want = exact_rows("log_softmax", x.T).T
    else:
        want = exact_rows("log_softmax", x.reshape(1, -1)).reshape(4, 3)
    assert_within_2_ulp(got, want, np.float64)


def test_npy_keeps_its_dtype_and_shape_and_output_npy_keeps_the_bits(tmp_path):
    x = np.random.default_rng(5).normal(size=(2, 3, 5)).astype(np.float32)
    source, target = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(source, x)
    status, out, err = cli("softmax", str(source), "--temperature", "2", "-o", str(target))
    assert (status, out, err) == (0, "", "")
    y = np.load(target)
    assert y.dtype == np.float32 and y.shape == x.shape
    want = exact_rows("softmax", x.reshape(-1, 5), 2.0).reshape(x.shape)
    assert_within_2_ulp(y, want, np.float32)
    status, out, _ = cli("softmax", str(source), "--dtype", "float64", "-o", str(target))
    assert np.load(target).dtype == np.float64


def test_stdin_as_npy_in_a_process_and_output_csv_file(tmp_path):
    x = np.array([[0.0, -30.0, -40.0]], dtype=np.float32)
    buffer = io.BytesIO()
    np.save(buffer, x)
    status, out, err = process(
        "log_softmax", "-", "-o", "y.csv", stdin=buffer.getvalue(), cwd=tmp_path
    )
    assert (status, out, err) == (0, "", "")
    got = parse_csv((tmp_path / "y.csv").read_text(), np.float32)
    assert_within_2_ulp(got, exact_rows("log_softmax", x), np.float32)
    assert got[0, 0] < 0  # the README's pitfall: -9.358e-14, not 0


def test_an_integer_npy_is_computed_in_float64(tmp_path):
    path = tmp_path / "ints.npy"
    np.save(path, np.array([1, 2, 3]))
    status, out, _ = cli("softmax", str(path))
    assert status == 0
    assert_within_2_ulp(
        parse_csv(out, np.float64), exact_rows("softmax", np.array([1.0, 2, 3])), np.float64
    )


# ---- the other commands ---------------------------------------------------------------------


def test_backends_lists_every_backend_with_its_availability_and_reason():
    status, out, err = cli("backends")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["backend", "available", "reason", "takes"]
    for info in pysoftmax.backends():
        (line,) = [line for line in lines[2:] if line.split()[0] == info.name]
        assert line.split()[1] == ("yes" if info.available else "no")
        assert info.reason in line and info.description in line


def test_version_and_help():
    status, out, _ = cli("--version")
    assert (status, out) == (0, f"pysoftmax {pysoftmax.__version__}\n")
    status, out, _ = cli("--help")
    assert status == 0
    for command in _cli.COMMANDS:
        assert command.name in out


@pytest.mark.parametrize("name", [command.name for command in _cli.COMMANDS])
def test_every_command_has_help(name):
    status, out, err = cli(name, "--help")
    assert (status, err) == (0, "")
    assert out.startswith(f"usage: pysoftmax {name}")


def test_help_and_version_in_a_process():
    status, out, _ = process("softmax", "--help")
    assert status == 0 and "--temperature" in out
    status, out, _ = process("--version")
    assert (status, out.strip()) == (0, f"pysoftmax {pysoftmax.__version__}")


def test_the_console_script_is_declared_and_runs_where_installed(tmp_path):
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"pysoftmax": "pysoftmax._cli:main"}
    script = shutil.which("pysoftmax", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the console script is not installed here (pip install -e . installs it)")
    completed = subprocess.run(
        [script, "logsumexp", "0", "0"], capture_output=True, text=True, env=environment()
    )
    assert (completed.returncode, completed.stdout) == (0, f"{math.log(2)!r}\n")


def test_a_new_command_is_one_entry(monkeypatch):
    """What the sample command (or any other) has to add: two functions and one Command."""

    def add_arguments(parser):
        _cli.add_input_arguments(parser)
        _cli.add_output_argument(parser)

    def run(arguments):
        _cli.write_output(arguments, 2 * _cli.read_input(arguments))
        return 0

    double = _cli.Command("double", "twice x", add_arguments, run)
    monkeypatch.setattr(_cli, "COMMANDS", (*_cli.COMMANDS, double))
    assert cli("double", "1", "-2.5") == (0, "2.0,-5.0\n", "")
    assert cli("double", "1", "x")[0] == 2


def test_a_closed_pipe_stops_quietly(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.zeros((20000, 10)))
    command = [sys.executable, "-m", "pysoftmax", "softmax", str(path)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment()
    ) as reader:
        assert reader.stdout is not None and reader.stderr is not None
        assert reader.stdout.readline() == b"0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n"
        reader.stdout.close()  # as `| head -1` does
        stderr = reader.stderr.read().decode()
        assert reader.wait(timeout=60) == 1
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


# ---- errors: one line, status 2, naming the argument ----------------------------------------


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


ERRORS = {
    # name: (argv, with {tmp} for the test's directory; stdin; what the message says)
    "unknown-command": (["softmx", "1"], b"", "argument COMMAND: invalid choice: 'softmx'"),
    "no-command": ([], b"", "required: COMMAND"),
    "no-values": (["softmax"], b"", "required: X"),
    "not-a-number": (["softmax", "1", "two", "3"], b"", "argument X: 'two' is not a number"),
    "not-a-number-or-file": (
        ["softmax", "two"],
        b"",
        "argument X: 'two' is not a number, nor a file",
    ),
    "missing-file": (["softmax", "{tmp}/none.csv"], b"", "none.csv' is not a number, nor a file"),
    "directory": (["softmax", "{tmp}"], b"", "argument X: cannot read"),
    "csv-not-a-number": (
        ["softmax", "-"],
        b"1,2\n3,x\n",
        "argument X: standard input, line 2, value 2: 'x' is not a number",
    ),
    "csv-ragged": (["softmax", "-"], b"1,2,3\n\n4,5\n", "line 3 has 2 values where line 1 has 3"),
    "csv-empty": (
        ["softmax", "-"],
        b"# nothing\n\n",
        "argument X: standard input holds no numbers",
    ),
    "not-text": (["softmax", "-"], b"\xff\xfe\x00garbage", "neither a .npy file nor text"),
    "npy-truncated": (
        ["softmax", "-"],
        npy_bytes(np.arange(8.0))[:-5],
        "argument X: standard input is not a readable .npy file",
    ),
    "npy-objects": (["softmax", "-"], npy_bytes(np.array([None, 1])), "not a readable .npy file"),
    "npy-bool": (
        ["softmax", "-", "--dtype", "float32"],
        npy_bytes(np.array([True])),
        "argument X: x must have a real floating-point",
    ),
    "temperature-negative": (
        ["softmax", "1", "2", "--temperature", "-1"],
        b"",
        "argument --temperature: temperature must be >= 0",
    ),
    "temperature-nan": (
        ["log_softmax", "1", "--temperature", "nan"],
        b"",
        "argument --temperature: temperature must be >= 0",
    ),
    "temperature-text": (
        ["softmax", "1", "--temperature", "hot"],
        b"",
        "argument --temperature: 'hot' is not a number",
    ),
    "temperature-rounds-to-zero": (
        ["softmax", "1", "--temperature", "1e-50", "--dtype", "float32"],
        b"",
        "argument --temperature: temperature 1e-50 becomes 0.0 in float32, the dtype x is "
        "computed in; pass --temperature 0.0 for that limit, or --dtype float64",
    ),
    "temperature-for-logsumexp": (
        ["logsumexp", "1", "--temperature", "2"],
        b"",
        "pysoftmax logsumexp: error: unrecognized arguments: --temperature 2",
    ),
    "axis-out-of-range": (
        ["softmax", "1", "2", "--axis", "1"],
        b"",
        "argument --axis: axis 1 is out of bounds",
    ),
    "axis-repeated": (
        ["softmax", "-", "--axis", "0,0"],
        b"1,2\n3,4\n",
        "argument --axis: axis (0, 0) names the same axis",
    ),
    "axis-not-an-integer": (
        ["softmax", "1", "--axis", "last"],
        b"",
        "argument --axis: 'last' is not an axis",
    ),
    "dtype": (
        ["softmax", "1", "--dtype", "float16"],
        b"",
        "argument --dtype: invalid choice: 'float16'",
    ),
    "output-suffix": (
        ["softmax", "1", "-o", "{tmp}/y.txt"],
        b"",
        "argument --output/-o: '{tmp}/y.txt' must end in .npy or .csv",
    ),
    "output-directory": (
        ["softmax", "1", "-o", "{tmp}/no/y.npy"],
        b"",
        "there is no directory {tmp}/no",
    ),
    "output-3d-csv": (
        ["softmax", "-"],
        npy_bytes(np.zeros((2, 2, 2))),
        "argument --output: a 3-d result has no CSV form",
    ),
    "conformance-backend": (
        ["conformance", "--backend", "nope"],
        b"",
        "argument --backend: 'nope' is not one of",
    ),
    "bench-rounds": (["bench", "--rounds", "0"], b"", "argument --rounds: '0' is not at least 1"),
    "bench-threads": (
        ["bench", "--threads", "two"],
        b"",
        "argument --threads: 'two' is not an integer",
    ),
    "bench-plot-suffix": (
        ["bench", "--plot", "{tmp}/plot.svg"],
        b"",
        "argument --plot: '{tmp}/plot.svg' must end in .png",
    ),
}


@pytest.mark.parametrize("case", ERRORS, ids=list(ERRORS))
def test_bad_input_is_one_line_and_status_2(case, tmp_path):
    argv, stdin, message = ERRORS[case]
    argv = [a.format(tmp=tmp_path) for a in argv]
    status, out, err = cli(*argv, stdin=stdin)
    assert (status, out) == (2, ""), err
    assert err.count("\n") == 1 and err.startswith("pysoftmax"), err
    assert ": error: " in err and message.format(tmp=tmp_path) in err, err


@pytest.mark.parametrize(
    "case", ["not-a-number", "csv-ragged", "temperature-negative", "unknown-command"]
)
def test_bad_input_in_a_process_has_no_traceback(case, tmp_path):
    argv, stdin, message = ERRORS[case]
    status, out, err = process(*argv, stdin=stdin)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err


def test_an_output_that_cannot_be_written(tmp_path):
    (tmp_path / "taken.npy").mkdir()
    status, _, err = cli("softmax", "1", "-o", str(tmp_path / "taken.npy"))
    assert status == 2 and "argument --output: cannot write" in err and err.count("\n") == 1


def test_without_a_source_checkout_conformance_and_bench_say_so(monkeypatch, tmp_path):
    monkeypatch.setattr(
        pysoftmax, "__file__", str(tmp_path / "site-packages/pysoftmax/__init__.py")
    )
    monkeypatch.delitem(sys.modules, _cli._BENCH_MODULE, raising=False)
    for command in ("conformance", "bench"):
        status, out, err = cli(command)
        assert (status, out) == (2, "")
        assert "is part of pysoftmax's source repository, not of the installed package" in err
        assert "pip install -e ." in err and err.count("\n") == 1


def test_conformance_without_mpmath_says_what_to_install(monkeypatch):
    def no_mpmath(name):
        raise ModuleNotFoundError("No module named 'mpmath'", name="mpmath")

    monkeypatch.setattr(_cli.importlib, "import_module", no_mpmath)
    status, out, err = cli("conformance")
    assert (status, out) == (2, "")
    assert err == (
        "pysoftmax conformance: error: this needs mpmath, which is not installed: "
        "python -m pip install -e '.[test]'\n"
    )


# ---- conformance ----------------------------------------------------------------------------


@functools.cache
def every_vector():
    from conformance import vectors

    return vectors.all_cases()


@pytest.fixture
def few_vectors(monkeypatch):
    """The vectors cut to three cases per function and dtype, edge cases included."""
    from conformance import vectors

    every = every_vector()
    chosen = []
    for function in ("softmax", "log_softmax", "logsumexp"):
        for dtype in ("float32", "float64"):
            mine = [c for c in every if c.function == function and c.dtype == dtype]
            chosen += [c for c in mine if not c.name.startswith("edge_")][:2]
            chosen += [c for c in mine if c.name.startswith("edge_")][:1]
    monkeypatch.setattr(vectors, "all_cases", lambda: chosen)
    return chosen


def test_conformance_prints_the_report(few_vectors):
    status, out, err = cli("conformance", "--backend", "c", "--no-references")
    assert (status, err) == (0, "")
    rows = [line.split(" | ") for line in out.splitlines() if line.startswith("| c |")]
    assert len(rows) == 6  # 3 functions x 2 dtypes
    assert all(row[5] == "yes" and row[6] == "2/2" and row[7] == "1/1 |" for row in rows), out


def test_conformance_fails_with_status_1_when_a_backend_misses_the_bound(few_vectors, monkeypatch):
    right = pysoftmax.softmax

    def three_ulp_off(x, *args, **kwargs):
        y = np.asarray(right(x, *args, **kwargs))
        for _ in range(3):
            y = np.nextafter(y, np.inf).astype(y.dtype)
        return y

    monkeypatch.setattr(pysoftmax, "softmax", three_ulp_off)
    status, out, _ = cli("conformance", "--backend", "c", "--no-references")
    assert status == 1
    softmax_rows = [line for line in out.splitlines() if line.startswith("| c | softmax |")]
    assert len(softmax_rows) == 2 and all("**no**" in line for line in softmax_rows), out


def test_conformance_in_a_process_on_the_c_backend():
    status, out, err = process("conformance", "--backend", "c", "--no-references")
    assert (status, err) == (0, "")
    rows = [line for line in out.splitlines() if line.startswith("| c |")]
    assert len(rows) == 6 and all("| yes |" in line for line in rows), out


# ---- bench ----------------------------------------------------------------------------------


@pytest.fixture
def tiny_bench(monkeypatch):
    """benchmarks/bench.py cut to one case of 10 entries and a 2-point sweep, numpy only."""
    bench = _cli.load_bench()
    monkeypatch.setattr(bench, "SHAPES", [((10,), -1)])
    monkeypatch.setattr(bench, "SWEEP_TOTAL", {True: 64, False: 64})
    monkeypatch.setattr(bench, "SWEEP_LENGTHS", {True: [1, 16], False: [1, 16]})
    monkeypatch.setattr(bench, "ROUNDS", {True: 1, False: 1})
    monkeypatch.setattr(bench, "SAMPLE_S", {True: 1e-4, False: 1e-4})
    monkeypatch.setattr(bench, "import_peers", lambda: bench.Peers(None, None, None, None, []))
    return bench


def test_bench_prints_the_tables_writes_the_plot_and_shows_progress(tiny_bench, tmp_path):
    pytest.importorskip("matplotlib")
    plot, data = tmp_path / "throughput.png", tmp_path / "all.json"
    status, out, err = cli("bench", "--quick", "--plot", str(plot), "--json", str(data))
    assert status == 0, err
    assert out.startswith("# pysoftmax benchmarks")
    for section in ("## CPU", "### float32 (10,) axis -1", "### float64 (10,) axis -1", "## Bars"):
        assert section in out
    assert "| pysoftmax (1 thread) |" in out and "| numpy textbook |" in out
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert [case["name"] for case in json.loads(data.read_text())["cases"]] == [
        "float32 (10,) axis -1",
        "float64 (10,) axis -1",
    ]
    # Not a terminal: one line per case, counting up to the total, then "measured".
    lines = err.splitlines()
    assert len(lines) == 5 and all(line.startswith("bench [") for line in lines), err
    assert [line.split("] ")[1].split()[0] for line in lines] == ["0/4", "1/4", "2/4", "3/4", "4/4"]
    assert lines[0].endswith("float32 (10,) axis -1") and lines[-1].endswith("measured")


def test_bench_forwards_its_options_to_bench_py(tiny_bench, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")  # --plot needs it (the bench extra; not a test extra)
    seen = []

    def spy(argv, progress):
        seen.append(tiny_bench.parse_arguments(argv))  # bench.py's own parser accepts them
        return 0

    monkeypatch.setattr(tiny_bench, "main", spy)
    plot = tmp_path / "p.png"
    argv = [
        "bench",
        "--quick",
        "--rounds",
        "4",
        "--threads",
        "3",
        "--json",
        str(tmp_path / "r.json"),
    ]
    assert cli(*argv, "--plot", str(plot), "--check")[0] == 0
    (parsed,) = seen
    assert (parsed.quick, parsed.rounds, parsed.threads, parsed.check) == (True, 4, 3, True)
    assert (parsed.plot, parsed.json) == (plot, tmp_path / "r.json")
    assert cli("bench")[0] == 0
    assert (seen[1].quick, seen[1].rounds, seen[1].plot, seen[1].check) == (
        False,
        None,
        None,
        False,
    )


def test_bench_check_fails_with_status_1_on_a_failing_bar(tiny_bench, monkeypatch):
    impossible = tiny_bench.Bar("float32 (10,) axis -1", "copy", "pysoftmax-1", ">=", 1e9)
    monkeypatch.setattr(tiny_bench, "bars", lambda ours: [impossible])
    status, out, _ = cli("bench", "--quick", "--check")
    assert status == 1 and "- FAIL: float32 (10,) axis -1" in out
    assert cli("bench", "--quick")[0] == 0  # without --check a failing bar is reported only


def test_bench_plot_without_matplotlib(tiny_bench, monkeypatch, tmp_path):
    real = _cli.importlib.util.find_spec
    monkeypatch.setattr(
        _cli.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    status, out, err = cli("bench", "--plot", str(tmp_path / "p.png"))
    assert (status, out) == (2, "") and "argument --plot: needs matplotlib" in err


def test_bench_interrupted_ends_the_bar_and_prints_what_was_measured(tiny_bench, monkeypatch):
    def interrupted(argv, progress):
        print("# partial report")
        progress(0, 3, "first case")
        raise KeyboardInterrupt

    monkeypatch.setattr(tiny_bench, "main", interrupted)
    status, out, err = cli("bench")
    assert (status, out) == (130, "# partial report\n")
    assert err.endswith("pysoftmax bench: interrupted\n") and "Traceback" not in err


def test_the_progress_bar_redraws_one_line_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    bar = _cli.ProgressBar(screen, "bench", width=4)
    bar.update(0, 2, "a long case name")
    bar.update(1, 2, "short")
    bar.update(2, 2, "done")
    bar.close()
    first, second, third = screen.getvalue().split("\r")[1:]
    assert first.startswith("bench [....] 0/2 ") and first.endswith("a long case name")
    assert second.startswith("bench [##..] 1/2 ") and len(second) == len(first)  # padded
    assert third.startswith("bench [####] 2/2 ") and third.endswith("\n")
